/**
 * The upstream schema files that the tests validate against, each pinned to a release tag and to
 * the SHA-256 of its bytes. `npm run fetch-schemas` downloads exactly these into `.schemas-cache/`.
 *
 * Every file is an unmodified copy of the upstream file at the tag. The SHA-256 values were
 * computed from copies whose git blob ids equal `git rev-parse <tag>:<path>` upstream.
 *
 * NOTE: the strict access-rule schema (`oathkeeper-access-rules.schema.json`) was written for this
 * project and has no upstream URL, so it is not in this list and the script cannot fetch it.
 */

/** One pinned upstream file. */
export interface SchemaSource {
  /** Path below the schema folder, as test/schemas.ts reads it. */
  readonly file: string;
  /** GitHub repository, `owner/name`. */
  readonly repository: string;
  /** Release tag the file is taken from. */
  readonly tag: string;
  /** Path of the file in the repository at that tag. */
  readonly path: string;
  /** Lower-case hex SHA-256 of the file's bytes. */
  readonly sha256: string;
}

/** Kratos release whose config and identity schemas the tests use. */
export const kratosTag = "v26.2.0";
/** Oathkeeper release whose config, pipeline and API schemas the tests use. */
export const oathkeeperTag = "v26.2.0";
/** Traefik release whose CRD bundle the tests use. */
export const traefikTag = "v3.7.9";

const kratos = (file: string, path: string, sha256: string): SchemaSource => ({ file: `kratos/${file}`, repository: "ory/kratos", tag: kratosTag, path, sha256 });
const oathkeeper = (file: string, path: string, sha256: string): SchemaSource => ({ file: `oathkeeper/${file}`, repository: "ory/oathkeeper", tag: oathkeeperTag, path, sha256 });
const pipeline = (name: string, sha256: string): SchemaSource => oathkeeper(`pipeline/${name}.schema.json`, `spec/pipeline/${name}.schema.json`, sha256);

export const schemaSources: readonly SchemaSource[] = [
  kratos("config.schema.json", "embedx/config.schema.json", "11cc5bc641491b27ce95cd94570806827e189345f947ac59386850c1fa323d3d"),
  kratos("oryx/otelx/config.schema.json", "oryx/otelx/config.schema.json", "2e6b4567e1d11f3bc4324339d611ddacf6305f63089e7bf6859c61bc5b05d5d1"),
  kratos("identity_meta.schema.json", "embedx/identity_meta.schema.json", "fdbb512fd7e13daf5487a2e868198f83e24c326b5a1f24b97e3ae04ac4a8c9bf"),
  kratos("identity_extension.schema.json", "embedx/identity_extension.schema.json", "7cdd6013061de9320ce83bd6c3c3603640a0f87150e480c7168fab1cfade156a"),
  oathkeeper("config.schema.json", ".schema/config.schema.json", "4c81ffbbc3f24b2dcf978c9f95b1b3a5ff70ffaa1cf8d329826bd5dab6b22d6a"),
  oathkeeper("oryx/logrusx/config.schema.json", "oryx/logrusx/config.schema.json", "89dd195c5d333ed9d30685ca75a43ff243d87bf220bdaf4604fe593b3f312e8d"),
  oathkeeper("oryx/otelx/config.schema.json", "oryx/otelx/config.schema.json", "2e6b4567e1d11f3bc4324339d611ddacf6305f63089e7bf6859c61bc5b05d5d1"),
  oathkeeper("api.json", "spec/api.json", "3a8f56666af1fa418649bc2d56f2c84bd2010638381c05a70a18b7af344121f9"),
  pipeline("authenticators.anonymous", "8fc98830a72d9736971f73c91b1f0cddfefc6dbdd18da02d47c1bbea0aa5e458"),
  pipeline("authenticators.bearer_token", "eb14271b71c4c6802011af241be97b16c72dd2bbb9a8212d2cf0a27621bb861c"),
  pipeline("authenticators.cookie_session", "511a8107e29da8a3e16726b79f6f0a8a3cf48fe892a80721f7ec0a93887d437d"),
  pipeline("authenticators.jwt", "97cd0e98ff0f65c4cffb06a78ed649ef186f408ff9c7c8fa4436c7d7171ed6ea"),
  pipeline("authenticators.noop", "13bb25fefa30a7b35a45f509e21c73ef2149a7ef01fd68bf7cd5daad07c6f04c"),
  pipeline("authenticators.oauth2_client_credentials", "6e1dd792b549bc3ec39b57cc4a187b7ab2c9ea86a690d523853496e1b73f3e6b"),
  pipeline("authenticators.oauth2_introspection", "e071dbb290207b90db7ca44ede115f8a801073c8afae9bc23ed92bb72a25dee1"),
  pipeline("authenticators.unauthorized", "a9a50ab97cb17dda425009110720cd98ba6f5c9c5fe7df4d9e1d81f796ddd55d"),
  pipeline("authorizers.allow", "888ccf7538d2c2eba42ceaea3ee3f87542bcb284a70920deb7bc78517aa010b0"),
  pipeline("authorizers.deny", "34712c11a42f5f73495965b88f4c77abca35c2979f2dda91cad1a0a10232da2b"),
  pipeline("authorizers.keto_engine_acp_ory", "655d5b7c71f15bcdb10c78bcd0a21097eb0db61cbda62b228337788775093f10"),
  pipeline("authorizers.remote", "bba668ea239b191832c4814e8ee2dc48c86c8c1d4ee5898495f0fe93163ee38e"),
  pipeline("authorizers.remote_json", "6e6c7ba1e66ca34351a801f96e4fe9cd10d87afa00a50ba930e3ef96b633e86b"),
  pipeline("errors.json", "9164198dfe8d39829676ce72b3bff44fafff225b77bdaa4e4012c6874e4a681b"),
  pipeline("errors.redirect", "1ef07c409b36786cd5ee4f22e18f3d4209b77a42e7aa9f92d32b1a0017143a79"),
  pipeline("errors.www_authenticate", "936411be0cd72742ea3672aa4037a0a77f6b30076fb263d78b0e99a7846634fd"),
  pipeline("mutators.cookie", "88f8ff7db4410964c869b2b7aa2f8db721964e61870328fa16a8feba94e31e84"),
  pipeline("mutators.header", "8aa077feb772db61df061a2767cf57bb3dfc9d32918247999a51a34e1af285e9"),
  pipeline("mutators.hydrator", "1522660abcc167b55d39fc25833edce2f4828f0a57225297b544eeba2723e51d"),
  pipeline("mutators.id_token", "54e38a638bc40ebaa8244b1d787c6a5e0cedbba9ec904ac7ae104278cb3e2061"),
  pipeline("mutators.noop", "fede1e5e79fef61a6dc69282289a25cee6f166c435242fa92523a430ca54c3e9"),
  {
    file: "traefik/kubernetes-crd-definition-v1.yml",
    repository: "traefik/traefik",
    tag: traefikTag,
    path: "docs/content/reference/dynamic-configuration/kubernetes-crd-definition-v1.yml",
    sha256: "1d5e8558803804562238b0d4a57174aadd6d87c36e3c4c55199ebcc356a9406c",
  },
];
