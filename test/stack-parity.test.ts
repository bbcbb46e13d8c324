/**
 * The promise that switching cloud is a stack setting: with the same hosts, routes and staff, the
 * local (kind) and dev (EKS) stacks give every component the same configuration, except for the
 * platform-dependent fields listed here.
 */
import { beforeAll, describe, expect, it, vi } from "vitest";
import { readStackConfig, evaluateStack, type StackEvaluation } from "./stack-harness";
import { isSecretValue, type RecordedResource } from "./mocks";

/** Components whose children are compared, by the logical-name prefix index.ts gives them. */
const componentPrefixes = ["gateway-", "identity-", "auth-", "staff-"];

const placeholder = "<generated>";

/** Replaces values that differ on every run (keys, certificates, random values, hashes) with a placeholder. */
function normalize(value: unknown, key = ""): unknown {
  if (isSecretValue(value)) {
    return placeholder;
  }
  if (typeof value === "string") {
    if (value.includes("-----BEGIN") || /^[0-9a-f]{64}$/.test(value) || key.endsWith("config-hash") || key.endsWith("migration-job")) {
      return placeholder;
    }
    return value;
  }
  if (Array.isArray(value)) {
    return value.map((item) => normalize(item));
  }
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([name, inner]) => [name, normalize(inner, name)]));
  }
  return value;
}

function componentChildren(evaluation: StackEvaluation): Map<string, RecordedResource> {
  return new Map(
    evaluation.resources
      .filter((resource) => componentPrefixes.some((prefix) => resource.name.startsWith(prefix)))
      .filter((resource) => !resource.type.startsWith("random:") && !resource.type.startsWith("tls:"))
      .map((resource) => [resource.name, resource]),
  );
}

/** Lists the paths where two values differ, such as `spec.replicas`. Arrays of one length are compared item by item. */
function differingPaths(left: unknown, right: unknown, path = ""): string[] {
  if (JSON.stringify(left) === JSON.stringify(right)) {
    return [];
  }
  if (Array.isArray(left) && Array.isArray(right) && left.length === right.length) {
    return left.flatMap((item, index) => differingPaths(item, right[index], `${path}[${index}]`));
  }
  const bothObjects =
    typeof left === "object" && left !== null && typeof right === "object" && right !== null && !Array.isArray(left) && !Array.isArray(right);
  if (!bothObjects) {
    return [path];
  }
  const keys = new Set([...Object.keys(left as object), ...Object.keys(right as object)]);
  return [...keys].flatMap((key) =>
    differingPaths((left as Record<string, unknown>)[key], (right as Record<string, unknown>)[key], path === "" ? key : `${path}.${key}`),
  );
}

/**
 * Every field in which the components' children differ between kind and EKS, by the Platform
 * field that decides it. Anything else differing means a component learned its platform.
 */
const platformDependentFields = [
  // availability.replicas: one of each on kind, two or more on EKS (Traefik's count is the HPA's).
  "auth-oathkeeper: spec.replicas",
  "identity-kratos: spec.replicas",
  "identity-ui: spec.replicas",
  "gateway-deployment: spec.replicas",
  // availability.spreadAcrossZones: PodDisruptionBudgets and zone spread on EKS only.
  "auth-oathkeeper-pdb: only on dev",
  "identity-kratos-pdb: only on dev",
  "identity-ui-pdb: only on dev",
  "gateway-pdb: only on dev",
  "auth-oathkeeper: spec.template.spec.topologySpreadConstraints",
  "identity-kratos: spec.template.spec.topologySpreadConstraints",
  "identity-ui: spec.template.spec.topologySpreadConstraints",
  "gateway-deployment: spec.template.spec.topologySpreadConstraints",
  // availability.gatewayMaxReplicas: Traefik autoscales on EKS.
  "gateway-hpa: only on dev",
  // gatewayExposure: node ports on kind, an internet-facing NLB with PROXY protocol on EKS, so
  // Traefik's entry points trust PROXY headers from the VPC there.
  "gateway-service: spec.type",
  "gateway-service: spec.ports[0].nodePort",
  "gateway-service: spec.ports[1].nodePort",
  "gateway-service: metadata.annotations.service.beta.kubernetes.io/aws-load-balancer-attributes",
  "gateway-service: metadata.annotations.service.beta.kubernetes.io/aws-load-balancer-backend-protocol",
  "gateway-service: metadata.annotations.service.beta.kubernetes.io/aws-load-balancer-nlb-target-type",
  "gateway-service: metadata.annotations.service.beta.kubernetes.io/aws-load-balancer-proxy-protocol",
  "gateway-service: metadata.annotations.service.beta.kubernetes.io/aws-load-balancer-scheme",
  "gateway-service: metadata.annotations.service.beta.kubernetes.io/aws-load-balancer-type",
  "gateway-deployment: spec.template.spec.containers[0].args",
  // publicCertificate: a program-issued certificate Secret on kind, cert-manager's Secret on EKS.
  "gateway-default-cert: only on local",
  "gateway-tls-store: spec.defaultCertificate.secretName",
  // identityDatabase: in-cluster Postgres on kind, RDS on EKS.
  "identity-postgres: only on local",
  "identity-postgres-credentials: only on local",
  "identity-postgres-service: only on local",
  "identity-postgres-statefulset: only on local",
];

let local: StackEvaluation;
let dev: StackEvaluation;

beforeAll(async () => {
  const devConfig = readStackConfig("dev").values;
  // The local stack with dev's hosts, routes and staff, so only the platform differs.
  const shared = Object.fromEntries(
    ["apigw:appHost", "apigw:adminHost", "apigw:routes", "apigw:staff", "apigw:mail", "apigw:sampleApps"].map((key) => [key, devConfig[key]!]),
  );
  local = await evaluateStack("local", () => import("../index"), shared);
  vi.resetModules();
  dev = await evaluateStack("dev", () => import("../index"));
});

describe("local and dev parity", () => {
  it("differs only in platform fields", () => {
    const localChildren = componentChildren(local);
    const devChildren = componentChildren(dev);
    const differences: string[] = [];
    for (const name of new Set([...localChildren.keys(), ...devChildren.keys()])) {
      const left = localChildren.get(name);
      const right = devChildren.get(name);
      if (left === undefined || right === undefined) {
        differences.push(`${name}: only on ${left === undefined ? "dev" : "local"}`);
        continue;
      }
      for (const path of differingPaths(normalize(left.inputs), normalize(right.inputs))) {
        differences.push(`${name}: ${path}`);
      }
    }
    expect(differences.sort()).toEqual(platformDependentFields.sort());
  });
});

describe("local and dev parity details", () => {
  it("keeps proxy protocol the only argument change", () => {
    const args = (evaluation: StackEvaluation) =>
      componentChildren(evaluation).get("gateway-deployment")!.inputs.spec.template.spec.containers[0].args as string[];
    const added = args(dev).filter((arg) => !args(local).includes(arg));
    const removed = args(local).filter((arg) => !args(dev).includes(arg));
    expect(removed).toEqual([]);
    expect(added).toEqual([
      "--entryPoints.web.proxyProtocol.trustedIPs=10.10.0.0/16",
      "--entryPoints.websecure.proxyProtocol.trustedIPs=10.10.0.0/16",
    ]);
  });
});
