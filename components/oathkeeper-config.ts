/**
 * Pure builders for the AuthProxy: Oathkeeper's config file, its access rules and the JSON Web
 * Key Set its id_token mutator signs with. Facts about Oathkeeper name the file in the
 * ory/oathkeeper repository that they come from.
 *
 * NOTE: those files were read on ory/oathkeeper's main branch, not at the v26.2.0 tag, so a change
 * between the two would be missed. The config itself is validated against the v26.2.0 schema.
 */
import * as crypto from "node:crypto";
import { type Route, isHostname, isPathPrefix } from "./routes";

/** Port of Oathkeeper's API: the decisions endpoint, `/.well-known/jwks.json` and health checks. */
export const oathkeeperApiPort = 4456;

/** Port of Oathkeeper's reverse proxy, which this program never uses. */
export const oathkeeperProxyPort = 4455;

/** Folder where the ConfigMap with the config file and the access rules is mounted. */
export const configDirectory = "/etc/oathkeeper/config";
/** Folder where the Secret with the signing key set is mounted. */
export const keySetDirectory = "/etc/oathkeeper/jwks";

export const configFileName = "config.yaml";
export const accessRulesFileName = "access-rules.json";
export const keySetFileName = "jwks.json";

/**
 * Matching strategy for every access rule. With `regexp`, the text between `<` and `>` is a
 * regular expression and everything else is quoted literally (rule/engine_regexp.go, which calls
 * ory/ladon's compiler.CompileRegex). The glob engine uses gobwas/glob, whose alternatives and
 * wildcards have known matching bugs, so its results are harder to predict.
 */
export const matchingStrategy = "regexp";

/**
 * Methods every rule matches: the methods of RFC 9110 plus PATCH (RFC 5789). Oathkeeper returns
 * 404 for a method that no rule lists, which Traefik turns into a denial.
 *
 * NOTE: OPTIONS needs a session too, but browsers send CORS preflight requests without cookies,
 * so a cross-origin caller of a session route fails its preflight. Same-origin pages are unaffected.
 */
export const standardHttpMethods: readonly string[] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"];

/**
 * Scheme in every rule URL. Traefik's forwardAuth sets X-Forwarded-Proto to `https` on the TLS
 * entry point (websecure), and the plain HTTP entry point only redirects.
 */
export const ruleScheme = "https";

/** Oathkeeper release the rules are written for, recorded in each rule's `version`. */
export const accessRuleVersion = "v26.2.0";

/** One pipeline handler in an access rule. */
export interface RuleHandler {
  readonly handler: string;
  /** Per-rule config, deep-merged over the handler's global config. */
  readonly config?: Record<string, unknown>;
}

/** One Oathkeeper access rule, in the format of rule/rule.go. */
export interface AccessRule {
  readonly id: string;
  readonly version: string;
  readonly description: string;
  readonly match: { readonly url: string; readonly methods: readonly string[] };
  readonly authenticators: readonly RuleHandler[];
  readonly authorizer: RuleHandler;
  readonly mutators: readonly RuleHandler[];
  readonly errors: readonly RuleHandler[];
}

/** Settings for {@link buildAccessRules}. */
export interface AccessRuleOptions {
  /**
   * Oathkeeper release recorded in each rule. The rule migrator rewrites only rules older than
   * v0.37.0 (rule/rule_migrator.go), so any newer release reads the rules unchanged.
   * @default accessRuleVersion
   */
  readonly version?: string;
}

/**
 * Builds one access rule per `session` route, with the route name as rule id.
 *
 * Every rule runs the same pipeline: the Kratos session cookie, the `allow` authorizer and an ID
 * token. Browsers that lack a session are redirected to the login page and other clients get a
 * JSON error, see {@link buildOathkeeperConfig}. Throws when a session route has a host or path
 * prefix that the URL pattern cannot quote safely.
 */
