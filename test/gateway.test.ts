import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { Gateway, type GatewayArgs } from "../components/gateway";
import type { Platform } from "../components/platform";
import { type Route, traefikMatchRule } from "../components/routes";
import { configHashAnnotation } from "../components/workload";
import { backendAlias } from "../components/traefik-config";
import { created, isSecretValue, named, ofType, resetRecords, resolved, settled, unwrapSecrets, useMocks, type RecordedResource } from "./mocks";
import { describeWithSchemas, validateKubernetesObject, validateTraefikResource } from "./schemas";

const caPem = "-----BEGIN CERTIFICATE-----\nMIIBstaffca\n-----END CERTIFICATE-----\n";
const decisionsUrl = "http://oathkeeper-api.auth.svc.cluster.local:4456/decisions";

const routes: Route[] = [
  { name: "web", host: "app.example.test", pathPrefix: "/", backend: { kind: "service", namespace: "apps", service: "web", port: 8080 }, access: "public" },
  {
    name: "orders-api",
    host: "app.example.test",
    pathPrefix: "/api",
    backend: { kind: "service", namespace: "apps", service: "echo", port: 80 },
    access: "session",
    stripPrefix: true,
  },
  {
    name: "kratos-public",
    host: "app.example.test",
    pathPrefix: "/.ory/kratos",
    backend: { kind: "service", namespace: "auth", service: "kratos-public", port: 4433 },
    access: "public",
    stripPrefix: true,
  },
  { name: "dashboard", host: "traefik.example.test", pathPrefix: "/", backend: { kind: "traefik-api" }, access: "mtls" },
  { name: "mail", host: "mail.example.test", pathPrefix: "/", backend: { kind: "service", namespace: "auth", service: "mailpit", port: 8025 }, access: "mtls" },
];

let provider: k8s.Provider;

function fakePlatform(overrides: Partial<Platform> = {}): Platform {
  return {
    kubernetesProvider: provider,
    gatewayExposure: {
      serviceType: "NodePort",
      serviceAnnotations: {},
      nodePorts: { http: 30080, https: 30443 },
      externalTrafficPolicy: "Cluster",
    },
    identityDatabase: { kind: "in-cluster" },
    publicCertificate: { kind: "issued-by-program" },
    availability: { replicas: 1, spreadAcrossZones: false },
    ...overrides,
  };
}

function gatewayArgs(overrides: Partial<GatewayArgs> = {}): GatewayArgs {
  return {
    platform: fakePlatform(),
    routes,
    mtlsCaCertificatePem: caPem,
    forwardAuthUrl: decisionsUrl,
    defaultCertificate: { certificatePem: "CERT PEM", privateKeyPem: "KEY PEM" },
    ...overrides,
  };
}

/** Builds a Gateway and waits until every child is registered. */
async function buildGateway(overrides: Partial<GatewayArgs> = {}): Promise<Gateway> {
  const gateway = new Gateway("gw", gatewayArgs(overrides));
  await settled();
  return gateway;
}

function customResources(kind: string): RecordedResource[] {
  return created.filter((resource) => resource.type === `kubernetes:traefik.io/v1alpha1:${kind}`);
}

function traefikArgs(): string[] {
  return named("gw-deployment").inputs.spec.template.spec.containers[0].args;
}

function traefikContainer(): any {
  return named("gw-deployment").inputs.spec.template.spec.containers[0];
}

