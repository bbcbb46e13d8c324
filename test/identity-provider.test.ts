import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { IdentityProvider, identityRoutes, type IdentityProviderArgs } from "../components/identity-provider";
import { mergeKratosConfigFiles } from "../components/kratos-config";
import type { Platform } from "../components/platform";
import { Postgres } from "../components/postgres";
import { findRouteProblems, internalOnlyPorts } from "../components/routes";
import { configHashAnnotation } from "../components/workload";
import { created, ofType, resetRecords, resolved, settled, unwrapSecrets, useMocks, type RecordedResource } from "./mocks";
import { describeWithSchemas, validateKratosConfig, validateKubernetesObject } from "./schemas";

const deploymentType = "kubernetes:apps/v1:Deployment";
const statefulSetType = "kubernetes:apps/v1:StatefulSet";
const jobType = "kubernetes:batch/v1:Job";
const configMapType = "kubernetes:core/v1:ConfigMap";
const secretType = "kubernetes:core/v1:Secret";
const serviceType = "kubernetes:core/v1:Service";
const passwordType = "random:index/randomPassword:RandomPassword";

const externalDsn = "postgres://kratos:external-password-0123456789@rds.example.com:5432/kratos?sslmode=require";

function fakePlatform(name: string, options: { external?: boolean; spreadAcrossZones?: boolean } = {}): Platform {
  return {
    kubernetesProvider: new k8s.Provider(`${name}-provider`, {}),
    gatewayExposure: { serviceType: "NodePort", serviceAnnotations: {}, externalTrafficPolicy: "Cluster" },
    identityDatabase: options.external ? { kind: "external", dsn: pulumi.secret(externalDsn) } : { kind: "in-cluster" },
    storageClassName: "standard",
    publicCertificate: { kind: "issued-by-program" },
    availability: { replicas: options.spreadAcrossZones ? 2 : 1, spreadAcrossZones: options.spreadAcrossZones ?? false },
  };
}

function baseArgs(name: string, platformOptions: Parameters<typeof fakePlatform>[1] = {}): IdentityProviderArgs {
  return {
    platform: fakePlatform(name, platformOptions),
    appHost: "app.gateway.localhost",
    adminHost: "admin.gateway.localhost",
    allowedReturnUrls: ["https://app.gateway.localhost/", "https://app.gateway.localhost/api"],
    mail: { kind: "catcher" },
  };
}

async function deploy(name: string, overrides: Partial<IdentityProviderArgs> = {}, platformOptions: Parameters<typeof fakePlatform>[1] = {}): Promise<IdentityProvider> {
  const provider = new IdentityProvider(name, { ...baseArgs(name, platformOptions), ...overrides });
  await resolved(provider.namespace);
  await settled();
  return provider;
}

function one(type: string, name: string): RecordedResource {
  const matches = ofType(type).filter((resource) => resource.name === name);
  expect(matches, `${type} ${name}`).toHaveLength(1);
  return matches[0]!;
}

/** Returns the config that Kratos loads: the ConfigMap file merged with the Secret file. */
function mergedKratosConfig(name: string): any {
  const main = parse(one(configMapType, `${name}-kratos-config`).inputs.data["kratos.yml"]);
  const secrets = parse(unwrapSecrets(one(secretType, `${name}-kratos-secrets`).inputs.stringData)["secrets.yml"]);
  return mergeKratosConfigFiles(main, secrets);
}

function workloads(): RecordedResource[] {
  return [...ofType(deploymentType), ...ofType(statefulSetType), ...ofType(jobType)];
}

function podSpec(resource: RecordedResource): any {
  return resource.inputs.spec.template.spec;
}

// One mock runtime for the whole file, because a second setMocks would forget the resources that
// earlier tests are still registering.
beforeAll(() => useMocks());
beforeEach(resetRecords);