export function buildAccessRules(routes: readonly Route[], options: AccessRuleOptions = {}): AccessRule[] {
  const version = options.version ?? accessRuleVersion;
  return routes
    .filter((route) => route.access === "session")
    .map((route) => ({
      id: route.name,
      version,
      description: `Requires a Kratos session for ${route.host}${route.pathPrefix} and forwards an ID token.`,
      match: { url: accessRuleUrlPattern(route), methods: standardHttpMethods },
      authenticators: [{ handler: "cookie_session" }],
      authorizer: { handler: "allow" },
      mutators: [{ handler: "id_token" }],
      // The redirect handler takes only unauthorized browser requests (its global `when`). For any
      // other error Oathkeeper falls back to `errors.fallback`, the JSON handler.
      errors: [{ handler: "redirect" }],
    }));
}

/**
 * Builds the `match.url` pattern for a route: the scheme, the literal host and the path prefix on
 * whole segments, the same requests that `traefikMatchRule` in routes.ts selects.
 *
 * Oathkeeper matches `scheme://host/path` without the query string (`Rule.IsMatching` in
 * rule/rule.go). The compiler quotes everything outside `<>` with Go's regexp.QuoteMeta and
 * anchors the whole pattern with `^` and `$`, so a dot in the host is literal and a match cannot
 * extend into another host or scheme.
 */
export function accessRuleUrlPattern(route: Pick<Route, "name" | "host" | "pathPrefix">): string {
  // `<` and `>` delimit the regular expression, so a literal part must never contain them.
  // isHostname and isPathPrefix allow neither.
  if (!isHostname(route.host)) {
    throw new Error(`route "${route.name}" has an invalid host "${route.host}". Use a lower-case hostname such as app.example.com.`);
  }
  if (!isPathPrefix(route.pathPrefix)) {
    throw new Error(
      `route "${route.name}" has an invalid pathPrefix "${route.pathPrefix}". Use "/" or "/segment" with letters, digits, ".", "_", "~" and "-".`,
    );
  }
  const origin = `${ruleScheme}://${route.host}`;
  if (route.pathPrefix === "/") {
    return `${origin}/<.*>`;
  }
  return `${origin}${route.pathPrefix}<(/.*)?>`;
}

/** Values that {@link buildOathkeeperConfig} puts into Oathkeeper's config file. */
export interface OathkeeperConfigSettings {
  /** In-cluster Kratos whoami URL. */
  readonly sessionCheckUrl: string;
  /** Kratos session cookie name. */
  readonly sessionCookieName: string;
  /** Browser URL that starts a Kratos login flow. */
  readonly loginUrl: string;
  /** `iss` of the ID tokens. */
  readonly issuerUrl: string;
  /** `aud` of the ID tokens. */
  readonly audience: string;
  /** Lifetime of an ID token as a Go duration, such as `10m`. */
  readonly tokenTtl: string;
}

/**
 * Builds Oathkeeper's config file. Every key is in `.schema/config.schema.json`, and the tests
 * validate the result against it.
 */
