import * as crypto from "node:crypto";
import * as vm from "node:vm";
import * as k8s from "@pulumi/kubernetes";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Platform } from "../components/platform";
import { buildNginxConfig, buildSamplePage, defaultSamplePagePaths, SampleApps } from "../components/sample-apps";
import { defaultImages } from "../components/versions";
import { configHashAnnotation } from "../components/workload";
import { created, ofType, resetRecords, resolved, settled, useMocks, type RecordedResource } from "./mocks";
import { validateKubernetesObject } from "./schemas";

function fakePlatform(name: string, spreadAcrossZones = false): Platform {
  return {
    kubernetesProvider: new k8s.Provider(`${name}-provider`, {}),
    gatewayExposure: { serviceType: "NodePort", serviceAnnotations: {}, externalTrafficPolicy: "Cluster" },
    identityDatabase: { kind: "in-cluster" },
    publicCertificate: { kind: "issued-by-program" },
    availability: { replicas: spreadAcrossZones ? 2 : 1, spreadAcrossZones },
  };
}

async function deploy(name: string, args: Partial<ConstructorParameters<typeof SampleApps>[1]> = {}, spreadAcrossZones = false): Promise<SampleApps> {
  const apps = new SampleApps(name, { platform: fakePlatform(name, spreadAcrossZones), ...args });
  await resolved(apps.namespace);
  await settled();
  return apps;
}

function deployment(name: string): RecordedResource {
  const matches = ofType("kubernetes:apps/v1:Deployment").filter((resource) => resource.name === name);
  expect(matches).toHaveLength(1);
  return matches[0]!;
}

function podSpec(resource: RecordedResource): any {
  return resource.inputs.spec.template.spec;
}

