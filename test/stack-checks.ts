/**
 * Checks that hold for every stack: routing matches the route list, nothing internal is routed,
 * secrets stay in Secrets, every pod is locked down, and every generated document validates
 * against its upstream schema. Each function returns problems, so a test can print all of them.
 */
import { parse as parseYaml } from "yaml";
import { mergeKratosConfigFiles } from "../components/kratos-config";
import { internalOnlyPorts, traefikMatchRule, type Route } from "../components/routes";
import { forwardAuthMiddlewareName, mtlsTlsOptionName } from "../components/traefik-config";
import { isSecretValue, unwrapSecrets, type RecordedResource } from "./mocks";
import {
  accessRuleSchemaAvailable,
  accessRuleSchemaMissing,
  validateAccessRules,
  validateHandlerConfig,
  validateIdentitySchema,
  validateKratosConfig,
  validateKubernetesObject,
  validateOathkeeperConfig,
  validateTraefikResource,
} from "./schemas";

/** A Kubernetes object as the program declared it, with secret-wrapped values unwrapped. */
export interface KubernetesObject {
  readonly resourceName: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { name?: string; namespace?: string; [key: string]: unknown };
  readonly [field: string]: unknown;
}

// Types that are Pulumi components or providers rather than objects in the cluster. The CRD bundle
// is applied from Traefik's release as is, so there is nothing of ours to validate in it.
const notClusterObjects = new Set(["pulumi:providers:kubernetes", "kubernetes:yaml/v2:ConfigFile", "kubernetes:helm.sh/v4:Chart"]);

/** Returns every Kubernetes object the program declared. */
export function kubernetesObjects(resources: readonly RecordedResource[]): KubernetesObject[] {
  return resources
    .filter((resource) => resource.type.startsWith("kubernetes:") && !notClusterObjects.has(resource.type))
    .map((resource) => ({ resourceName: resource.name, ...unwrapSecrets(resource.inputs) }) as KubernetesObject);
}

function ofKind(objects: readonly KubernetesObject[], kind: string): KubernetesObject[] {
  return objects.filter((object) => object.kind === kind);
}

/**
 * Checks the IngressRoutes and access rules against the route list. Each route has one
 * IngressRoute with its match, and forwardAuth exactly when it is a session route. Every route on
 * an mTLS host uses the mTLS option. Each session route has one access rule, and no route reaches an
 * internal port.
 */