export function buildOathkeeperConfig(settings: OathkeeperConfigSettings): Record<string, unknown> {
  return {
    log: { level: "info", format: "json", leak_sensitive_values: false },
    serve: {
      api: { port: oathkeeperApiPort },
      // `oathkeeper serve` always starts the reverse proxy too. Binding it to loopback keeps the
      // unused port unreachable from other pods.
      proxy: { port: oathkeeperProxyPort, host: "127.0.0.1" },
    },
    access_rules: {
      repositories: [`file://${configDirectory}/${accessRulesFileName}`],
      matching_strategy: matchingStrategy,
    },
    authenticators: {
      cookie_session: {
        enabled: true,
        config: {
          check_session_url: settings.sessionCheckUrl,
          // Keep the whoami path and query instead of copying the request's path and query.
          preserve_path: true,
          preserve_query: true,
          // Kratos's whoami response is the session, with the identity under `identity`.
          subject_from: "identity.id",
          extra_from: "@this",
          only: [settings.sessionCookieName],
          // The check forwards only the Cookie header and no body, so it stays a plain read
          // whatever method the original request used.
          force_method: "GET",
        },
      },
      anonymous: { enabled: false },
      noop: { enabled: false },
      unauthorized: { enabled: false },
      bearer_token: { enabled: false },
      jwt: { enabled: false },
      oauth2_client_credentials: { enabled: false },
      oauth2_introspection: { enabled: false },
    },
    authorizers: {
      allow: { enabled: true },
      deny: { enabled: false },
    },
    mutators: {
      id_token: {
        enabled: true,
        config: {
          issuer_url: settings.issuerUrl,
          jwks_url: `file://${keySetDirectory}/${keySetFileName}`,
          ttl: settings.tokenTtl,
          // A Go text/template whose output is a JSON object (pipeline/mutate/mutator_id_token.go).
          // The mutator then sets exp, iat, nbf, jti, iss and sub itself.
          claims: idTokenClaimsTemplate(settings.audience),
        },
      },
      noop: { enabled: false },
      header: { enabled: false },
      cookie: { enabled: false },
      hydrator: { enabled: false },
    },
    errors: {
      fallback: ["json"],
      handlers: {
        json: { enabled: true, config: { verbose: false } },
        redirect: {
          enabled: true,
          config: {
            to: settings.loginUrl,
            // NOTE: older Oathkeeper code builds return_to from X-Forwarded-Uri with the query
            // inside the path, so `?` may arrive as %3F. Only URLs with a query string are
            // affected; a deployment test should confirm the v26.2.0 behaviour.
            return_to_query_param: "return_to",
            // Only a browser without a valid session is redirected. Oathkeeper compares each media
            // type of the request's Accept header with this list (pipeline/errors/when.go), so
            // `Accept: */*` from curl or fetch gets the JSON 401.
            when: [{ error: ["unauthorized"], request: { header: { accept: ["text/html"] } } }],
          },
        },
      },
    },
  };
}

/**
 * Builds the claims template of the id_token mutator. The template has no actions, so Oathkeeper
 * outputs it unchanged. The caller must keep `{{` out of the audience.
 */
export function idTokenClaimsTemplate(audience: string): string {
  return JSON.stringify({ aud: [audience] });
}

/** A JSON Web Key as Node's `KeyObject.export({ format: "jwk" })` returns it, plus JWK metadata. */
export type JsonWebKey = Record<string, string>;

/** Members of a JWK that hold private key material (RFC 7518, section 6). */
export const privateJwkMembers: readonly string[] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/**
 * Converts an ECDSA P-256 private key in PEM to a JWKS with one private key for the id_token
 * mutator: `alg` ES256, `use` sig and the RFC 7638 thumbprint as `kid`. Oathkeeper signs with the
 * key's `alg` and sets the `kid` header from it (credentials/signer_default.go).
 */
export function buildSigningKeySet(privateKeyPem: string): string {
  const privateKey = crypto.createPrivateKey(privateKeyPem);
  const jwk = privateKey.export({ format: "jwk" }) as JsonWebKey;
  if (jwk.kty !== "EC" || jwk.crv !== "P-256") {
    throw new Error(`signing key must be ECDSA P-256, got kty "${jwk.kty}" crv "${jwk.crv ?? ""}"`);
  }
  const key: JsonWebKey = { ...jwk, kid: jwkThumbprint(jwk), alg: "ES256", use: "sig" };
  return JSON.stringify({ keys: [key] });
}

/**
 * Removes the private members from every key of a JWKS, as Oathkeeper's
 * `/.well-known/jwks.json` does with go-jose's `JSONWebKey.Public()` (api/credential.go).
 */
export function publicKeySetOf(keySetJson: string): string {
  const keySet = JSON.parse(keySetJson) as { keys: JsonWebKey[] };
  const keys = keySet.keys.map((key) =>
    Object.fromEntries(Object.entries(key).filter(([member]) => !privateJwkMembers.includes(member))),
  );
  return JSON.stringify({ keys });
}

/** Computes the RFC 7638 thumbprint of an EC public key: SHA-256 over the required members, base64url. */
export function jwkThumbprint(jwk: JsonWebKey): string {
  // RFC 7638 section 3.2: required members only, in lexicographic order, without whitespace.
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return crypto.createHash("sha256").update(canonical).digest("base64url");
}
