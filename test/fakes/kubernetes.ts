import * as crypto from "node:crypto";

// Component resources and providers, which have no metadata of their own.
const notObjects = new Set(["kubernetes:yaml/v2:ConfigFile", "kubernetes:helm.sh/v4:Chart"]);

/**
 * Returns what the Kubernetes provider and the cluster add to an object:
 * - `metadata.name` when the program left it out, as the provider's auto-naming does (the logical
 *   name, a dash and eight random characters), so references to the object resolve;
 * - a load balancer hostname on a LoadBalancer Service, in the form AWS gives NLBs, which the
 *   provider waits for before it reports the Service created.
 */
export function fakeKubernetesOutputs(type: string, name: string, inputs: Record<string, any>): Record<string, unknown> {
  const outputs: Record<string, unknown> = {};
  if (!notObjects.has(type) && inputs.metadata?.name === undefined) {
    const suffix = crypto.createHash("sha256").update(`${type}/${name}`).digest("hex").slice(0, 8);
    outputs.metadata = { ...(inputs.metadata ?? {}), name: `${name}-${suffix}` };
  }
  if (type === "kubernetes:core/v1:Service" && inputs.spec?.type === "LoadBalancer") {
    const suffix = crypto.createHash("sha256").update(name).digest("hex").slice(0, 16);
    outputs.status = { loadBalancer: { ingress: [{ hostname: `k8s-gateway-traefik-${suffix}.elb.us-east-1.amazonaws.com` }] } };
  }
  return outputs;
}
