/**
 * Renders what a stack would deploy, without a cluster or the Pulumi CLI: evaluates the program
 * under the mock runtime with the stack's config and writes every Kubernetes object as YAML.
 *
 *   npm run render -- <stack> <output folder>      for example: npm run render -- local out/local
 *
 * Layout of the output folder:
 *   <namespace>/<kind>-<name>.yaml     one file per object (`_cluster` for cluster-scoped objects)
 *   configs/<namespace>/<configmap>/<key>   every file embedded in a ConfigMap, such as kratos.yml
 *   remote/<resource>.yaml             components applied from elsewhere, such as Traefik's CRDs
 *
 * Secret values (every value of a Secret and any value the program marked secret) are replaced by
 * `<redacted: N bytes>`, so the output can be shared and diffed.
 *
 * Objects that Pulumi names at deploy time get the name the test fakes give them: the logical name
 * and a suffix. The real suffix is random, so these names differ from the cluster's.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { isSecretValue, type RecordedResource } from "../test/mocks";
import { evaluateStack, type StackEvaluation } from "../test/stack-harness";

const repositoryRoot = path.resolve(__dirname, "..");

/** File that marks a folder as render output, so a later run may empty it. */
export const renderMarkerFile = ".apigw-render";

// Remote components, which the mock runtime records as one opaque resource instead of the objects
// they apply.
const remoteComponentTypes = new Set(["kubernetes:yaml/v2:ConfigFile", "kubernetes:helm.sh/v4:Chart"]);
const providerType = "pulumi:providers:kubernetes";

/** Result of one render: the files written, relative to the output folder. */
export interface RenderResult {
  readonly files: string[];
  readonly evaluation: StackEvaluation;
}

/** Returns the marker that replaces a secret value of the given size. */
export function redactionMarker(byteCount: number): string {
  return `<redacted: ${byteCount} bytes>`;
}

function byteLength(value: unknown): number {
  return Buffer.byteLength(typeof value === "string" ? value : JSON.stringify(value ?? null), "utf8");
}

/** Copies recorded inputs, replacing every secret-wrapped value by a redaction marker. */
export function redactSecrets(value: unknown): unknown {
  if (isSecretValue(value)) {
    return redactionMarker(byteLength((value as { value: unknown }).value));
  }
  if (Array.isArray(value)) {
    return value.map(redactSecrets);
  }
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, redactSecrets(inner)]));
  }
  return value;
}

// Every value of a Secret is redacted, marked secret or not. `data` is base64, so the marker
// counts the decoded bytes.
function redactSecretObject(object: Record<string, any>): Record<string, any> {
  const redacted = { ...object };
  for (const field of ["data", "stringData"] as const) {
    const values = redacted[field];
    if (values === undefined || values === null) {
      continue;
    }
    redacted[field] = Object.fromEntries(
      Object.entries(values as Record<string, unknown>).map(([key, value]) => {
        const size = field === "data" && typeof value === "string" ? Buffer.from(value, "base64").length : byteLength(value);
        return [key, typeof value === "string" && value.startsWith("<redacted: ") ? value : redactionMarker(size)];
      }),
    );
  }
  return redacted;
}

// Some inputs arrive with the whole `stringData` map wrapped as one secret. Unwrapping only the
// map's outer layer keeps the key names, which are not secret, visible in the output.
function unwrapOuterSecret(value: unknown): unknown {
  return isSecretValue(value) ? (value as { value: unknown }).value : value;
}

function fileNamePart(value: string): string {
  return value.replace(/[^A-Za-z0-9._-]/g, "_");
}

function header(resource: RecordedResource, generatedName: boolean): string {
  const lines = [`# Pulumi resource ${resource.name} (${resource.type}).`];
  if (generatedName) {
    lines.push("# Pulumi generates metadata.name at deploy time. The suffix here is a placeholder.");
  }
  return `${lines.join("\n")}\n`;
}