describe("Gateway", () => {
  beforeAll(async () => {
    await useMocks();
    provider = new k8s.Provider("fake", {});
  });
  beforeEach(resetRecords);

  describe("routing objects", () => {
    it("creates one IngressRoute per route", async () => {
      await buildGateway();
      const ingressRoutes = customResources("IngressRoute");
      expect(ingressRoutes.map((resource) => resource.inputs.metadata.name).sort()).toEqual(routes.map((route) => route.name).sort());
      for (const route of routes) {
        const spec = named(`gw-route-${route.name}`).inputs.spec;
        expect(spec.entryPoints).toEqual(["websecure"]);
        expect(spec.routes).toHaveLength(1);
        expect(spec.routes[0].match).toBe(traefikMatchRule(route));
        expect(spec.routes[0].priority).toBeUndefined();
      }
    });

    it("keeps routing objects in gateway namespace", async () => {
      await buildGateway({ namespace: "edge" });
      const routing = created.filter((resource) => resource.type.startsWith("kubernetes:traefik.io/"));
      expect(routing.length).toBeGreaterThan(0);
      for (const resource of routing) {
        expect(resource.inputs.metadata.namespace, resource.name).toBe("edge");
        expect(resource.inputs.metadata.labels["apigw.dev/gateway"], resource.name).toBe("edge");
      }
    });

    it("adds forwardAuth only to session routes", async () => {
      await buildGateway();
      for (const route of routes) {
        const middlewares: Array<{ name: string }> = named(`gw-route-${route.name}`).inputs.spec.routes[0].middlewares ?? [];
        const hasForwardAuth = middlewares.some((middleware) => middleware.name === "forward-auth");
        expect(hasForwardAuth, route.name).toBe(route.access === "session");
      }
    });

    it("strips prefix after forward auth", async () => {
      await buildGateway();
      expect(named("gw-route-orders-api").inputs.spec.routes[0].middlewares).toEqual([
        { name: "forward-auth", namespace: "gateway" },
        { name: "strip-prefix-orders-api", namespace: "gateway" },
      ]);
      expect(named("gw-strip-prefix-orders-api").inputs.spec).toEqual({ stripPrefix: { prefixes: ["/api"] } });
      expect(customResources("Middleware").map((resource) => resource.inputs.metadata.name).sort()).toEqual([
        "forward-auth",
        "strip-prefix-kratos-public",
        "strip-prefix-orders-api",
      ]);
    });

    it("routes through ExternalName aliases", async () => {
      await buildGateway();
      expect(named("gw-route-mail").inputs.spec.routes[0].services).toEqual([{ kind: "Service", name: "auth-mailpit", port: 8025 }]);
      expect(named("gw-route-dashboard").inputs.spec.routes[0].services).toEqual([{ kind: "TraefikService", name: "api@internal" }]);

      const alias = named("gw-backend-auth-mailpit").inputs;
      expect(alias.metadata.namespace).toBe("gateway");
      expect(alias.spec).toEqual({
        type: "ExternalName",
        externalName: "mailpit.auth.svc.cluster.local",
        ports: [{ name: "port-8025", port: 8025, protocol: "TCP" }],
      });
    });

    it("shortens long alias names uniquely", () => {
      const first = backendAlias({ namespace: "n".repeat(40), service: "s".repeat(40) });
      const second = backendAlias({ namespace: "n".repeat(40), service: `${"s".repeat(39)}t` });
      expect(first.length).toBeLessThanOrEqual(63);
      expect(first).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      expect(first).not.toBe(second);
    });

    it("mtls routes reference mtls option", async () => {
      await buildGateway();
      for (const route of routes) {
        const tls = named(`gw-route-${route.name}`).inputs.spec.tls;
        if (route.access === "mtls") {
          expect(tls, route.name).toEqual({ options: { name: "mtls", namespace: "gateway" } });
        } else {
          expect(tls, route.name).toEqual({});
        }
      }
    });

    it("mtls option requires client certificate", async () => {
      const gateway = await buildGateway();
      expect(gateway.mtlsTlsOptionName).toBe("mtls");
      const option = named("gw-mtls-options").inputs;
      expect(option.metadata.name).toBe("mtls");
      expect(option.metadata.namespace).toBe("gateway");
      expect(option.spec).toEqual({
        minVersion: "VersionTLS12",
        clientAuth: { clientAuthType: "RequireAndVerifyClientCert", secretNames: ["staff-client-ca"] },
      });
    });

    it("stores CA in opaque secret", async () => {
      await buildGateway();
      const secret = named("gw-client-ca").inputs;
      expect(secret.metadata.name).toBe("staff-client-ca");
      expect(secret.metadata.namespace).toBe("gateway");
      expect(secret.type).toBe("Opaque");
      expect(unwrapSecrets(secret.stringData)).toEqual({ "tls.ca": caPem });
    });

    it("default option requires TLS 1.2", async () => {
      await buildGateway();
      const options = customResources("TLSOption").map((resource) => resource.inputs);
      expect(options.map((option) => option.metadata.name).sort()).toEqual(["default", "mtls"]);
      expect(named("gw-default-options").inputs.spec).toEqual({ minVersion: "VersionTLS12" });
    });

    it("forward auth replaces Authorization header", async () => {
      const gateway = await buildGateway();
      expect(gateway.forwardAuthMiddlewareName).toBe("forward-auth");
      const forwardAuth = named("gw-forward-auth").inputs.spec.forwardAuth;
      expect(forwardAuth.address).toBe(decisionsUrl);
      expect(forwardAuth.authResponseHeaders).toEqual(["Authorization"]);
      expect(forwardAuth.trustForwardHeader).toBe(false);
      expect(forwardAuth.maxResponseBodySize).toBeGreaterThan(0);
    });
  });

  describe("default certificate", () => {
    it("serves program-issued certificate", async () => {
      await buildGateway();
      const secret = named("gw-default-cert").inputs;
      expect(secret.type).toBe("kubernetes.io/tls");
      expect(secret.metadata.namespace).toBe("gateway");
      expect(unwrapSecrets(secret.stringData)).toEqual({ "tls.crt": "CERT PEM", "tls.key": "KEY PEM" });
      expect(isSecretValue(secret.stringData)).toBe(true);
      const store = named("gw-tls-store").inputs;
      expect(store.metadata.name).toBe("default");
      expect(store.spec).toEqual({ defaultCertificate: { secretName: secret.metadata.name } });
    });

    it("serves platform certificate secret", async () => {
      const platform = fakePlatform({ publicCertificate: { kind: "secret", secretName: "public-tls", dependsOn: [] } });
      await buildGateway({ platform, defaultCertificate: undefined });
      expect(ofType("kubernetes:core/v1:Secret").map((resource) => resource.name)).toEqual(["gw-client-ca"]);
      expect(named("gw-tls-store").inputs.spec).toEqual({ defaultCertificate: { secretName: "public-tls" } });
    });
  });

  describe("static configuration", () => {
    it("redirects web to port 443", async () => {
      await buildGateway();
      const args = traefikArgs();
      expect(args).toContain("--entryPoints.web.address=:8000");
      expect(args).toContain("--entryPoints.websecure.address=:8443");
      expect(args).toContain("--entryPoints.web.http.redirections.entryPoint.to=:443");
      expect(args).toContain("--entryPoints.web.http.redirections.entryPoint.scheme=https");
      expect(args).toContain("--entryPoints.web.http.redirections.entryPoint.permanent=true");
    });

    it("never trusts forwarded headers", async () => {
      await buildGateway();
      const args = traefikArgs();
      expect(args.filter((arg) => /forwardedHeaders|proxyProtocol/i.test(arg))).toEqual([]);
    });

    it("trusts proxy protocol when asked", async () => {
      const platform = fakePlatform();
      const exposure = { ...platform.gatewayExposure, proxyProtocolTrustedIPs: ["10.0.0.0/16", "10.1.0.0/16"] };
      await buildGateway({ platform: { ...platform, gatewayExposure: exposure } });
      const args = traefikArgs();
      expect(args.filter((arg) => /forwardedHeaders|proxyProtocol/i.test(arg)).sort()).toEqual([
        "--entryPoints.web.proxyProtocol.trustedIPs=10.0.0.0/16,10.1.0.0/16",
        "--entryPoints.websecure.proxyProtocol.trustedIPs=10.0.0.0/16,10.1.0.0/16",
      ]);
    });

    it("rejects aliasing headers everywhere", async () => {
      await buildGateway();
      const args = traefikArgs();
      for (const entryPoint of ["web", "websecure", "traefik"]) {
        expect(args).toContain(`--entryPoints.${entryPoint}.http.aliasHeadersStrategy=reject`);
      }
      expect(args.filter((arg) => arg.includes("encodedCharacters"))).toHaveLength(7);
      expect(args.filter((arg) => arg.includes("encodedCharacters") && !arg.endsWith("=false"))).toEqual([]);
    });

    it("enables dashboard without insecure API", async () => {
      await buildGateway();
      const args = traefikArgs();
      expect(args).toContain("--api.dashboard=true");
      expect(args.some((arg) => arg.startsWith("--api.insecure"))).toBe(false);
      expect(args).toContain("--accesslog.format=json");
      expect(args).toContain("--log.format=json");
      expect(args).toContain("--accesslog.fields.headers.defaultMode=drop");
    });

    it("uses only the CRD provider", async () => {
      await buildGateway();
      const providers = traefikArgs().filter((arg) => arg.startsWith("--providers."));
      expect(providers.every((arg) => arg.startsWith("--providers.kubernetescrd"))).toBe(true);
      expect(providers).toContain("--providers.kubernetescrd.namespaces=gateway");
      expect(providers).toContain("--providers.kubernetescrd.allowExternalNameServices=true");
      expect(providers).toContain("--providers.kubernetescrd.labelSelector=apigw.dev/gateway=gateway");
      expect(providers.some((arg) => arg.includes("allowCrossNamespace=true"))).toBe(false);
    });
  });

  describe("access", () => {
    it("binds reader role in own namespace", async () => {
      await buildGateway();
      expect(ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")).toEqual([]);
      expect(ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding")).toEqual([]);
      const bindings = ofType("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding").map((resource) => resource.inputs);
      expect(bindings.map((binding) => binding.metadata.namespace)).toEqual(["gateway"]);
      expect(bindings[0]!.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "traefik-crd-provider" });
      expect(bindings[0]!.subjects).toEqual([{ kind: "ServiceAccount", name: "traefik", namespace: "gateway" }]);
    });

    it("grants read-only access without nodes", async () => {
      await buildGateway();
      const rules: Array<{ resources: string[]; verbs: string[] }> = named("gw-crd-provider").inputs.rules;
      const resources = rules.flatMap((rule) => rule.resources);
      expect(resources).toContain("secrets");
      expect(resources).toContain("endpointslices");
      expect(resources).toContain("ingressroutes");
      expect(resources).not.toContain("nodes");
      for (const rule of rules) {
        expect(rule.verbs.every((verb) => ["get", "list", "watch"].includes(verb))).toBe(true);
      }
      expect(traefikArgs()).toContain("--providers.kubernetescrd.disableClusterScopeResources=true");
    });
  });

  describe("workload", () => {
    it("pod runs with restricted security", async () => {
      await buildGateway();
      const podSpec = named("gw-deployment").inputs.spec.template.spec;
      expect(podSpec.securityContext).toEqual({
        runAsNonRoot: true,
        runAsUser: 65532,
        runAsGroup: 65532,
        fsGroup: 65532,
        seccompProfile: { type: "RuntimeDefault" },
      });
      const container = traefikContainer();
      expect(container.securityContext).toEqual({
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
      });
      expect(container.resources.requests.cpu).toBeDefined();
      expect(container.resources.requests.memory).toBeDefined();
      expect(container.resources.limits.cpu).toBeDefined();
      expect(container.resources.limits.memory).toBeDefined();
      expect(container.volumeMounts).toEqual([{ name: "tmp", mountPath: "/tmp" }]);
      expect(podSpec.volumes).toEqual([{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }]);
    });

    it("probes ping on traefik port", async () => {
      await buildGateway();
      const container = traefikContainer();
      expect(traefikArgs()).toContain("--ping.entryPoint=traefik");
      expect(traefikArgs()).toContain("--entryPoints.traefik.address=:9000");
      expect(container.ports).toContainEqual({ name: "traefik", containerPort: 9000, protocol: "TCP" });
      expect(container.livenessProbe.httpGet).toEqual({ path: "/ping", port: "traefik" });
      expect(container.readinessProbe.httpGet).toEqual({ path: "/ping", port: "traefik" });
    });

    it("pins image from versions", async () => {
      await buildGateway();
      expect(traefikContainer().image).toMatch(/^docker\.io\/library\/traefik:v3\.7\.\d+$/);
      resetRecords();
      await buildGateway({ image: "registry.example.test/traefik:v3.7.13" });
      expect(traefikContainer().image).toBe("registry.example.test/traefik:v3.7.13");
    });

    it("CA change rolls pods", async () => {
      await buildGateway();
      const before = named("gw-deployment").inputs.spec.template.metadata.annotations[configHashAnnotation];
      resetRecords();
      await buildGateway({ mtlsCaCertificatePem: caPem.replace("staffca", "otherca") });
      const after = named("gw-deployment").inputs.spec.template.metadata.annotations[configHashAnnotation];
      expect(before).toMatch(/^[0-9a-f]{64}$/);
      expect(after).not.toBe(before);
    });

    it("exposes ports 80 and 443", async () => {
      await buildGateway();
      const service = named("gw-service").inputs;
      expect(service.metadata.name).toBe("traefik");
      expect(service.spec.type).toBe("NodePort");
      expect(service.spec.externalTrafficPolicy).toBe("Cluster");
      expect(service.spec.ports).toEqual([
        { name: "web", port: 80, targetPort: "web", protocol: "TCP", nodePort: 30080 },
        { name: "websecure", port: 443, targetPort: "websecure", protocol: "TCP", nodePort: 30443 },
      ]);
    });

    it("uses load balancer settings", async () => {
      const platform = fakePlatform({
        gatewayExposure: {
          serviceType: "LoadBalancer",
          serviceAnnotations: { "service.beta.kubernetes.io/aws-load-balancer-type": "external" },
          externalTrafficPolicy: "Local",
        },
      });
      await buildGateway({ platform });
      const service = named("gw-service").inputs;
      expect(service.spec.type).toBe("LoadBalancer");
      expect(service.spec.externalTrafficPolicy).toBe("Local");
      expect(service.metadata.annotations).toEqual({ "service.beta.kubernetes.io/aws-load-balancer-type": "external" });
      expect(service.spec.ports.map((port: { nodePort?: number }) => port.nodePort)).toEqual([undefined, undefined]);
    });

    it("single replica skips budget and spread", async () => {
      await buildGateway();
      const deployment = named("gw-deployment").inputs;
      expect(deployment.spec.replicas).toBe(1);
      expect(deployment.spec.template.spec.topologySpreadConstraints).toBeUndefined();
      expect(ofType("kubernetes:policy/v1:PodDisruptionBudget")).toEqual([]);
      expect(ofType("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")).toEqual([]);
    });

    it("spreads and budgets across zones", async () => {
      await buildGateway({ platform: fakePlatform({ availability: { replicas: 3, spreadAcrossZones: true } }) });
      const deployment = named("gw-deployment").inputs;
      expect(deployment.spec.replicas).toBe(3);
      const spread = deployment.spec.template.spec.topologySpreadConstraints;
      expect(spread.map((constraint: { topologyKey: string }) => constraint.topologyKey)).toEqual([
        "topology.kubernetes.io/zone",
        "kubernetes.io/hostname",
      ]);
      expect(named("gw-pdb").inputs.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: deployment.spec.selector.matchLabels } });
    });

    it("autoscales up to max replicas", async () => {
      await buildGateway({ platform: fakePlatform({ availability: { replicas: 2, spreadAcrossZones: true, gatewayMaxReplicas: 6 } }) });
      expect(named("gw-deployment").inputs.spec.replicas).toBeUndefined();
      const hpa = named("gw-hpa").inputs.spec;
      expect(hpa.minReplicas).toBe(2);
      expect(hpa.maxReplicas).toBe(6);
      expect(hpa.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: "traefik" });
    });

    it("every child uses platform provider", async () => {
      await buildGateway();
      const providerReference = `${await resolved(provider.urn)}::${await resolved(provider.id)}`;
      const children = created.filter((resource) => resource.type.startsWith("kubernetes:") && resource.type !== "pulumi:providers:kubernetes");
      expect(children.length).toBeGreaterThan(15);
      expect(children.map((child) => child.name)).toContain("gw-crds");
      for (const child of children) {
        expect(child.provider, child.name).toBe(providerReference);
      }
    });
  });

  describe("argument checks", () => {
    const message = (...problems: string[]): string => `Invalid Gateway arguments:\n- ${problems.join("\n- ")}`;

    it("rejects route to Oathkeeper API", () => {
      const internal: Route = {
        name: "decisions",
        host: "app.example.test",
        pathPrefix: "/decisions",
        backend: { kind: "service", namespace: "auth", service: "oathkeeper-api", port: 4456 },
        access: "public",
      };
      expect(() => new Gateway("bad", gatewayArgs({ routes: [internal] }))).toThrow(
        message(
          `route "decisions" sends traffic to port 4456, which is the Kratos admin API or the Oathkeeper API and must stay inside the cluster. Remove the route.`,
        ),
      );
    });

    it("rejects route to Kratos admin", () => {
      const internal: Route = {
        name: "kratos-admin",
        host: "app.example.test",
        pathPrefix: "/admin",
        backend: { kind: "service", namespace: "auth", service: "kratos-admin", port: 4434 },
        access: "mtls",
      };
      expect(() => new Gateway("bad", gatewayArgs({ routes: [internal] }))).toThrow(/port 4434/);
    });

    it("rejects missing program certificate", () => {
      expect(() => new Gateway("bad", gatewayArgs({ defaultCertificate: undefined }))).toThrow(
        message(
          `defaultCertificate is missing, but the platform's public certificate is issued by the program. ` +
            `Pass the certificate and key that the program signs for the public hostnames.`,
        ),
      );
    });

    it("rejects certificate beside platform secret", () => {
      const platform = fakePlatform({ publicCertificate: { kind: "secret", secretName: "public-tls", dependsOn: [] } });
      expect(() => new Gateway("bad", gatewayArgs({ platform }))).toThrow(
        message(
          `defaultCertificate is set, but the platform serves the public certificate from a Secret. ` +
            `Remove defaultCertificate, because Traefik would serve only one of the two.`,
        ),
      );
    });

    it("rejects dashboard without mtls", () => {
      const dashboard: Route = { name: "dashboard", host: "traefik.example.test", pathPrefix: "/", backend: { kind: "traefik-api" }, access: "session" };
      expect(() => new Gateway("bad", gatewayArgs({ routes: [dashboard] }))).toThrow(
        message(`route "dashboard" exposes the Traefik dashboard with access "session". Set access to "mtls".`),
      );
    });

    it("lists every problem at once", () => {
      const duplicate = { ...routes[0]!, pathPrefix: "/other" };
      expect(() => new Gateway("bad", gatewayArgs({ routes: [routes[0]!, duplicate], namespace: "Bad_NS" }))).toThrow(
        message(
          `route name "web" appears twice. Give every route a unique name.`,
          `namespace "Bad_NS" is invalid. Use a DNS-1123 label such as "gateway".`,
        ),
      );
    });

    it("rejects bad proxy protocol ranges", () => {
      const platform = fakePlatform();
      const withRanges = (ranges: string[]): Platform => ({ ...platform, gatewayExposure: { ...platform.gatewayExposure, proxyProtocolTrustedIPs: ranges } });
      expect(() => new Gateway("bad", gatewayArgs({ platform: withRanges([]) }))).toThrow(
        message(
          `platform.gatewayExposure.proxyProtocolTrustedIPs is empty. List the load balancer's source ranges, or leave it unset when it sends no PROXY protocol.`,
        ),
      );
      expect(() => new Gateway("bad", gatewayArgs({ platform: withRanges(["10.0.0.0/8,--api.insecure=true"]) }))).toThrow(
        /proxyProtocolTrustedIPs contains "10\.0\.0\.0\/8,--api\.insecure=true"/,
      );
    });

    it("rejects max replicas below replicas", () => {
      const platform = fakePlatform({ availability: { replicas: 3, spreadAcrossZones: true, gatewayMaxReplicas: 2 } });
      expect(() => new Gateway("bad", gatewayArgs({ platform }))).toThrow(
        message(
          `platform.availability.gatewayMaxReplicas is 2, below replicas 3. ` +
            `Use a whole number of at least 3, or leave it unset for a fixed replica count.`,
        ),
      );
    });

    it("logs no warnings for valid args", async () => {
      const warn = vi.spyOn(pulumi.log, "warn");
      await buildGateway();
      expect(warn).not.toHaveBeenCalled();
      warn.mockRestore();
    });
  });
});

