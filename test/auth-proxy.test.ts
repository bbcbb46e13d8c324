import * as crypto from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AuthProxy, type AuthProxyArgs } from "../components/auth-proxy";
import type { Platform } from "../components/platform";
import type { Route } from "../components/routes";
import { defaultImages } from "../components/versions";
import { configHashAnnotation, restrictedContainerSecurityContext } from "../components/workload";
import { type RecordedResource, created, isSecretValue, named, ofType, resetRecords, resolved, settled, unwrapSecrets, useMocks } from "./mocks";
import { checkRuleProperties } from "./oathkeeper-matcher";
import { describeWithSchemas, validateKubernetesObject, validateOathkeeperConfig } from "./schemas";

const service = { kind: "service", namespace: "apps", service: "backend", port: 8080 } as const;

const routes: Route[] = [
  { name: "login-ui", host: "app.example.test", pathPrefix: "/", access: "public", backend: service },
  { name: "kratos-public", host: "app.example.test", pathPrefix: "/.ory/kratos/public", access: "public", stripPrefix: true, backend: service },
  { name: "orders-api", host: "app.example.test", pathPrefix: "/api", access: "session", stripPrefix: true, backend: service },
  { name: "api-docs", host: "app.example.test", pathPrefix: "/api/docs", access: "public", backend: service },
  { name: "reports", host: "reports.example.test", pathPrefix: "/", access: "session", backend: service },
  { name: "dashboard", host: "admin.example.test", pathPrefix: "/dashboard", access: "mtls", backend: { kind: "traefik-api" } },
];

const secretType = "kubernetes:core/v1:Secret";
const configMapType = "kubernetes:core/v1:ConfigMap";
const serviceType = "kubernetes:core/v1:Service";
const deploymentType = "kubernetes:apps/v1:Deployment";
const pdbType = "kubernetes:policy/v1:PodDisruptionBudget";

let provider: k8s.Provider;

function fakePlatform(availability: Platform["availability"] = { replicas: 1, spreadAcrossZones: false }): Platform {
  return {
    kubernetesProvider: provider,
    gatewayExposure: { serviceType: "NodePort", serviceAnnotations: {}, nodePorts: { http: 30080, https: 30443 }, externalTrafficPolicy: "Cluster" },
    identityDatabase: { kind: "in-cluster" },
    publicCertificate: { kind: "issued-by-program" },
    availability,
  };
}

function authProxyArgs(overrides: Partial<AuthProxyArgs> = {}): AuthProxyArgs {
  return {
    platform: fakePlatform(),
    routes,
    sessionCheckUrl: "http://kratos-public.identity.svc.cluster.local:4433/sessions/whoami",
    sessionCookieName: "ory_kratos_session",
    loginUrl: "https://app.example.test/.ory/kratos/public/self-service/login/browser",
    issuerUrl: "https://app.example.test/",
    audience: "apigw",
    ...overrides,
  };
}

/** Builds an AuthProxy and waits until every child is registered. */
async function buildAuthProxy(overrides: Partial<AuthProxyArgs> = {}, name = "auth"): Promise<AuthProxy> {
  const proxy = new AuthProxy(name, authProxyArgs(overrides));
  await resolved(proxy.decisionsUrl);
  await resolved(proxy.signingKeySet);
  await settled();
  return proxy;
}

function kubernetesResources(): RecordedResource[] {
  return created.filter((resource) => resource.type.startsWith("kubernetes:") && resource.type !== "pulumi:providers:kubernetes");
}

function podTemplate(): Record<string, any> {
  const deployments = ofType(deploymentType);
  expect(deployments).toHaveLength(1);
  return deployments[0]!.inputs.spec.template;
}

function storedKeySet(): string {
  return unwrapSecrets(named("auth-jwks").inputs.stringData)["jwks.json"] as string;
}

function configMapData(): Record<string, string> {
  return named("auth-config").inputs.data as Record<string, string>;
}