describe("SampleApps", () => {
  beforeAll(() => useMocks());
  beforeEach(resetRecords);

  it("exposes spa and echo services", async () => {
    const apps = await deploy("svc");
    expect(apps.services).toEqual({ spa: { name: "spa", port: 8080 }, echo: { name: "echo", port: 8080 } });

    const services = ofType("kubernetes:core/v1:Service");
    expect(services.map((service) => service.inputs.metadata.name).sort()).toEqual(["echo", "spa"]);
    for (const service of services) {
      expect(service.inputs.metadata.namespace).toBe("apps");
      expect(service.inputs.spec.ports).toEqual([{ name: "http", port: 8080, targetPort: "http", protocol: "TCP" }]);
      expect(service.inputs.spec.type).toBe("ClusterIP");
    }
  });

  it("selects pods of each app", async () => {
    await deploy("select");
    for (const role of ["spa", "echo"]) {
      const service = ofType("kubernetes:core/v1:Service").find((resource) => resource.inputs.metadata.name === role)!;
      const labels = deployment(`select-${role}`).inputs.spec.template.metadata.labels;
      expect(labels).toMatchObject(service.inputs.spec.selector);
    }
  });

  it("creates restricted namespace", async () => {
    const apps = await deploy("ns", { namespace: "samples" });
    expect(await resolved(apps.namespace)).toBe("samples");

    const namespace = ofType("kubernetes:core/v1:Namespace")[0]!;
    expect(namespace.inputs.metadata.name).toBe("samples");
    expect(namespace.inputs.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
  });

  it("applies secure pod defaults", async () => {
    await deploy("secure");
    for (const name of ["secure-spa", "secure-echo"]) {
      const spec = podSpec(deployment(name));
      expect(spec.automountServiceAccountToken).toBe(false);
      expect(spec.securityContext.runAsNonRoot).toBe(true);
      expect(spec.securityContext.seccompProfile).toEqual({ type: "RuntimeDefault" });
      for (const container of spec.containers) {
        expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
        expect(container.securityContext.allowPrivilegeEscalation).toBe(false);
        expect(container.securityContext.capabilities).toEqual({ drop: ["ALL"] });
        expect(container.resources.requests).toBeDefined();
        expect(container.resources.limits).toBeDefined();
        expect(container.readinessProbe.httpGet.port).toBe("http");
        expect(container.livenessProbe.httpGet.port).toBe("http");
      }
    }
  });

  it("gives nginx writable tmp", async () => {
    await deploy("tmp");
    const spec = podSpec(deployment("tmp-spa"));
    const mounts = spec.containers[0].volumeMounts;
    expect(mounts).toContainEqual({ name: "tmp", mountPath: "/tmp" });
    expect(spec.volumes).toContainEqual({ name: "tmp", emptyDir: { sizeLimit: "16Mi" } });
    expect(spec.containers[0].command).toEqual(["nginx", "-g", "daemon off;"]);
  });

  it("runs whoami on port 8080", async () => {
    await deploy("port");
    const container = podSpec(deployment("port-echo")).containers[0];
    expect(container.image).toBe(defaultImages.echoApi);
    expect(container.args).toEqual(["--port", "8080"]);
    expect(container.ports).toEqual([{ name: "http", containerPort: 8080 }]);
  });

  it("uses image overrides", async () => {
    await deploy("images", { images: { staticSite: "example.test/nginx:1", echoApi: "example.test/echo:2" } });
    expect(podSpec(deployment("images-spa")).containers[0].image).toBe("example.test/nginx:1");
    expect(podSpec(deployment("images-echo")).containers[0].image).toBe("example.test/echo:2");
  });

  it("serves page from ConfigMap", async () => {
    await deploy("page");
    const configMap = ofType("kubernetes:core/v1:ConfigMap")[0]!;
    const page = buildSamplePage(defaultSamplePagePaths);
    expect(configMap.inputs.data["index.html"]).toBe(page.html);
    expect(configMap.inputs.data["nginx.conf"]).toBe(buildNginxConfig(page.contentSecurityPolicy));
  });

  it("rolls spa pods on page change", async () => {
    await deploy("before");
    const before = deployment("before-spa").inputs.spec.template.metadata.annotations[configHashAnnotation];
    resetRecords();
    await deploy("after", { pagePaths: { echoApi: "/api/other" } });
    const after = deployment("after-spa").inputs.spec.template.metadata.annotations[configHashAnnotation];

    expect(before).toMatch(/^[0-9a-f]{64}$/);
    expect(after).toMatch(/^[0-9a-f]{64}$/);
    expect(after).not.toBe(before);
  });

  it("spreads pods when platform asks", async () => {
    await deploy("spread", {}, true);
    for (const name of ["spread-spa", "spread-echo"]) {
      const spec = deployment(name).inputs.spec;
      expect(spec.replicas).toBe(2);
      expect(spec.template.spec.topologySpreadConstraints[0].topologyKey).toBe("topology.kubernetes.io/zone");
    }
  });

  it("uses platform provider everywhere", async () => {
    await deploy("provider");
    const kubernetesChildren = created.filter((resource) => resource.type.startsWith("kubernetes:"));
    expect(kubernetesChildren).toHaveLength(6);
    for (const child of kubernetesChildren) {
      expect(child.provider).toMatch(/::provider-provider::provider-provider-id$/);
    }
  });

  it("passes Kubernetes schema validation", async () => {
    await deploy("schema");
    const kubernetesChildren = created.filter((resource) => resource.type.startsWith("kubernetes:"));
    for (const child of kubernetesChildren) {
      expect({ name: child.name, problems: validateKubernetesObject(child.inputs) }).toEqual({ name: child.name, problems: [] });
    }
  });

  it("rejects invalid namespace", () => {
    expect(() => new SampleApps("bad", { platform: fakePlatform("bad"), namespace: "Apps_1" })).toThrow(
      /SampleApps namespace "Apps_1" is invalid/,
    );
  });

  it("rejects relative page path", () => {
    expect(() => new SampleApps("bad-path", { platform: fakePlatform("bad-path"), pagePaths: { login: "login" } })).toThrow(
      /pagePaths.login "login" is invalid/,
    );
  });
});

describe("buildSamplePage", () => {
  const page = buildSamplePage(defaultSamplePagePaths);

  function inlineBlock(tag: "script" | "style"): string {
    const match = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(page.html);
    expect(match).not.toBeNull();
    return match![1]!;
  }

  function cspHash(text: string): string {
    return `'sha256-${crypto.createHash("sha256").update(text).digest("base64")}'`;
  }

  it("allows only its inline code", () => {
    expect(page.contentSecurityPolicy).toContain("default-src 'none'");
    expect(page.contentSecurityPolicy).toContain(`script-src ${cspHash(inlineBlock("script"))}`);
    expect(page.contentSecurityPolicy).toContain(`style-src ${cspHash(inlineBlock("style"))}`);
    expect(page.contentSecurityPolicy).toContain("connect-src 'self'");
    expect(page.contentSecurityPolicy).not.toContain("unsafe-inline");
  });

  it("loads nothing from other origins", () => {
    expect(page.html).not.toMatch(/\bsrc=/);
    expect(page.html).not.toMatch(/https?:\/\//);
  });

  it("links to login and registration", () => {
    expect(page.html).toContain('<a href="/login">');
    expect(page.html).toContain('<a href="/registration">');
  });

  it("escapes paths in attributes", () => {
    const html = buildSamplePage({ ...defaultSamplePagePaths, login: '/a"b<c' }).html;
    expect(html).toContain('href="/a&quot;b&lt;c"');
  });

  it("keeps script hash for any paths", () => {
    const other = buildSamplePage({ ...defaultSamplePagePaths, echoApi: "/api/other" });
    expect(other.contentSecurityPolicy).toBe(page.contentSecurityPolicy);
  });

  it("sends CSP header from nginx", () => {
    const config = buildNginxConfig(page.contentSecurityPolicy);
    expect(config).toContain(`add_header Content-Security-Policy "${page.contentSecurityPolicy}" always;`);
    expect(config).toContain("pid /tmp/nginx.pid;");
    expect(config).toContain(`listen 8080;`);
  });
});

/**
 * Runs the page's inline script against a small fake of the DOM and fetch, so the tests check
 * what a browser would show without one.
 */
async function runPageScript(responses: Record<string, { status: number; body: string }>) {
  const page = buildSamplePage(defaultSamplePagePaths);
  const script = /<script>([\s\S]*?)<\/script>/.exec(page.html)![1]!;
  const elements = new Map<string, { textContent: string; listeners: Array<() => Promise<void>> }>();
  const element = (id: string) => {
    if (!elements.has(id)) {
      elements.set(id, { textContent: "", listeners: [] });
    }
    const entry = elements.get(id)!;
    return { set textContent(value: string) { entry.textContent = value; }, get textContent() { return entry.textContent; }, addEventListener: (_: string, listener: () => Promise<void>) => entry.listeners.push(listener) };
  };
  const requests: Array<{ url: string; init: any }> = [];
  const fetch = async (url: string, init: any) => {
    requests.push({ url, init });
    const response = responses[url] ?? { status: 404, body: "not found" };
    return {
      status: response.status,
      ok: response.status >= 200 && response.status < 300,
      text: async () => response.body,
      json: async () => JSON.parse(response.body),
    };
  };
  const document = {
    body: { dataset: { sessionCheck: defaultSamplePagePaths.sessionCheck, echoApi: defaultSamplePagePaths.echoApi } },
    getElementById: element,
  };
  vm.runInNewContext(script, { document, fetch, atob, TextDecoder, Uint8Array, JSON });
  await new Promise((resolve) => setTimeout(resolve, 10));
  const clickEcho = async () => {
    for (const listener of elements.get("call-echo")!.listeners) {
      await listener();
    }
  };
  return { text: (id: string) => elements.get(id)?.textContent ?? "", requests, clickEcho };
}

describe("sample page script", () => {
  const claims = { sub: "identity-1", aud: ["apigw"], iss: "https://app.gateway.localhost/" };
  const token = [
    Buffer.from(JSON.stringify({ alg: "RS256" })).toString("base64url"),
    Buffer.from(JSON.stringify(claims)).toString("base64url"),
    "c2lnbmF0dXJl",
  ].join(".");
  const whoamiBody = `Hostname: echo-1\nGET /api/echo HTTP/1.1\nHost: app.gateway.localhost\nAuthorization: Bearer ${token}\nAccept: application/json\n`;

  it("shows logged-in user email", async () => {
    const page = await runPageScript({
      [defaultSamplePagePaths.sessionCheck]: { status: 200, body: JSON.stringify({ identity: { id: "identity-1", traits: { email: "alice@example.com" } } }) },
    });
    expect(page.text("session")).toBe("Logged in as alice@example.com.");
    expect(page.requests[0]!.init.credentials).toBe("same-origin");
  });

  it("shows logged-out state on 401", async () => {
    const page = await runPageScript({ [defaultSamplePagePaths.sessionCheck]: { status: 401, body: "{}" } });
    expect(page.text("session")).toBe("Not logged in.");
  });

  it("shows forwarded header and claims", async () => {
    const page = await runPageScript({
      [defaultSamplePagePaths.sessionCheck]: { status: 401, body: "{}" },
      [defaultSamplePagePaths.echoApi]: { status: 200, body: whoamiBody },
    });
    await page.clickEcho();
    expect(page.text("authorization")).toBe(`Authorization: Bearer ${token}`);
    expect(JSON.parse(page.text("claims"))).toEqual(claims);
  });

  it("shows error status from gateway", async () => {
    const page = await runPageScript({
      [defaultSamplePagePaths.sessionCheck]: { status: 401, body: "{}" },
      [defaultSamplePagePaths.echoApi]: { status: 401, body: '{"error":{"code":401}}' },
    });
    await page.clickEcho();
    expect(page.text("authorization")).toBe('HTTP 401: {"error":{"code":401}}');
    expect(page.text("claims")).toBe("");
  });

  it("reports missing Authorization header", async () => {
    const page = await runPageScript({
      [defaultSamplePagePaths.sessionCheck]: { status: 401, body: "{}" },
      [defaultSamplePagePaths.echoApi]: { status: 200, body: "GET /api/echo HTTP/1.1\nHost: app.gateway.localhost\n" },
    });
    await page.clickEcho();
    expect(page.text("authorization")).toBe("The echo API received no Authorization header.");
  });
});