export function routingProblems(objects: readonly KubernetesObject[], routes: readonly Route[]): string[] {
  const problems: string[] = [];
  const ingressRoutes = ofKind(objects, "IngressRoute");
  const mtlsHosts = new Set(routes.filter((route) => route.access === "mtls").map((route) => route.host));

  for (const route of routes) {
    const match = traefikMatchRule(route);
    const found = ingressRoutes.filter((object) =>
      ((object.spec as { routes: Array<{ match: string }> }).routes ?? []).some((rule) => rule.match === match),
    );
    if (found.length !== 1) {
      problems.push(`route "${route.name}": expected one IngressRoute matching ${match}, found ${found.length}`);
      continue;
    }
    const spec = found[0]!.spec as {
      routes: Array<{ middlewares?: Array<{ name: string }> }>;
      tls?: { options?: { name: string } };
    };
    const middlewares = spec.routes.flatMap((rule) => rule.middlewares ?? []).map((middleware) => middleware.name);
    const hasForwardAuth = middlewares.includes(forwardAuthMiddlewareName);
    if (route.access === "session" && !hasForwardAuth) {
      problems.push(`session route "${route.name}" has no forwardAuth middleware`);
    }
    if (route.access !== "session" && hasForwardAuth) {
      problems.push(`${route.access} route "${route.name}" has the forwardAuth middleware`);
    }
    if (mtlsHosts.has(route.host) && spec.tls?.options?.name !== mtlsTlsOptionName) {
      problems.push(`route "${route.name}" on mTLS host "${route.host}" does not use the ${mtlsTlsOptionName} TLSOption`);
    }
    if (!mtlsHosts.has(route.host) && spec.tls?.options !== undefined) {
      problems.push(`route "${route.name}" on non-mTLS host "${route.host}" names TLS options ${JSON.stringify(spec.tls.options)}`);
    }
  }
  if (ingressRoutes.length !== routes.length) {
    problems.push(`expected ${routes.length} IngressRoutes, one per route, found ${ingressRoutes.length}`);
  }

  // Every port Traefik may send traffic to: IngressRoute service ports and the ports of the
  // ExternalName aliases they name.
  for (const object of ingressRoutes) {
    const services = (object.spec as { routes: Array<{ services?: Array<{ port?: number; name: string }> }> }).routes.flatMap(
      (rule) => rule.services ?? [],
    );
    for (const service of services) {
      if (service.port !== undefined && internalOnlyPorts.includes(service.port)) {
        problems.push(`IngressRoute ${object.metadata.name} sends traffic to internal port ${service.port}`);
      }
    }
  }
  for (const service of ofKind(objects, "Service")) {
    const spec = service.spec as { type?: string; ports?: Array<{ port: number; nodePort?: number }> };
    const exposed = spec.type === "NodePort" || spec.type === "LoadBalancer";
    for (const port of spec.ports ?? []) {
      if (exposed && internalOnlyPorts.includes(port.port)) {
        problems.push(`Service ${service.metadata.name} exposes internal port ${port.port} outside the cluster`);
      }
    }
  }

  const rules = accessRules(objects);
  const sessionNames = routes.filter((route) => route.access === "session").map((route) => route.name).sort();
  const ruleIds = rules.map((rule) => rule.id).sort();
  if (JSON.stringify(ruleIds) !== JSON.stringify(sessionNames)) {
    problems.push(`access rules ${JSON.stringify(ruleIds)} do not match the session routes ${JSON.stringify(sessionNames)}`);
  }
  return problems;
}

/** An Oathkeeper access rule as the program writes it. */
export interface AccessRuleDocument {
  id: string;
  match: { url: string; methods: string[] };
  authenticators: Array<{ handler: string; config?: unknown }>;
  authorizer: { handler: string; config?: unknown };
  mutators: Array<{ handler: string; config?: unknown }>;
  errors?: Array<{ handler: string; config?: unknown }>;
}

/** Returns the access rules from the ConfigMap that carries `access-rules.json`. */
export function accessRules(objects: readonly KubernetesObject[]): AccessRuleDocument[] {
  const documents = embeddedDocuments(objects).filter((document) => document.key === "access-rules.json");
  if (documents.length !== 1) {
    throw new Error(`expected one access-rules.json, found ${documents.length}`);
  }
  return JSON.parse(documents[0]!.text) as AccessRuleDocument[];
}

/** One file embedded in a ConfigMap or Secret. */
export interface EmbeddedDocument {
  readonly owner: string;
  readonly kind: "ConfigMap" | "Secret";
  readonly key: string;
  readonly text: string;
}

/** Returns every file embedded in a ConfigMap or Secret. */
export function embeddedDocuments(objects: readonly KubernetesObject[]): EmbeddedDocument[] {
  const documents: EmbeddedDocument[] = [];
  for (const object of objects) {
    if (object.kind !== "ConfigMap" && object.kind !== "Secret") {
      continue;
    }
    const data = { ...((object.stringData as Record<string, string>) ?? {}) };
    for (const [key, value] of Object.entries((object.data as Record<string, string>) ?? {})) {
      data[key] = object.kind === "Secret" ? Buffer.from(value, "base64").toString("utf8") : value;
    }
    for (const [key, text] of Object.entries(data)) {
      documents.push({ owner: object.resourceName, kind: object.kind, key, text });
    }
  }
  return documents;
}

/**
 * Embedded files that no upstream schema covers, with the reason and the test that checks them
 * instead. Any other embedded file must have a validator, or {@link documentValidationProblems}
 * reports it.
 */
