/**
 * Validators built from the upstream projects' own schemas: Kratos and Oathkeeper config schemas,
 * Traefik's CRDs and the Kubernetes OpenAPI schema (through kubernetes-models).
 *
 * The Kratos, Oathkeeper and Traefik files are not part of this repository. They are looked up in
 * this order: the folder in APIGW_SCHEMAS_DIR, `../shared/schemas` beside the checkout, and the
 * cache that `npm run fetch-schemas` fills from the pinned upstream URLs.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { parseAllDocuments } from "yaml";
import { describe } from "vitest";

const repositoryRoot = path.resolve(__dirname, "..");

/** Cache folder that `npm run fetch-schemas` writes to. */
export const schemaCacheDirectory = path.join(repositoryRoot, ".schemas-cache");

/** A file every complete schema folder contains, used to recognise one. */
const markerFile = path.join("kratos", "config.schema.json");

/** Returns the first schema folder that exists, or undefined when none does. */
export function findSchemaDirectory(): string | undefined {
  const candidates = [
    process.env.APIGW_SCHEMAS_DIR,
    path.resolve(repositoryRoot, "..", "shared", "schemas"),
    schemaCacheDirectory,
  ].filter((candidate): candidate is string => candidate !== undefined && candidate !== "");
  return candidates.find((candidate) => fs.existsSync(path.join(candidate, markerFile)));
}

const schemaDirectory = findSchemaDirectory();

/**
 * Checks whether the schemas come from the download cache, which lacks the project-written
 * access-rule schema. Only then may a run under CI skip the rule-file check.
 */
export function schemasFromDownloadCache(): boolean {
  return schemaDirectory === schemaCacheDirectory;
}

const missingMessage =
  "Upstream schemas not found (looked in APIGW_SCHEMAS_DIR, ../shared/schemas and .schemas-cache). " +
  "Run `npm run fetch-schemas` to download the pinned files, or set APIGW_SCHEMAS_DIR.";

/**
 * Declares a describe block that needs the upstream schemas.
 *
 * Without them the block is skipped with a visible notice, except under CI (CI=true), where a
 * missing folder is an error, because a skipped check must never look like a passed one.
 */
export function describeWithSchemas(title: string, body: () => void): void {
  if (schemaDirectory !== undefined) {
    describe(title, body);
    return;
  }
  if (process.env.CI === "true") {
    throw new Error(`${missingMessage} CI=true, so this is a failure, not a skip.`);
  }
  console.warn(`NOTICE: skipping "${title}". ${missingMessage}`);
  describe.skip(title, body);
}

function requireSchemaDirectory(): string {
  if (schemaDirectory === undefined) {
    throw new Error(missingMessage);
  }
  return schemaDirectory;
}

function readJson(relativePath: string): any {
  return JSON.parse(fs.readFileSync(path.join(requireSchemaDirectory(), relativePath), "utf8"));
}

// The published Oathkeeper schema refers to raw GitHub URLs and to its embedded `$id`. Rewriting
// those to the ids the local copies register under keeps validation offline.
const refRewrites: Array<[RegExp, string]> = [
  [/^https:\/\/raw\.githubusercontent\.com\/ory\/(kratos|oathkeeper)\/[^/]+\/oryx\/otelx\/config\.schema\.json/, "ory://tracing-config"],
  [/^https:\/\/raw\.githubusercontent\.com\/ory\/(kratos|oathkeeper)\/[^/]+\/oryx\/logrusx\/config\.schema\.json/, "ory://logging-config"],
  [/^\/\.schema\/config\.schema\.json/, "https://github.com/ory/oathkeeper/schema/config.schema.json"],
];

function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) {
    return node.map(rewriteRefs);
  }
  if (node !== null && typeof node === "object") {
    const result: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === "$ref" && typeof value === "string") {
        result[key] = refRewrites.reduce((ref, [pattern, replacement]) => ref.replace(pattern, replacement), value);
      } else {
        result[key] = rewriteRefs(value);
      }
    }
    return result;
  }
  return node;
}

function newAjv(): Ajv {
  // strict: false because the upstream schemas use keywords Ajv does not know (the Kratos typo
  // "require", Oathkeeper's "item"), which Go's validator ignores too.
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  return ajv;
}

let oryAjv: Ajv | undefined;