function prepareOutputDirectory(outputDirectory: string): void {
  if (fs.existsSync(outputDirectory)) {
    const entries = fs.readdirSync(outputDirectory);
    if (entries.length > 0 && !entries.includes(renderMarkerFile)) {
      throw new Error(
        `Output folder ${outputDirectory} is not empty and was not written by this script (no ${renderMarkerFile}). ` +
          "Choose an empty or new folder.",
      );
    }
    fs.rmSync(outputDirectory, { recursive: true, force: true });
  }
  fs.mkdirSync(outputDirectory, { recursive: true });
  fs.writeFileSync(path.join(outputDirectory, renderMarkerFile), "Written by scripts/render.ts. The next render empties this folder.\n");
}

/**
 * Evaluates the program for a stack under the mock runtime and writes its Kubernetes objects,
 * embedded config files and remote components into `outputDirectory`, which it empties first.
 */
export async function renderStack(stack: string, outputDirectory: string): Promise<RenderResult> {
  const stackFile = path.join(repositoryRoot, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(stackFile)) {
    throw new Error(`Stack file ${stackFile} was not found. Pass a stack that has a Pulumi.<stack>.yaml, such as local.`);
  }
  prepareOutputDirectory(outputDirectory);

  const evaluation = await evaluateStack(stack, () => import("../index"));
  const files: string[] = [];
  const write = (relativePath: string, text: string) => {
    const target = path.join(outputDirectory, relativePath);
    if (fs.existsSync(target)) {
      throw new Error(`Two rendered files map to ${relativePath}. Rename one of the resources.`);
    }
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, text);
    files.push(relativePath);
  };

  for (const resource of evaluation.resources) {
    if (resource.type === providerType || !resource.type.startsWith("kubernetes:")) {
      continue;
    }
    if (remoteComponentTypes.has(resource.type)) {
      const description = { type: resource.type, name: resource.name, inputs: redactSecrets(resource.inputs) };
      write(path.join("remote", `${fileNamePart(resource.name)}.yaml`), stringify(description, { lineWidth: 0 }));
      continue;
    }

    const inputs = { ...resource.inputs, stringData: unwrapOuterSecret(resource.inputs.stringData), data: unwrapOuterSecret(resource.inputs.data) };
    let object = redactSecrets(inputs) as Record<string, any>;
    if (object.kind === "Secret") {
      object = redactSecretObject(object);
    }
    for (const field of ["data", "stringData"]) {
      if (object[field] === undefined) {
        delete object[field];
      }
    }
    const generatedName = object.metadata?.name === undefined && typeof resource.state.metadata?.name === "string";
    if (generatedName) {
      object.metadata = { ...object.metadata, name: resource.state.metadata.name };
    }

    const namespace = object.metadata?.namespace ?? "_cluster";
    // Generated names get files named after the logical name, which stays the same between runs.
    const name = generatedName ? resource.name : (object.metadata?.name ?? resource.name);
    const kind = String(object.kind ?? resource.type.split(":").pop()).toLowerCase();
    write(path.join(fileNamePart(namespace), `${fileNamePart(kind)}-${fileNamePart(name)}.yaml`), header(resource, generatedName) + stringify(object, { lineWidth: 0 }));

    if (object.kind === "ConfigMap") {
      for (const [key, text] of Object.entries((object.data as Record<string, unknown>) ?? {})) {
        if (typeof text === "string") {
          write(path.join("configs", fileNamePart(namespace), fileNamePart(name), fileNamePart(key)), text);
        }
      }
    }
  }

  return { files: files.sort(), evaluation };
}

async function main(): Promise<void> {
  const [stack, output] = process.argv.slice(2);
  if (stack === undefined || output === undefined) {
    console.error("Usage: npm run render -- <stack> <output folder>, for example: npm run render -- local out/local");
    process.exit(2);
  }
  const outputDirectory = path.resolve(output);
  try {
    const result = await renderStack(stack, outputDirectory);
    console.log(`Rendered ${result.files.length} file(s) for stack ${stack} into ${outputDirectory}.`);
    // Ends the run even if the mock runtime left timers or handles open.
    process.exit(0);
  } catch (error) {
    console.error(`Rendering stack ${stack} failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

if (require.main === module) {
  void main();
}