export const documentsWithoutSchema: Record<string, string> = {
  "secrets.yml": "validated as part of the merged Kratos config",
  "oidc.google.jsonnet": "Jsonnet has no schema; identity-provider tests check the mapper text",
  "jwks.json": "no upstream JWKS schema; test/jwt.test.ts signs and verifies with it",
  "index.html": "sample page, no schema",
  "nginx.conf": "sample web server config, no schema",
  "tls.ca": "PEM; test/mtls-handshake.test.ts uses it in real handshakes",
  "tls.crt": "PEM; test/mtls-handshake.test.ts and the local certificate tests parse it",
  "tls.key": "PEM private key",
  COOKIE_SECRET: "random value for the self-service UI",
  CSRF_COOKIE_SECRET: "random value for the self-service UI",
  POSTGRES_PASSWORD: "random database password",
  dsn: "database connection string",
  kubeconfig: "generated by the cluster",
};

/** Result of validating everything a stack generated. */
export interface ValidationReport {
  readonly problems: string[];
  /** Checks that could not run, with the reason. Empty when every schema was present. */
  readonly skipped: string[];
  /** Number of Kubernetes objects and embedded documents checked against a schema. */
  readonly validated: number;
  /** Number of Kubernetes objects and embedded documents the stack generated. */
  readonly generated: number;
}

/**
 * Validates every Kubernetes object (Traefik custom resources against the pinned CRDs, built-in
 * kinds against the Kubernetes OpenAPI schema) and every embedded document against its upstream
 * schema. Counts what was generated and what was validated, so nothing slips through unchecked.
 */
export function documentValidationProblems(objects: readonly KubernetesObject[]): ValidationReport {
  const problems: string[] = [];
  const skipped: string[] = [];
  let validated = 0;
  let generated = 0;

  for (const object of objects) {
    generated += 1;
    const { resourceName, ...manifest } = object;
    const errors = object.apiVersion.startsWith("traefik.io/") ? validateTraefikResource(manifest) : validateKubernetesObject(manifest);
    problems.push(...errors.map((error) => `${object.kind} ${resourceName}: ${error}`));
    validated += 1;
  }

  const documents = embeddedDocuments(objects);
  const byKey = (key: string) => documents.filter((document) => document.key === key);
  const handled = new Set<string>();

  const kratosFiles = byKey("kratos.yml");
  const kratosSecrets = byKey("secrets.yml");
  for (const file of kratosFiles) {
    generated += 1;
    const merged = mergeKratosConfigFiles(parseYaml(file.text), parseYaml(kratosSecrets[0]?.text ?? "{}"));
    problems.push(...validateKratosConfig(merged).map((error) => `kratos.yml + secrets.yml: ${error}`));
    validated += 1;
  }
  handled.add("kratos.yml");

  for (const file of byKey("identity.schema.json")) {
    generated += 1;
    problems.push(...validateIdentitySchema(JSON.parse(file.text)).map((error) => `identity.schema.json: ${error}`));
    validated += 1;
  }
  handled.add("identity.schema.json");

  const oathkeeperConfigs = byKey("config.yaml");
  for (const file of oathkeeperConfigs) {
    generated += 1;
    problems.push(...validateOathkeeperConfig(parseYaml(file.text)).map((error) => `oathkeeper config.yaml: ${error}`));
    validated += 1;
  }
  handled.add("config.yaml");

  for (const file of byKey("access-rules.json")) {
    generated += 1;
    const rules = JSON.parse(file.text) as AccessRuleDocument[];
    problems.push(...ruleHandlerProblems(rules, parseYaml(oathkeeperConfigs[0]?.text ?? "{}")));
    if (accessRuleSchemaAvailable()) {
      problems.push(...validateAccessRules(rules).map((error) => `access-rules.json: ${error}`));
      validated += 1;
    } else {
      skipped.push(`access-rules.json: ${accessRuleSchemaMissing}`);
    }
  }
  handled.add("access-rules.json");

  for (const document of documents) {
    if (!handled.has(document.key) && documentsWithoutSchema[document.key] === undefined) {
      problems.push(`${document.kind} ${document.owner} embeds "${document.key}", which no validator covers. Add one, or list it in documentsWithoutSchema with the reason.`);
    }
  }
  return { problems, skipped, validated, generated };
}

