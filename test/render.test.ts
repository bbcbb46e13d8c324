import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { redactionMarker, renderMarkerFile, renderStack, type RenderResult } from "../scripts/render";
import { isSecretValue, unwrapSecrets } from "./mocks";

let outputDirectory: string;
let result: RenderResult;

function read(relativePath: string): string {
  return fs.readFileSync(path.join(outputDirectory, relativePath), "utf8");
}

/** Collects every plain string inside secret-wrapped values, at any depth. */
function secretStrings(value: unknown, insideSecret = false): string[] {
  if (isSecretValue(value)) {
    return secretStrings((value as { value: unknown }).value, true);
  }
  if (typeof value === "string") {
    return insideSecret ? [value] : [];
  }
  if (typeof value === "object" && value !== null) {
    return Object.values(value).flatMap((inner) => secretStrings(inner, insideSecret));
  }
  return [];
}

beforeAll(async () => {
  outputDirectory = fs.mkdtempSync(path.join(os.tmpdir(), "render-local-"));
  result = await renderStack("local", outputDirectory);
});

describe("renderStack", () => {
  it("writes one file per object", () => {
    const objects = result.evaluation.resources.filter(
      (resource) =>
        resource.type.startsWith("kubernetes:") && resource.type !== "kubernetes:yaml/v2:ConfigFile" && resource.type !== "kubernetes:helm.sh/v4:Chart",
    );
    const objectFiles = result.files.filter((file) => !file.startsWith("configs/") && !file.startsWith("remote/"));
    expect(objectFiles).toHaveLength(objects.length);
  });

  it("writes parseable objects with kind", () => {
    for (const file of result.files.filter((name) => name.endsWith(".yaml") && !name.startsWith("configs/") && !name.startsWith("remote/"))) {
      const object = parseYaml(read(file)) as { apiVersion?: string; kind?: string };
      expect({ file, apiVersion: typeof object.apiVersion, kind: typeof object.kind }).toEqual({ file, apiVersion: "string", kind: "string" });
    }
  });

  it("places objects by namespace", () => {
    expect(result.files).toContain("_cluster/namespace-apps.yaml");
    expect(result.files).toContain("apps/service-spa.yaml");
    expect(result.files).toContain("apps/deployment-samples-spa.yaml");
    const deployment = parseYaml(read("apps/deployment-samples-spa.yaml"));
    expect(deployment.kind).toBe("Deployment");
    expect(deployment.metadata.namespace).toBe("apps");
  });

  it("marks generated names in header", () => {
    const text = read("apps/deployment-samples-spa.yaml");
    expect(text.startsWith("# Pulumi resource samples-spa (kubernetes:apps/v1:Deployment).\n")).toBe(true);
    expect(text).toContain("# Pulumi generates metadata.name at deploy time. The suffix here is a placeholder.");
    expect(parseYaml(text).metadata.name).toMatch(/^samples-spa-[0-9a-f]{8}$/);
  });

  it("resolves references to generated names", () => {
    const deployment = parseYaml(read("identity/deployment-identity-ui.yaml"));
    const secretNames = deployment.spec.template.spec.containers[0].env
      .filter((variable: { valueFrom?: unknown }) => variable.valueFrom !== undefined)
      .map((variable: { valueFrom: { secretKeyRef: { name: string } } }) => variable.valueFrom.secretKeyRef.name);
    expect(secretNames.length).toBeGreaterThan(0);
    for (const name of secretNames) {
      expect(name).toMatch(/^identity-ui-secrets-[0-9a-f]{8}$/);
    }
  });

  it("writes embedded configs separately", () => {
    const kratos = parseYaml(read("configs/identity/identity-kratos-config/kratos.yml"));
    expect(kratos.serve.public.base_url).toBe("https://app.gateway.localhost/.ory/kratos/public/");

    const oathkeeper = parseYaml(read("configs/auth/oathkeeper-config/config.yaml"));
    expect(oathkeeper.mutators.id_token.enabled).toBe(true);

    const rules = JSON.parse(read("configs/auth/oathkeeper-config/access-rules.json")) as Array<{ id: string }>;
    expect(rules.length).toBeGreaterThan(0);

    expect(read("configs/apps/samples-spa-files/index.html")).toContain("<!doctype html>");
  });

  it("lists remote components", () => {
    const crds = parseYaml(read("remote/gateway-crds.yaml"));
    expect(crds.type).toBe("kubernetes:yaml/v2:ConfigFile");
    expect(crds.inputs.file).toMatch(/^https:\/\/raw\.githubusercontent\.com\/traefik\/traefik\//);
  });

  it("redacts every Secret value", () => {
    const secretFiles = result.files.filter((file) => /\/secret-[^/]+\.yaml$/.test(file));
    expect(secretFiles.length).toBeGreaterThan(0);
    for (const file of secretFiles) {
      const secret = parseYaml(read(file)) as { data?: Record<string, string>; stringData?: Record<string, string> };
      const values = Object.values({ ...secret.data, ...secret.stringData });
      expect(values.length).toBeGreaterThan(0);
      for (const value of values) {
        expect({ file, value }).toEqual({ file, value: expect.stringMatching(/^<redacted: \d+ bytes>$/) });
      }
    }
  });

  it("counts bytes in redaction marker", () => {
    const recorded = result.evaluation.resources.find((resource) => resource.name === "identity-postgres-credentials")!;
    const password = unwrapSecrets(recorded.inputs.stringData).POSTGRES_PASSWORD as string;
    const secret = parseYaml(read("identity/secret-identity-postgres-credentials.yaml"));
    expect(secret.stringData.POSTGRES_PASSWORD).toBe(redactionMarker(Buffer.byteLength(password)));
  });

  it("leaks no secret value", () => {
    const secrets = result.evaluation.resources
      .flatMap((resource) => secretStrings(resource.inputs))
      // Short values such as "Opaque" could appear anywhere by chance and would prove nothing.
      .filter((value) => value.length >= 16);
    expect(secrets.length).toBeGreaterThan(0);
    const rendered = result.files.map((file) => read(file)).join("\n");
    for (const secret of secrets) {
      expect(rendered.includes(secret)).toBe(false);
    }
  });

  it("leaves marker for the next run", () => {
    expect(fs.existsSync(path.join(outputDirectory, renderMarkerFile))).toBe(true);
  });
});

describe("renderStack output folder", () => {
  it("rejects a foreign non-empty folder", async () => {
    const foreign = fs.mkdtempSync(path.join(os.tmpdir(), "render-foreign-"));
    fs.writeFileSync(path.join(foreign, "keep.txt"), "not ours");
    await expect(renderStack("local", foreign)).rejects.toThrow(/is not empty and was not written by this script/);
    expect(fs.readFileSync(path.join(foreign, "keep.txt"), "utf8")).toBe("not ours");
  });

  it("rejects an unknown stack", async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "render-empty-"));
    await expect(renderStack("nonexistent", empty)).rejects.toThrow(/Pulumi\.nonexistent\.yaml was not found/);
  });
});