/** Returns one Ajv instance that contains every Ory schema under its `$id`, so `$ref`s resolve offline. */
function oryValidatorRegistry(): Ajv {
  if (oryAjv !== undefined) {
    return oryAjv;
  }
  const ajv = newAjv();
  for (const file of [
    "kratos/config.schema.json",
    "kratos/oryx/otelx/config.schema.json",
    "kratos/identity_meta.schema.json",
    "kratos/identity_extension.schema.json",
    "oathkeeper/config.schema.json",
    "oathkeeper/oryx/logrusx/config.schema.json",
    ...(accessRuleSchemaAvailable() ? [accessRuleSchemaFile] : []),
  ]) {
    let schema = rewriteRefs(readJson(file)) as { $id: string };
    if (file === accessRuleSchemaFile) {
      schema = withHandlerNames(schema);
    }
    // Kratos and Oathkeeper vendor the same otelx schema under the same $id, so register it once.
    if (ajv.getSchema(schema.$id) === undefined) {
      ajv.addSchema(schema);
    }
  }
  oryAjv = ajv;
  return ajv;
}

/** Kinds of Oathkeeper pipeline handlers, as the config schema and rule files name them. */
const handlerKinds = {
  authenticatorHandler: "authenticators",
  authorizerHandler: "authorizers",
  mutatorHandler: "mutators",
  errorHandler: "errors",
} as const;

/** Returns the handler names Oathkeeper's config schema defines for one kind. */
function oathkeeperHandlerNames(kind: (typeof handlerKinds)[keyof typeof handlerKinds]): string[] {
  const config = readJson("oathkeeper/config.schema.json") as {
    properties: Record<string, { properties: Record<string, { properties?: Record<string, unknown> }> }>;
  };
  const handlers = kind === "errors" ? config.properties.errors!.properties.handlers!.properties! : config.properties[kind]!.properties;
  return Object.keys(handlers);
}

/**
 * Fills the handler-name enums of the rule-file schema, which leaves them to the validator, with
 * the names Oathkeeper's config schema defines, so a misspelt handler fails validation.
 */
function withHandlerNames<T>(schema: T): T {
  const copy = structuredClone(schema) as { definitions: Record<string, { properties: { handler: { enum: string[] } } }> };
  for (const [definition, kind] of Object.entries(handlerKinds)) {
    copy.definitions[definition]!.properties.handler.enum = oathkeeperHandlerNames(kind);
  }
  return copy as T;
}

function compiled(id: string): ValidateFunction {
  const validate = oryValidatorRegistry().getSchema(id);
  if (validate === undefined) {
    throw new Error(`Schema ${id} is not registered`);
  }
  return validate;
}

/** Formats Ajv errors as one line each, with the JSON pointer of the failing value. */
export function formatErrors(errors: readonly ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((error) => `${error.instancePath || "/"} ${error.message ?? ""} ${JSON.stringify(error.params)}`);
}

function validateWith(validate: ValidateFunction, document: unknown): string[] {
  return validate(document) ? [] : formatErrors(validate.errors);
}

/** Validates a Kratos config document against Kratos's embedded config schema. */
export function validateKratosConfig(config: unknown): string[] {
  return validateWith(compiled("https://github.com/ory/kratos/embedx/config.schema.json"), config);
}

/** Validates an identity (traits) schema against Kratos's identity meta-schema. */
export function validateIdentitySchema(schema: unknown): string[] {
  return validateWith(compiled("ory://identity-meta"), schema);
}

/** Validates an Oathkeeper config document against Oathkeeper's config schema. */
export function validateOathkeeperConfig(config: unknown): string[] {
  return validateWith(compiled("https://github.com/ory/oathkeeper/schema/config.schema.json"), config);
}

/**
 * The strict access-rule schema. Oathkeeper publishes no schema for rule files, so this one was
 * written beside the upstream copies and has no upstream URL: `npm run fetch-schemas` cannot
 * download it, and a folder filled that way lacks it.
 */
const accessRuleSchemaFile = "oathkeeper-access-rules.schema.json";

/** Checks whether the schema folder contains the access-rule schema. */
export function accessRuleSchemaAvailable(): boolean {
  return schemaDirectory !== undefined && fs.existsSync(path.join(schemaDirectory, accessRuleSchemaFile));
}

/** Notice printed where rule files go unchecked because the access-rule schema is missing. */
export const accessRuleSchemaMissing =
  `${accessRuleSchemaFile} is not in the schema folder (npm run fetch-schemas cannot download it, because it has no upstream URL), ` +
  "so access-rule files are checked only by Oathkeeper's handler schemas.";