describe("IdentityProvider", () => {

  it("exposes in-cluster and browser URLs", async () => {
    const identity = await deploy("urls");
    expect(await resolved(identity.namespace)).toBe("identity");
    expect(await resolved(identity.sessionCheckUrl)).toBe("http://kratos-public.identity.svc.cluster.local:4433/sessions/whoami");
    expect(identity.sessionCookieName).toBe("ory_kratos_session");
    expect(identity.browserLoginUrl).toBe("https://app.gateway.localhost/.ory/kratos/public/self-service/login/browser");
    expect(await resolved(identity.publicBaseUrl)).toBe("https://app.gateway.localhost/.ory/kratos/public/");
    expect(await resolved(identity.adminBaseUrl)).toBe("http://kratos-admin.identity.svc.cluster.local:4434/");
  });

  it("uses custom namespace in URLs", async () => {
    const identity = await deploy("custom-ns", { namespace: "auth" });
    expect(await resolved(identity.namespace)).toBe("auth");
    expect(await resolved(identity.sessionCheckUrl)).toBe("http://kratos-public.auth.svc.cluster.local:4433/sessions/whoami");
    expect(identity.routes.every((route) => route.backend.kind !== "service" || route.backend.namespace === "auth")).toBe(true);
  });

  it("routes equal identityRoutes output", async () => {
    const identity = await deploy("routes");
    expect(identity.routes).toEqual(identityRoutes({ appHost: "app.gateway.localhost", adminHost: "admin.gateway.localhost", mailCatcher: true }));
  });

  it("fixes names of referenced services", async () => {
    await deploy("services");
    const names = ofType(serviceType).map((service) => service.inputs.metadata.name).filter((name) => name !== undefined).sort();
    expect(names).toEqual(["kratos-admin", "kratos-postgres", "kratos-public", "kratos-ui", "mailpit"]);
    for (const service of ofType(serviceType)) {
      expect(service.inputs.spec.type, service.name).toBe("ClusterIP");
    }
  });

  it("routes to the ports services expose", async () => {
    const identity = await deploy("ports");
    for (const route of identity.routes) {
      if (route.backend.kind !== "service") {
        continue;
      }
      const backend = route.backend;
      const service = ofType(serviceType).find((resource) => resource.inputs.metadata.name === backend.service);
      expect(service, route.name).toBeDefined();
      expect(service!.inputs.spec.ports.map((port: { port: number }) => port.port), route.name).toContain(backend.port);
    }
  });

  it("gives every child the platform provider", async () => {
    await deploy("provider");
    const kubernetesChildren = created.filter((resource) => resource.type.startsWith("kubernetes:"));
    expect(kubernetesChildren.length).toBeGreaterThan(10);
    for (const resource of kubernetesChildren) {
      expect(resource.provider, resource.name).toMatch(/provider-provider::provider-provider-id$/);
    }
  });

  it("runs migration before serve", async () => {
    await deploy("migrate");
    const job = one(jobType, "migrate-migrate");
    const serve = one(deploymentType, "migrate-kratos");
    const courier = one(deploymentType, "migrate-courier");

    expect(job.inputs.spec.template.spec.containers[0].args.slice(0, 5)).toEqual(["migrate", "sql", "up", "-e", "--yes"]);
    // The Deployments wait for the Job, so they register after it and record its id.
    expect(created.indexOf(serve)).toBeGreaterThan(created.indexOf(job));
    expect(created.indexOf(courier)).toBeGreaterThan(created.indexOf(job));
    expect(serve.inputs.metadata.annotations["apigw.dev/migration-job"]).toBe("migrate-migrate-id");
  });

  it("waits for in-cluster Postgres before migrating", async () => {
    await deploy("order");
    const statefulSet = one(statefulSetType, "order-postgres-statefulset");
    const job = one(jobType, "order-migrate");
    expect(created.indexOf(job)).toBeGreaterThan(created.indexOf(statefulSet));
  });

  it("runs exactly one courier", async () => {
    await deploy("courier");
    const courier = one(deploymentType, "courier-courier");
    expect(courier.inputs.spec.replicas).toBe(1);
    expect(courier.inputs.spec.strategy).toEqual({ type: "Recreate" });
    expect(podSpec(courier).containers[0].args.slice(0, 2)).toEqual(["courier", "watch"]);
  });

  it("serves with platform replica count", async () => {
    await deploy("replicas", {}, { spreadAcrossZones: true });
    expect(one(deploymentType, "replicas-kratos").inputs.spec.replicas).toBe(2);
    expect(one(deploymentType, "replicas-ui").inputs.spec.replicas).toBe(2);
    expect(podSpec(one(deploymentType, "replicas-kratos")).containers[0].args).not.toContain("--watch-courier");
    expect(podSpec(one(deploymentType, "replicas-kratos")).containers[0].args).not.toContain("--dev");
  });

  it("spreads pods across zones when set", async () => {
    await deploy("spread", {}, { spreadAcrossZones: true });
    const budgets = ofType("kubernetes:policy/v1:PodDisruptionBudget").map((budget) => budget.name).sort();
    expect(budgets).toEqual(["spread-kratos-pdb", "spread-ui-pdb"]);
    const constraint = podSpec(one(deploymentType, "spread-kratos")).topologySpreadConstraints[0];
    expect(constraint.topologyKey).toBe("topology.kubernetes.io/zone");
  });

  it("skips spread on single-zone platform", async () => {
    await deploy("single");
    expect(ofType("kubernetes:policy/v1:PodDisruptionBudget")).toHaveLength(0);
    expect(podSpec(one(deploymentType, "single-kratos")).topologySpreadConstraints).toBeUndefined();
  });

  it("creates Postgres only in-cluster", async () => {
    await deploy("incluster");
    expect(ofType(statefulSetType)).toHaveLength(1);
    const postgres = one(statefulSetType, "incluster-postgres-statefulset");
    expect(postgres.inputs.spec.volumeClaimTemplates[0].spec.storageClassName).toBe("standard");
    expect(mergedKratosConfig("incluster").dsn).toMatch(/^postgres:\/\/kratos:[A-Za-z0-9]{32}@kratos-postgres\.identity\.svc\.cluster\.local:5432\/kratos\?sslmode=disable&/);

    resetRecords();
    await deploy("external", {}, { external: true });
    expect(ofType(statefulSetType)).toHaveLength(0);
    expect(created.filter((resource) => resource.type === "apigw:index:Postgres")).toHaveLength(0);
    expect(mergedKratosConfig("external").dsn).toBe(externalDsn);
  });

  it("runs Postgres as non-root with pg_isready", async () => {
    await deploy("pg");
    const spec = podSpec(one(statefulSetType, "pg-postgres-statefulset"));
    expect(spec.securityContext.runAsUser).toBe(70);
    const container = spec.containers[0];
    expect(container.readinessProbe.exec.command[0]).toBe("pg_isready");
    expect(container.livenessProbe.exec.command[0]).toBe("pg_isready");
    expect(container.env.find((variable: { name: string }) => variable.name === "PGDATA").value).toBe("/var/lib/postgresql/data/pgdata");
    expect(container.volumeMounts.map((mount: { mountPath: string }) => mount.mountPath)).toEqual(["/var/lib/postgresql/data", "/var/run/postgresql", "/tmp"]);
  });

  it("sends catcher mail to Mailpit", async () => {
    await deploy("catcher");
    expect(mergedKratosConfig("catcher").courier.smtp.connection_uri).toBe(
      "smtp://mailpit.identity.svc.cluster.local:1025/?disable_starttls=true",
    );
    const mailpit = podSpec(one(deploymentType, "catcher-mailpit")).containers[0];
    expect(mailpit.env).toContainEqual({ name: "MP_WEBROOT", value: "/mail" });
    expect(mailpit.readinessProbe.httpGet.path).toBe("/mail/readyz");
  });

  it("sends SMTP mail without catcher", async () => {
    const identity = await deploy("smtp", {
      mail: { kind: "smtp", connectionUri: pulumi.secret("smtps://user:smtp-password@mail.example.com:465/"), fromAddress: "no-reply@example.com" },
    });
    const config = mergedKratosConfig("smtp");
    expect(config.courier.smtp.connection_uri).toBe("smtps://user:smtp-password@mail.example.com:465/");
    expect(config.courier.smtp.from_address).toBe("no-reply@example.com");
    expect(ofType(deploymentType).map((deployment) => deployment.name)).not.toContain("smtp-mailpit");
    expect(identity.routes.map((route) => route.name)).not.toContain("mail-catcher");
  });

  it("keeps secrets out of ConfigMaps", async () => {
    await deploy("secrets", {
      google: { clientId: "client.apps.googleusercontent.com", clientSecret: pulumi.secret("google-client-secret-value") },
    });
    const secretValues = [
      ...ofType(passwordType).map((password) => password.state.result as string),
      mergedKratosConfig("secrets").dsn as string,
      "google-client-secret-value",
    ];
    expect(ofType(passwordType)).toHaveLength(6);
    const configMapText = ofType(configMapType)
      .map((configMap) => JSON.stringify(configMap.inputs.data))
      .join("\n");
    for (const value of secretValues) {
      expect(value.length).toBeGreaterThanOrEqual(16);
      expect(configMapText).not.toContain(value);
    }
  });

  it("reads every secret from Secrets", async () => {
    await deploy("secret-refs");
    const ui = podSpec(one(deploymentType, "secret-refs-ui")).containers[0];
    for (const name of ["COOKIE_SECRET", "CSRF_COOKIE_SECRET"]) {
      const variable = ui.env.find((entry: { name: string }) => entry.name === name);
      expect(variable.valueFrom.secretKeyRef.key, name).toBe(name);
      expect(variable.value, name).toBeUndefined();
    }
    const kratos = podSpec(one(deploymentType, "secret-refs-kratos"));
    const secretsVolume = kratos.volumes.find((volume: { name: string }) => volume.name === "secrets");
    expect(secretsVolume.secret).toBeDefined();
    expect(secretsVolume.configMap).toBeUndefined();
    expect(kratos.containers[0].env).toBeUndefined();
  });

  it("keeps Postgres DSN secret", async () => {
    const postgres = new Postgres("dsn", { platform: fakePlatform("dsn"), namespace: "identity", image: "docker.io/library/postgres:17.6-alpine", database: "kratos" });
    expect(await pulumi.isSecret(postgres.dsn)).toBe(true);
  });

  it("sizes Kratos keys for the schema", async () => {
    await deploy("keys");
    const secrets = mergedKratosConfig("keys").secrets;
    expect(secrets.cipher[0]).toHaveLength(32);
    expect(secrets.cookie[0].length).toBeGreaterThanOrEqual(16);
    expect(secrets.default[0].length).toBeGreaterThanOrEqual(16);
  });

  it("adds Google mapper only when configured", async () => {
    await deploy("no-google");
    expect(Object.keys(one(configMapType, "no-google-kratos-config").inputs.data).sort()).toEqual(["identity.schema.json", "kratos.yml"]);
    expect(mergedKratosConfig("no-google").selfservice.methods.oidc.enabled).toBe(false);

    await deploy("google", { google: { clientId: "client-id", clientSecret: pulumi.secret("google-secret") } });
    const data = one(configMapType, "google-kratos-config").inputs.data;
    expect(data["oidc.google.jsonnet"]).toContain("claims.email_verified == true");
    const provider = mergedKratosConfig("google").selfservice.methods.oidc.config.providers[0];
    expect(provider).toMatchObject({ id: "google", provider: "google", client_id: "client-id", client_secret: "google-secret" });
  });

  it("rolls pods when config changes", async () => {
    await deploy("hash-a");
    await deploy("hash-b", { allowedReturnUrls: ["https://other.gateway.localhost/"] });
    const hash = (name: string) => one(deploymentType, name).inputs.spec.template.metadata.annotations[configHashAnnotation];
    expect(hash("hash-a-kratos")).toMatch(/^[0-9a-f]{64}$/);
    expect(hash("hash-a-kratos")).not.toBe(hash("hash-b-kratos"));
    for (const name of ["hash-a-kratos", "hash-a-courier"]) {
      expect(hash(name), name).toBe(hash("hash-a-kratos"));
    }
    expect(one(jobType, "hash-a-migrate").inputs.spec.template.metadata.annotations[configHashAnnotation]).toBe(hash("hash-a-kratos"));
    expect(hash("hash-a-ui")).toMatch(/^[0-9a-f]{64}$/);
    expect(one(statefulSetType, "hash-a-postgres-statefulset").inputs.spec.template.metadata.annotations[configHashAnnotation]).toMatch(/^[0-9a-f]{64}$/);
  });

  it("restricts every container", async () => {
    await deploy("secure", { google: { clientId: "id", clientSecret: "secret" } });
    expect(workloads().length).toBe(6);
    for (const workload of workloads()) {
      const spec = podSpec(workload);
      expect(spec.securityContext.runAsNonRoot, workload.name).toBe(true);
      expect(spec.securityContext.seccompProfile, workload.name).toEqual({ type: "RuntimeDefault" });
      expect(spec.automountServiceAccountToken, workload.name).toBe(false);
      for (const container of spec.containers) {
        const label = `${workload.name}/${container.name}`;
        expect(container.securityContext.readOnlyRootFilesystem, label).toBe(true);
        expect(container.securityContext.allowPrivilegeEscalation, label).toBe(false);
        expect(container.securityContext.capabilities, label).toEqual({ drop: ["ALL"] });
        expect(container.resources.requests, label).toBeDefined();
        expect(container.resources.limits, label).toBeDefined();
        expect(container.image, label).toMatch(/:[\w.-]+$/);
      }
    }
  });

  it("probes every long-running container", async () => {
    await deploy("probes");
    const longRunning = [...ofType(deploymentType), ...ofType(statefulSetType)];
    expect(longRunning.length).toBe(5);
    for (const workload of longRunning) {
      for (const container of podSpec(workload).containers) {
        expect(container.livenessProbe, `${workload.name}/${container.name}`).toBeDefined();
        expect(container.readinessProbe, `${workload.name}/${container.name}`).toBeDefined();
      }
    }
    // The migration Job is bounded by a deadline instead of probes.
    expect(one(jobType, "probes-migrate").inputs.spec.activeDeadlineSeconds).toBeGreaterThan(0);
  });

  it("probes Kratos on admin health", async () => {
    await deploy("health");
    const kratos = podSpec(one(deploymentType, "health-kratos")).containers[0];
    expect(kratos.livenessProbe.httpGet).toEqual({ path: "/admin/health/alive", port: "http-admin" });
    expect(kratos.readinessProbe.httpGet).toEqual({ path: "/admin/health/ready", port: "http-admin" });
    expect(kratos.args.slice(0, 2)).toEqual(["serve", "--sqa-opt-out"]);
  });

  it("gives UI separate server and browser URLs", async () => {
    await deploy("ui");
    const env = podSpec(one(deploymentType, "ui-ui")).containers[0].env;
    expect(env).toContainEqual({ name: "KRATOS_PUBLIC_URL", value: "http://kratos-public.identity.svc.cluster.local:4433/" });
    expect(env).toContainEqual({ name: "KRATOS_BROWSER_URL", value: "https://app.gateway.localhost/.ory/kratos/public" });
    expect(env).toContainEqual({ name: "PORT", value: "4455" });
  });

  it("enforces restricted pod security", async () => {
    await deploy("pss");
    const namespace = one("kubernetes:core/v1:Namespace", "pss-namespace");
    expect(namespace.inputs.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
  });
});

describe("IdentityProvider args", () => {
  const cases: Array<[string, Partial<IdentityProviderArgs>, string]> = [
    ["empty app host", { appHost: "" }, 'appHost "" is invalid. Use a lower-case hostname such as app.example.com'],
    ["upper-case admin host", { adminHost: "Admin.Example.com" }, 'adminHost "Admin.Example.com" is invalid. Use a lower-case hostname such as app.example.com'],
    [
      "same app and admin host",
      { adminHost: "app.gateway.localhost" },
      'appHost and adminHost are both "app.gateway.localhost". Use two hosts, because every route on the admin host requires a client certificate',
    ],
    [
      "http return URL",
      { allowedReturnUrls: ["http://app.gateway.localhost/"] },
      'allowedReturnUrls entry "http://app.gateway.localhost/" is not an https URL. Use an https URL such as https://app.example.com/',
    ],
    [
      "wildcard return URL",
      { allowedReturnUrls: ["https://*.gateway.localhost/"] },
      'allowedReturnUrls entry "https://*.gateway.localhost/" contains a wildcard. List each URL explicitly',
    ],
    [
      "relative return URL",
      { allowedReturnUrls: ["/dashboard"] },
      'allowedReturnUrls entry "/dashboard" is not a URL. Use an https URL such as https://app.example.com/',
    ],
    [
      "http default return URL",
      { defaultReturnUrl: "http://app.gateway.localhost/" },
      'defaultReturnUrl "http://app.gateway.localhost/" is not an https URL. Use an https URL such as https://app.example.com/',
    ],
    [
      "cookie domain elsewhere",
      { cookieDomain: "example.com" },
      'cookieDomain "example.com" does not cover appHost "app.gateway.localhost". Use appHost itself or one of its parent domains, or leave cookieDomain unset',
    ],
    [
      "cookie domain suffix only",
      { cookieDomain: "way.localhost" },
      'cookieDomain "way.localhost" does not cover appHost "app.gateway.localhost". Use appHost itself or one of its parent domains, or leave cookieDomain unset',
    ],
    [
      "empty Google client id",
      { google: { clientId: " ", clientSecret: "secret" } },
      "google.clientId is empty. Set the OAuth client ID from the Google Cloud console, or leave google unset",
    ],
    [
      "invalid sender address",
      { mail: { kind: "smtp", connectionUri: "smtp://mail:25/", fromAddress: "nobody" } },
      'mail.fromAddress "nobody" is invalid. Use an email address such as no-reply@example.com',
    ],
    ["invalid namespace", { namespace: "Identity_NS" }, 'namespace "Identity_NS" is invalid. Use a DNS-1123 label such as identity'],
  ];

  for (const [title, overrides, message] of cases) {
    it(`rejects ${title}`, () => {
      const construct = () => new IdentityProvider("bad", { ...baseArgs("bad"), ...overrides });
      expect(construct).toThrow(pulumi.ResourceError);
      expect(construct).toThrow(`Invalid IdentityProvider args:\n- ${message}`);
    });
  }

  it("lists every problem at once", () => {
    const construct = () => new IdentityProvider("many", { ...baseArgs("many"), appHost: "", cookieDomain: "example.com", namespace: "A" });
    expect(construct).toThrow(/appHost "" is invalid[\s\S]*cookieDomain "example.com"[\s\S]*namespace "A" is invalid/);
  });

  it("accepts parent cookie domains", async () => {
    for (const [index, cookieDomain] of ["gateway.localhost", ".gateway.localhost", "app.gateway.localhost"].entries()) {
      const identity = new IdentityProvider(`cookie-${index}`, { ...baseArgs(`cookie-${index}`), cookieDomain });
      expect(await resolved(identity.publicBaseUrl), cookieDomain).toBe("https://app.gateway.localhost/.ory/kratos/public/");
    }
    await settled();
  });

  it("never puts secrets in messages", () => {
    const construct = () =>
      new IdentityProvider("leak", {
        ...baseArgs("leak"),
        mail: { kind: "smtp", connectionUri: "smtp://user:super-secret@mail:25/", fromAddress: "bad" },
      });
    expect(construct).toThrow();
    try {
      construct();
    } catch (error) {
      expect(String(error)).not.toContain("super-secret");
    }
  });
});

describe("identityRoutes", () => {
  it.each([true, false])("stays consistent with mail catcher %s", (mailCatcher) => {
    const routes = identityRoutes({ appHost: "app.example.com", adminHost: "admin.example.com", mailCatcher });
    expect(findRouteProblems(routes)).toEqual([]);
    expect(routes.map((route) => route.name)).toEqual(mailCatcher ? ["kratos-public", "login-ui", "mail-catcher"] : ["kratos-public", "login-ui"]);
    for (const route of routes) {
      if (route.backend.kind === "service") {
        expect(internalOnlyPorts, route.name).not.toContain(route.backend.port);
      }
    }
  });

  it("strips the Kratos public prefix", () => {
    const routes = identityRoutes({ appHost: "app.example.com", adminHost: "admin.example.com", mailCatcher: true });
    expect(routes.find((route) => route.name === "kratos-public")).toEqual({
      name: "kratos-public",
      host: "app.example.com",
      pathPrefix: "/.ory/kratos/public",
      access: "public",
      stripPrefix: true,
      backend: { kind: "service", namespace: "identity", service: "kratos-public", port: 4433 },
    });
  });

  it("puts mail catcher behind mTLS", () => {
    const routes = identityRoutes({ appHost: "app.example.com", adminHost: "admin.example.com", mailCatcher: true, namespace: "auth" });
    expect(routes.find((route) => route.name === "mail-catcher")).toEqual({
      name: "mail-catcher",
      host: "admin.example.com",
      pathPrefix: "/mail",
      access: "mtls",
      backend: { kind: "service", namespace: "auth", service: "mailpit", port: 8025 },
    });
  });
});

describeWithSchemas("IdentityProvider schemas", () => {
  it("generates valid Kratos config", async () => {
    await deploy("schema", { google: { clientId: "id", clientSecret: "secret" }, cookieDomain: "gateway.localhost" });
    expect(validateKratosConfig(mergedKratosConfig("schema"))).toEqual([]);
  });

  it("every Kubernetes object validates", async () => {
    await deploy("k8s-schema", { google: { clientId: "id", clientSecret: "secret" } }, { spreadAcrossZones: true });
    const objects = created.filter((resource) => resource.custom && resource.type.startsWith("kubernetes:") && resource.type !== "pulumi:providers:kubernetes");
    expect(objects.length).toBeGreaterThan(15);
    for (const resource of objects) {
      // The provider names auto-named objects, so give them a stand-in name for the check.
      const inputs = unwrapSecrets(resource.inputs);
      const object = { ...inputs, metadata: { name: `${resource.name}-generated`, ...inputs.metadata } };
      expect(validateKubernetesObject(object), resource.name).toEqual([]);
    }
  });
});

describe("IdentityProvider network isolation", () => {
  beforeAll(() => useMocks());
  beforeEach(() => resetRecords());

  it("opens only routed ports to other namespaces", async () => {
    await deploy("identity");
    const policies = ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy");
    expect(policies).toHaveLength(1);
    const spec = policies[0]!.inputs.spec;
    expect(spec.podSelector).toEqual({});
    expect(spec.policyTypes).toEqual(["Ingress"]);
    // From anywhere: the Kratos public API, the UI and the mail catcher's web UI only.
    expect(spec.ingress[0]).toEqual({
      ports: [
        { port: 4433, protocol: "TCP" },
        { port: 4455, protocol: "TCP" },
        { port: 8025, protocol: "TCP" },
      ],
    });
    // Everything else, including the admin API on 4434 and Postgres, only from this namespace.
    expect(spec.ingress[1]).toEqual({ from: [{ podSelector: {} }] });
    expect(JSON.stringify(spec.ingress[0])).not.toContain("4434");
    expect(JSON.stringify(spec.ingress[0])).not.toContain("5432");
  });
});