type HandlerKind = "authenticators" | "authorizers" | "mutators" | "errors";

/**
 * Checks what Oathkeeper checks when it loads rules (rule/validator.go): every handler a rule
 * names is enabled in the config, and its config, the global one deep-merged with the rule's,
 * passes that handler's pipeline schema.
 */
function ruleHandlerProblems(rules: readonly AccessRuleDocument[], config: Record<string, any>): string[] {
  const problems: string[] = [];
  for (const rule of rules) {
    const uses: Array<[HandlerKind, { handler: string; config?: unknown }]> = [
      ...rule.authenticators.map((handler) => ["authenticators", handler] as [HandlerKind, typeof handler]),
      ["authorizers", rule.authorizer],
      ...rule.mutators.map((handler) => ["mutators", handler] as [HandlerKind, typeof handler]),
      ...(rule.errors ?? []).map((handler) => ["errors", handler] as [HandlerKind, typeof handler]),
    ];
    for (const [kind, use] of uses) {
      const global = kind === "errors" ? config.errors?.handlers?.[use.handler] : config[kind]?.[use.handler];
      if (global?.enabled !== true) {
        problems.push(`rule "${rule.id}" uses ${kind}.${use.handler}, which the Oathkeeper config does not enable`);
        continue;
      }
      const merged = deepMerge(global.config ?? {}, use.config ?? {});
      problems.push(...validateHandlerConfig(kind, use.handler, merged).map((error) => `rule "${rule.id}" ${kind}.${use.handler}: ${error}`));
    }
  }
  return problems;
}

function deepMerge(base: unknown, override: unknown): unknown {
  if (typeof base !== "object" || base === null || Array.isArray(base) || typeof override !== "object" || override === null || Array.isArray(override)) {
    return override ?? base;
  }
  const result: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(override)) {
    result[key] = deepMerge(result[key], value);
  }
  return result;
}

/**
 * Collects the values that must stay secret: every generated password and private key, and every
 * value stored in a Kubernetes Secret, then reports any of them found in a ConfigMap or in a plain
 * stack output.
 */
export function secretLeakProblems(
  resources: readonly RecordedResource[],
  objects: readonly KubernetesObject[],
  plainOutputs: Record<string, unknown>,
): { problems: string[]; secretCount: number } {
  const secrets = new Set<string>();
  for (const resource of resources) {
    if (resource.type === "random:index/randomPassword:RandomPassword" && typeof resource.state.result === "string") {
      secrets.add(resource.state.result);
    }
    if (resource.type === "tls:index/privateKey:PrivateKey") {
      for (const field of ["privateKeyPem", "privateKeyPemPkcs8"]) {
        if (typeof resource.state[field] === "string") {
          secrets.add(resource.state[field]);
        }
      }
    }
  }
  for (const document of embeddedDocuments(objects).filter((candidate) => candidate.kind === "Secret")) {
    // Certificates are public, and a Secret may carry one next to its key.
    if (!document.text.startsWith("-----BEGIN CERTIFICATE-----")) {
      secrets.add(document.text);
    }
  }
  // Very short values would match by accident, and none of the generated secrets is that short.
  const candidates = [...secrets].filter((secret) => secret.length >= 16);

  const problems: string[] = [];
  for (const document of embeddedDocuments(objects).filter((candidate) => candidate.kind === "ConfigMap")) {
    for (const secret of candidates) {
      if (document.text.includes(secret)) {
        problems.push(`ConfigMap ${document.owner} key "${document.key}" contains a secret value`);
      }
    }
  }
  for (const [name, value] of Object.entries(plainOutputs)) {
    const text = JSON.stringify(value) ?? "";
    for (const secret of candidates) {
      if (text.includes(secret) || text.includes(JSON.stringify(secret).slice(1, -1))) {
        problems.push(`stack output "${name}" contains a secret value`);
      }
    }
  }
  // Environment variables are visible to anyone who can read the pod spec.
  for (const object of objects.filter((candidate) => ["Deployment", "StatefulSet", "Job"].includes(candidate.kind))) {
    for (const container of podContainers(object)) {
      for (const variable of container.env ?? []) {
        if (typeof variable.value === "string" && candidates.some((secret) => variable.value!.includes(secret))) {
          problems.push(`${object.kind} ${object.metadata.name ?? object.resourceName} container ${container.name} has a secret in env ${variable.name}`);
        }
      }
    }
  }
  return { problems, secretCount: candidates.length };
}