describeWithSchemas("Gateway against upstream schemas", () => {
  beforeAll(async () => {
    await useMocks();
    provider = new k8s.Provider("fake", {});
  });
  beforeEach(resetRecords);

  const platforms: Array<[string, () => Platform]> = [
    ["kind-like", () => fakePlatform()],
    [
      "eks-like",
      () =>
        fakePlatform({
          gatewayExposure: {
            serviceType: "LoadBalancer",
            serviceAnnotations: { "service.beta.kubernetes.io/aws-load-balancer-type": "external" },
            externalTrafficPolicy: "Local",
            proxyProtocolTrustedIPs: ["10.0.0.0/16"],
          },
          publicCertificate: { kind: "secret", secretName: "public-tls", dependsOn: [] },
          availability: { replicas: 2, spreadAcrossZones: true, gatewayMaxReplicas: 4 },
        }),
    ],
  ];

  for (const [label, platform] of platforms) {
    it(`traefik resources match CRDs (${label})`, async () => {
      const resolvedPlatform = platform();
      const certificate = resolvedPlatform.publicCertificate.kind === "secret" ? undefined : gatewayArgs().defaultCertificate;
      await buildGateway({ platform: resolvedPlatform, defaultCertificate: certificate });
      const traefikResources = created.filter((resource) => resource.type.startsWith("kubernetes:traefik.io/"));
      expect(traefikResources.length).toBeGreaterThan(5);
      for (const resource of traefikResources) {
        expect(validateTraefikResource(unwrapSecrets(resource.inputs)), resource.name).toEqual([]);
      }
    });

    it(`built-in objects match Kubernetes (${label})`, async () => {
      const resolvedPlatform = platform();
      const certificate = resolvedPlatform.publicCertificate.kind === "secret" ? undefined : gatewayArgs().defaultCertificate;
      await buildGateway({ platform: resolvedPlatform, defaultCertificate: certificate });
      const builtIns = created.filter(
        (resource) =>
          resource.custom &&
          resource.type.startsWith("kubernetes:") &&
          !resource.type.startsWith("kubernetes:traefik.io/") &&
          resource.type !== "pulumi:providers:kubernetes",
      );
      expect(builtIns.length).toBeGreaterThan(6);
      for (const resource of builtIns) {
        expect(validateKubernetesObject(unwrapSecrets(resource.inputs)), resource.name).toEqual([]);
      }
    });
  }
});

describe("backendAlias", () => {
  it("starts aliases with a letter", () => {
    expect(backendAlias({ namespace: "2fa", service: "api" })).toBe("ns-2fa-api");
    expect(backendAlias({ namespace: "apps", service: "echo" })).toBe("apps-echo");
  });
});