/**
 * Validates an access-rule file (an array of rules) against the strict rule-file schema. Throws
 * when the schema is missing; check {@link accessRuleSchemaAvailable} first.
 */
export function validateAccessRules(rules: unknown): string[] {
  return validateWith(compiled("urn:gateway:oathkeeper-access-rules"), rules);
}

/**
 * Validates one handler's effective config (global config deep-merged with a rule's config)
 * against the pipeline schema Oathkeeper uses for that handler, such as `mutators.id_token`.
 */
export function validateHandlerConfig(kind: "authenticators" | "authorizers" | "mutators" | "errors", handler: string, config: unknown): string[] {
  const file = path.join("oathkeeper", "pipeline", `${kind}.${handler}.schema.json`);
  const raw = fs.readFileSync(path.join(requireSchemaDirectory(), file), "utf8").trim();
  if (raw === "") {
    return [];
  }
  // Pipeline files are a single $ref into the config schema, and three of them share one $id, so
  // only the $ref is used.
  const pipeline = rewriteRefs(JSON.parse(raw)) as { $ref: string };
  return validateWith(oryValidatorRegistry().compile({ $ref: pipeline.$ref }), config);
}

interface CustomResourceVersion {
  name: string;
  schema: { openAPIV3Schema: object };
}

let traefikValidators: Map<string, ValidateFunction> | undefined;

/** Kinds that the pinned Traefik CRD bundle defines, such as `IngressRoute` and `TLSOption`. */
export function traefikKinds(): string[] {
  return [...loadTraefikValidators().keys()];
}

function loadTraefikValidators(): Map<string, ValidateFunction> {
  if (traefikValidators !== undefined) {
    return traefikValidators;
  }
  const text = fs.readFileSync(path.join(requireSchemaDirectory(), "traefik", "kubernetes-crd-definition-v1.yml"), "utf8");
  const ajv = newAjv();
  const validators = new Map<string, ValidateFunction>();
  for (const document of parseAllDocuments(text)) {
    const crd = document.toJS() as {
      kind?: string;
      spec?: { group: string; names: { kind: string }; versions: CustomResourceVersion[] };
    } | null;
    if (crd?.kind !== "CustomResourceDefinition" || crd.spec === undefined) {
      continue;
    }
    for (const version of crd.spec.versions) {
      validators.set(`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`, ajv.compile(version.schema.openAPIV3Schema));
    }
  }
  traefikValidators = validators;
  return validators;
}

/**
 * Validates a Traefik custom resource (apiVersion, kind, metadata and spec) against the
 * openAPIV3Schema of its CRD in the pinned Traefik release. An unknown kind is an error.
 */
export function validateTraefikResource(resource: { apiVersion?: string; kind?: string; [key: string]: unknown }): string[] {
  const key = `${resource.apiVersion}/${resource.kind}`;
  const validate = loadTraefikValidators().get(key);
  if (validate === undefined) {
    return [`no CRD in the Traefik bundle defines ${key}`];
  }
  return validateWith(validate, resource);
}

/**
 * Validates a built-in Kubernetes object against the Kubernetes OpenAPI schema that
 * kubernetes-models ships. Returns the problems, or one problem when no model exists for the kind.
 */
export function validateKubernetesObject(object: { apiVersion?: string; kind?: string; [key: string]: unknown }): string[] {
  const apiVersion = object.apiVersion ?? "";
  const kind = object.kind ?? "";
  // cert-manager objects (EKS stacks) are checked with the models that
  // @kubernetes-models/cert-manager 4.4.4 generated from cert-manager v1.11.2's CRDs.
  // NOTE: the program installs cert-manager v1.21.1, whose Certificate and ClusterIssuer schemas
  // may have gained fields since v1.11.2. Only fields both versions know are checked.
  const modelPackage = apiVersion.startsWith("cert-manager.io/") ? "@kubernetes-models/cert-manager" : "kubernetes-models";
  const modulePath = `${modelPackage}/${apiVersion}/${kind}`;
  let model: { new (data: unknown): { validate(): void } };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    model = require(modulePath)[kind];
  } catch {
    return [`no Kubernetes model for ${apiVersion} ${kind}`];
  }
  try {
    new model(object).validate();
    return [];
  } catch (error) {
    return [String(error instanceof Error ? error.message : error)];
  }
}