interface Container {
  name: string;
  image?: string;
  env?: Array<{ name: string; value?: string }>;
  securityContext?: Record<string, any>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: unknown;
  readinessProbe?: unknown;
}

function podSpec(object: KubernetesObject): { containers: Container[]; initContainers?: Container[]; securityContext?: Record<string, any> } {
  return (object.spec as { template: { spec: any } }).template.spec;
}

function podContainers(object: KubernetesObject): Container[] {
  const spec = podSpec(object);
  return [...(spec.initContainers ?? []), ...spec.containers];
}

/**
 * Checks the secure defaults on every pod: non-root, no privilege escalation, all capabilities
 * dropped, seccomp RuntimeDefault, requests and limits on every container, and liveness and
 * readiness probes on every long-running container. A read-only root filesystem is required
 * except for the containers listed in `writableRootAllowed`, each with a reason in the code.
 */
export function podSecurityProblems(objects: readonly KubernetesObject[], writableRootAllowed: readonly string[] = []): string[] {
  const problems: string[] = [];
  for (const object of objects.filter((candidate) => ["Deployment", "StatefulSet", "Job", "DaemonSet"].includes(candidate.kind))) {
    const spec = podSpec(object);
    const label = `${object.kind} ${object.metadata.name ?? object.resourceName}`;
    const podContext = spec.securityContext ?? {};
    if (podContext.seccompProfile?.type !== "RuntimeDefault") {
      problems.push(`${label}: pod seccompProfile is not RuntimeDefault`);
    }
    for (const container of podContainers(object)) {
      const where = `${label} container ${container.name}`;
      const context = container.securityContext ?? {};
      if (context.runAsNonRoot !== true && podContext.runAsNonRoot !== true) {
        problems.push(`${where}: runAsNonRoot is not set`);
      }
      if (context.allowPrivilegeEscalation !== false) {
        problems.push(`${where}: allowPrivilegeEscalation is not false`);
      }
      if (JSON.stringify(context.capabilities?.drop) !== JSON.stringify(["ALL"])) {
        problems.push(`${where}: capabilities do not drop ALL`);
      }
      if ((context.capabilities?.add ?? []).length > 0) {
        problems.push(`${where}: adds capabilities ${JSON.stringify(context.capabilities.add)}`);
      }
      if (context.readOnlyRootFilesystem !== true && !writableRootAllowed.includes(container.name)) {
        problems.push(`${where}: root filesystem is writable`);
      }
      if (context.privileged === true) {
        problems.push(`${where}: privileged`);
      }
      for (const field of ["cpu", "memory"]) {
        if (container.resources?.requests?.[field] === undefined || container.resources?.limits?.[field] === undefined) {
          problems.push(`${where}: missing ${field} request or limit`);
        }
      }
      const isInit = (spec.initContainers ?? []).includes(container);
      if (object.kind !== "Job" && !isInit && (container.livenessProbe === undefined || container.readinessProbe === undefined)) {
        problems.push(`${where}: missing liveness or readiness probe`);
      }
      if (container.image !== undefined && !/:[A-Za-z0-9._-]+(@sha256:[a-f0-9]{64})?$|@sha256:[a-f0-9]{64}$/.test(container.image)) {
        problems.push(`${where}: image ${container.image} is not pinned`);
      }
    }
  }
  return problems;
}

/** Checks whether a recorded value, or any value inside it, is wrapped as a Pulumi secret. */
export function containsSecret(value: unknown): boolean {
  if (isSecretValue(value)) {
    return true;
  }
  if (typeof value === "object" && value !== null) {
    return Object.values(value).some(containsSecret);
  }
  return false;
}
