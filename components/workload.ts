import * as crypto from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Platform } from "./platform";

type ContainerSecurityContext = k8s.types.input.core.v1.SecurityContext;
type PodSecurityContext = k8s.types.input.core.v1.PodSecurityContext;
type ResourceRequirements = k8s.types.input.core.v1.ResourceRequirements;

/**
 * Pod template annotation that carries a hash of every config file, rule file and key the pod
 * reads. A change to any of them changes the template, so Kubernetes rolls the pods.
 */
export const configHashAnnotation = "apigw.dev/config-hash";

/**
 * Builds the container security context every workload here uses: non-root, no privilege
 * escalation, no capabilities and a read-only root filesystem.
 *
 * Pass `readOnlyRootFilesystem: false` only for an image that cannot run otherwise, and explain
 * why in a comment at the call site.
 */
export function restrictedContainerSecurityContext(options?: {
  readOnlyRootFilesystem?: boolean;
}): ContainerSecurityContext {
  return {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: options?.readOnlyRootFilesystem ?? true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/**
 * Builds a pod security context that runs every container as the given user and group.
 *
 * `fsGroup` makes mounted volumes writable for that group, which Postgres needs for its data.
 */
export function restrictedPodSecurityContext(userId: number, groupId: number = userId): PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: userId,
    runAsGroup: groupId,
    fsGroup: groupId,
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** Builds requests and limits from CPU in millicores and memory in MiB. */
export function resourceRequirements(cpuMillicores: number, memoryMiB: number, cpuLimitMillicores?: number): ResourceRequirements {
  return {
    requests: { cpu: `${cpuMillicores}m`, memory: `${memoryMiB}Mi` },
    // Memory limit equals the request so a node never overcommits memory for these pods.
    limits: { cpu: `${cpuLimitMillicores ?? cpuMillicores * 4}m`, memory: `${memoryMiB}Mi` },
  };
}

/**
 * Hashes the given contents with SHA-256 for {@link configHashAnnotation}.
 *
 * The result is not marked secret even when an input is, so a preview shows which pods roll.
 * Every secret hashed here is a generated key or a random password of at least 32 characters,
 * which a SHA-256 digest does not reveal.
 */
export function configHash(...contents: pulumi.Input<string>[]): pulumi.Output<string> {
  const digest = pulumi.all(contents).apply((values) => {
    const hash = crypto.createHash("sha256");
    for (const value of values) {
      hash.update(value);
      hash.update("\0");
    }
    return hash.digest("hex");
  });
  return pulumi.unsecret(digest);
}

/**
 * Labels that make admission enforce the restricted Pod Security Standard in a namespace. Every
 * pod this program creates meets it, so a pod that does not is rejected instead of running.
 */
export const restrictedPodSecurityLabels = { "pod-security.kubernetes.io/enforce": "restricted" } as const;

/** Spreads replicas across zones when the platform sets spreadAcrossZones, and returns nothing otherwise. */
export function zoneSpread(platform: Platform, labels: Record<string, string>): Pick<k8s.types.input.core.v1.PodSpec, "topologySpreadConstraints"> {
  if (!platform.availability.spreadAcrossZones) {
    return {};
  }
  return {
    topologySpreadConstraints: [
      { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: labels } },
    ],
  };
}

/** Creates a PodDisruptionBudget that allows one pod down at a time, when the platform spreads pods across zones. */
export function createDisruptionBudget(
  logicalName: string,
  platform: Platform,
  namespace: pulumi.Output<string>,
  labels: Record<string, string>,
  inCluster: pulumi.CustomResourceOptions,
): void {
  if (!platform.availability.spreadAcrossZones) {
    return;
  }
  new k8s.policy.v1.PodDisruptionBudget(
    `${logicalName}-pdb`,
    { metadata: { namespace, labels }, spec: { maxUnavailable: 1, selector: { matchLabels: labels } } },
    inCluster,
  );
}

/**
 * Creates a namespace with a fixed name, because Service DNS names, URLs and routes contain it,
 * and with {@link restrictedPodSecurityLabels}, so admission rejects any pod that breaks them.
 */
export function createNamespace(
  logicalName: string,
  name: string,
  options: pulumi.CustomResourceOptions,
  labels: Record<string, string> = {},
): k8s.core.v1.Namespace {
  return new k8s.core.v1.Namespace(logicalName, { metadata: { name, labels: { ...labels, ...restrictedPodSecurityLabels } } }, options);
}