describe("AuthProxy", () => {
  beforeAll(async () => {
    await useMocks();
    provider = new k8s.Provider("fake", {});
  });
  beforeEach(resetRecords);

  describe("outputs", () => {
    it("decisions URL uses port 4456", async () => {
      const proxy = await buildAuthProxy();
      expect(await resolved(proxy.decisionsUrl)).toBe("http://oathkeeper-api.auth.svc.cluster.local:4456/decisions");
      expect(await resolved(proxy.jwksUrl)).toBe("http://oathkeeper-api.auth.svc.cluster.local:4456/.well-known/jwks.json");
      expect(await resolved(proxy.namespace)).toBe("auth");
    });

    it("custom namespace changes the URLs", async () => {
      const proxy = await buildAuthProxy({ namespace: "gateway-auth" });
      expect(await resolved(proxy.decisionsUrl)).toBe("http://oathkeeper-api.gateway-auth.svc.cluster.local:4456/decisions");
      expect(named("auth-ns").inputs.metadata.name).toBe("gateway-auth");
    });

    it("access rules cover session routes", async () => {
      const proxy = await buildAuthProxy();
      expect(proxy.accessRules.map((rule) => rule.id)).toEqual(["orders-api", "reports"]);
      expect(JSON.parse(configMapData()["access-rules.json"]!)).toEqual(proxy.accessRules);
    });

    it("rules agree with Traefik's routing", async () => {
      const proxy = await buildAuthProxy();
      expect(checkRuleProperties(routes, proxy.accessRules)).toEqual([]);
    });
  });

  describe("API exposure", () => {
    it("names the API Service oathkeeper-api", async () => {
      await buildAuthProxy();
      const services = ofType(serviceType);
      expect(services).toHaveLength(1);
      expect(services[0]!.inputs.metadata).toMatchObject({ name: "oathkeeper-api", namespace: "auth" });
    });

    it("keeps the API cluster-internal", async () => {
      await buildAuthProxy();
      for (const resource of ofType(serviceType)) {
        expect(resource.inputs.spec.type).toBe("ClusterIP");
        expect(resource.inputs.spec.ports).toEqual([{ name: "api", port: 4456, targetPort: "api", protocol: "TCP" }]);
        for (const port of resource.inputs.spec.ports as Array<Record<string, unknown>>) {
          expect(port).not.toHaveProperty("nodePort");
        }
      }
    });

    it("exposes no proxy port", async () => {
      await buildAuthProxy();
      const container = podTemplate().spec.containers[0];
      expect(container.ports).toEqual([{ name: "api", containerPort: 4456, protocol: "TCP" }]);
      const config = parse(configMapData()["config.yaml"]!) as Record<string, any>;
      expect(config.serve.proxy.host).toBe("127.0.0.1");
    });
  });

  describe("signing key", () => {
    it("generates an ECDSA P256 key", async () => {
      await buildAuthProxy();
      const key = named("auth-signing-key");
      expect(key.inputs).toEqual({ algorithm: "ECDSA", ecdsaCurve: "P256" });
      // A Kubernetes provider cannot manage a tls resource, so the key takes the default tls provider.
      expect(key.provider ?? "").not.toMatch(/::fake::/);
    });

    it("stores the private JWKS in a Secret", async () => {
      await buildAuthProxy();
      const secret = named("auth-jwks");
      expect(secret.type).toBe(secretType);
      expect(secret.inputs.metadata).toMatchObject({ name: "oathkeeper-jwks", namespace: "auth" });
      expect(isSecretValue(secret.inputs.stringData)).toBe(true);
      const keySet = JSON.parse(storedKeySet()) as { keys: Array<Record<string, string>> };
      expect(keySet.keys).toHaveLength(1);
      expect(keySet.keys[0]).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
      expect(typeof keySet.keys[0]!.d).toBe("string");
    });

    it("JWKS matches the generated key", async () => {
      await buildAuthProxy();
      const keySet = JSON.parse(storedKeySet()) as { keys: crypto.JsonWebKey[] };
      const fromJwk = crypto.createPrivateKey({ key: keySet.keys[0]!, format: "jwk" });
      const fromPem = crypto.createPrivateKey(named("auth-signing-key").state.privateKeyPem as string);
      expect(fromJwk.export({ format: "jwk" })).toEqual(fromPem.export({ format: "jwk" }));
    });

    it("marks the key set secret", async () => {
      const proxy = await buildAuthProxy();
      expect(await pulumi.isSecret(proxy.signingKeySet)).toBe(true);
      expect(await pulumi.isSecret(proxy.publicKeySet)).toBe(false);
    });

    it("public key set has no private members", async () => {
      const proxy = await buildAuthProxy();
      const keySet = JSON.parse(await resolved(proxy.publicKeySet)) as { keys: Array<Record<string, string>> };
      expect(keySet.keys).toHaveLength(1);
      expect(keySet.keys[0]).not.toHaveProperty("d");
      expect(Object.keys(keySet.keys[0]!).sort()).toEqual(["alg", "crv", "kid", "kty", "use", "x", "y"]);
    });

    it("no key material in ConfigMaps", async () => {
      await buildAuthProxy();
      const privateJwk = JSON.parse(storedKeySet()).keys[0] as Record<string, string>;
      const privateKeyPem = named("auth-signing-key").state.privateKeyPem as string;
      const configMaps = ofType(configMapType);
      expect(configMaps.length).toBeGreaterThan(0);
      for (const configMap of configMaps) {
        const text = JSON.stringify(configMap.inputs);
        expect(text).not.toContain(privateJwk.d);
        expect(text).not.toContain("PRIVATE KEY");
        expect(text).not.toContain(privateKeyPem.split("\n")[1]);
      }
    });
  });

  describe("pods", () => {
    it("run non-root and locked down", async () => {
      await buildAuthProxy();
      const spec = podTemplate().spec;
      expect(spec.automountServiceAccountToken).toBe(false);
      expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: "RuntimeDefault" } });
      const container = spec.containers[0];
      expect(container.securityContext).toEqual(restrictedContainerSecurityContext());
      expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    });

    it("probe health on the API port", async () => {
      await buildAuthProxy();
      const container = podTemplate().spec.containers[0];
      expect(container.livenessProbe.httpGet).toEqual({ path: "/health/alive", port: "api" });
      expect(container.readinessProbe.httpGet).toEqual({ path: "/health/ready", port: "api" });
    });

    it("set requests and limits", async () => {
      await buildAuthProxy();
      const resources = podTemplate().spec.containers[0].resources;
      expect(resources.requests).toEqual({ cpu: "50m", memory: "128Mi" });
      expect(resources.limits).toEqual({ cpu: "200m", memory: "128Mi" });
    });

    it("use the pinned image", async () => {
      await buildAuthProxy();
      expect(podTemplate().spec.containers[0].image).toBe(defaultImages.oathkeeper);
      resetRecords();
      await buildAuthProxy({ image: "registry.example.test/oathkeeper:v26.2.0" });
      expect(podTemplate().spec.containers[0].image).toBe("registry.example.test/oathkeeper:v26.2.0");
    });

    it("mount config and key read-only", async () => {
      await buildAuthProxy();
      const spec = podTemplate().spec;
      const container = spec.containers[0];
      expect(container.args).toEqual(["serve", "--config", "/etc/oathkeeper/config/config.yaml"]);
      expect(container.volumeMounts).toEqual([
        { name: "config", mountPath: "/etc/oathkeeper/config", readOnly: true },
        { name: "jwks", mountPath: "/etc/oathkeeper/jwks", readOnly: true },
      ]);
      expect(spec.volumes).toEqual([
        { name: "config", configMap: { name: "oathkeeper-config" } },
        { name: "jwks", secret: { secretName: "oathkeeper-jwks", defaultMode: 0o440 } },
      ]);
      const config = parse(configMapData()["config.yaml"]!) as Record<string, any>;
      expect(config.mutators.id_token.config.jwks_url).toBe("file:///etc/oathkeeper/jwks/jwks.json");
      expect(config.access_rules.repositories).toEqual(["file:///etc/oathkeeper/config/access-rules.json"]);
    });

    it("config hash covers every input", async () => {
      await buildAuthProxy();
      const data = configMapData();
      const keySet = storedKeySet();
      const hash = crypto.createHash("sha256");
      for (const content of [data["config.yaml"]!, data["access-rules.json"]!, keySet]) {
        hash.update(content);
        hash.update("\0");
      }
      expect(podTemplate().metadata.annotations[configHashAnnotation]).toBe(hash.digest("hex"));
    });

    it("config hash changes with rules", async () => {
      await buildAuthProxy();
      const rulesBefore = configMapData()["access-rules.json"];
      const hashBefore = podTemplate().metadata.annotations[configHashAnnotation];
      resetRecords();

      await buildAuthProxy({ routes: routes.filter((route) => route.name !== "reports") });
      expect(configMapData()["access-rules.json"]).not.toBe(rulesBefore);
      expect(podTemplate().metadata.annotations[configHashAnnotation]).not.toBe(hashBefore);
    });

    it("one replica without spreading", async () => {
      await buildAuthProxy();
      expect(ofType(deploymentType)[0]!.inputs.spec.replicas).toBe(1);
      expect(podTemplate().spec).not.toHaveProperty("topologySpreadConstraints");
      expect(ofType(pdbType)).toEqual([]);
    });

    it("spread across zones when asked", async () => {
      await buildAuthProxy({ platform: fakePlatform({ replicas: 3, spreadAcrossZones: true }) });
      expect(ofType(deploymentType)[0]!.inputs.spec.replicas).toBe(3);
      const labels = { "app.kubernetes.io/name": "oathkeeper", "app.kubernetes.io/instance": "auth" };
      expect(podTemplate().spec.topologySpreadConstraints).toEqual([
        { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: labels } },
      ]);
      const budgets = ofType(pdbType);
      expect(budgets).toHaveLength(1);
      expect(budgets[0]!.inputs.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: labels } });
    });
  });

  describe("children", () => {
    it("use the platform provider", async () => {
      await buildAuthProxy();
      const resources = kubernetesResources();
      expect(resources.map((resource) => resource.name).sort()).toEqual(["auth-api", "auth-config", "auth-jwks", "auth-ns", "auth-oathkeeper"]);
      for (const resource of resources) {
        expect(resource.provider, resource.name).toMatch(/::fake::/);
      }
    });

    it("namespace enforces restricted pods", async () => {
      await buildAuthProxy();
      expect(named("auth-ns").inputs.metadata.labels).toEqual({ "pod-security.kubernetes.io/enforce": "restricted" });
    });
  });

  describeWithSchemas("schemas", () => {
    it("objects pass Kubernetes validation", async () => {
      await buildAuthProxy({ platform: fakePlatform({ replicas: 2, spreadAcrossZones: true }) });
      for (const resource of kubernetesResources()) {
        expect(validateKubernetesObject(unwrapSecrets(resource.inputs)), resource.name).toEqual([]);
      }
    });

    it("config passes Oathkeeper's schema", async () => {
      await buildAuthProxy();
      expect(validateOathkeeperConfig(parse(configMapData()["config.yaml"]!))).toEqual([]);
    });
  });

  describe("args", () => {
    const expectedMessages: Array<[string, Partial<AuthProxyArgs>, string]> = [
      [
        "http issuer",
        { issuerUrl: "http://app.example.test/" },
        'issuerUrl "http://app.example.test/" is invalid. Use an absolute https URL such as https://app.example.com/, which backends compare with the iss claim.',
      ],
      [
        "relative login URL",
        { loginUrl: "/login" },
        'loginUrl "/login" is invalid. Use the absolute https URL that starts a Kratos browser login flow, such as https://app.example.com/.ory/kratos/public/self-service/login/browser.',
      ],
      [
        "non-URL session check",
        { sessionCheckUrl: "kratos-public:4433" },
        'sessionCheckUrl "kratos-public:4433" is invalid. Use the absolute URL of Kratos\'s whoami endpoint, such as http://kratos-public.identity.svc.cluster.local:4433/sessions/whoami.',
      ],
      [
        "cookie name with space",
        { sessionCookieName: "ory session" },
        'sessionCookieName "ory session" is invalid. Use the Kratos session cookie name, such as ory_kratos_session.',
      ],
      [
        "audience with template",
        { audience: "{{ .Subject }}" },
        'audience "{{ .Subject }}" is invalid. Use 1 to 256 letters, digits or the characters . _ : / -, such as apigw.',
      ],
      [
        "ttl without unit",
        { tokenTtl: "600" },
        'tokenTtl "600" is invalid. Use a whole number with the unit ns, us, ms, s, m or h, such as 10m.',
      ],
      ["upper-case namespace", { namespace: "Auth" }, 'namespace "Auth" is invalid. Use a DNS-1123 label such as auth.'],
      [
        "session route with bad host",
        { routes: [...routes, { name: "odd", host: "Odd.example.test", pathPrefix: "/x", access: "session", backend: service }] },
        'route "odd" has an invalid host "Odd.example.test". Use a lower-case hostname such as app.example.com.',
      ],
      [
        "nested session routes",
        { routes: [...routes, { name: "orders-admin", host: "app.example.test", pathPrefix: "/api/admin", access: "session", backend: service }] },
        'session routes "orders-api" (/api) and "orders-admin" (/api/admin) on host "app.example.test" overlap',
      ],
    ];

    it.each(expectedMessages)("rejects %s", (_case, overrides, message) => {
      expect(() => new AuthProxy("bad", authProxyArgs(overrides))).toThrow(message);
    });

    it("lists every problem at once", () => {
      expect(() => new AuthProxy("bad", authProxyArgs({ issuerUrl: "x", loginUrl: "y" }))).toThrow(
        'Invalid AuthProxy args:\n- issuerUrl "x" is invalid.',
      );
      expect(() => new AuthProxy("bad", authProxyArgs({ issuerUrl: "x", loginUrl: "y" }))).toThrow('\n- loginUrl "y" is invalid.');
    });

    it("accepts a session check output", async () => {
      const proxy = await buildAuthProxy({ sessionCheckUrl: pulumi.output("http://kratos.identity:4433/sessions/whoami") });
      expect(proxy.accessRules).toHaveLength(2);
      const config = parse(configMapData()["config.yaml"]!) as Record<string, any>;
      expect(config.authenticators.cookie_session.config.check_session_url).toBe("http://kratos.identity:4433/sessions/whoami");
    });

    it("defaults the token lifetime", async () => {
      await buildAuthProxy();
      const config = parse(configMapData()["config.yaml"]!) as Record<string, any>;
      expect(config.mutators.id_token.config.ttl).toBe("10m");
    });
  });
});

describe("AuthProxy without session routes", () => {
  beforeAll(() => useMocks());
  beforeEach(() => resetRecords());

  it("writes an empty rule file", async () => {
    const proxy = await buildAuthProxy({ routes: routes.filter((route) => route.access !== "session") });
    expect(proxy.accessRules).toEqual([]);
    expect(JSON.parse(configMapData()["access-rules.json"]!)).toEqual([]);
  });
});
