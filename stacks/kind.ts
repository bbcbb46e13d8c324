/**
 * The kind platform: a local Kubernetes cluster in Docker, created by the program or taken from an
 * existing kubeconfig context.
 */
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import type { Platform } from "../components/platform";

/** Settings for the kind platform, from the stack config keys `kindMode`, `kindClusterName`, `kindNodeImage` and `kubeconfigContext`. */
export type KindSettings =
  | { mode: "create"; clusterName: string; nodeImage: string }
  | { mode: "existing"; kubeconfigContext: string };

/**
 * Node image of the cluster the program creates.
 *
 * The default image of kind v0.31.0, from its release notes
 * (github.com/kubernetes-sigs/kind/releases/tag/v0.31.0). kind guarantees a node image only for the
 * release it was built with, and only when it is pulled by this digest.
 */
export const defaultKindNodeImage =
  "kindest/node:v1.35.0@sha256:452d707d4862f52530247495d180205e029056831160e22870e37e3f6c1ac31f";

/**
 * Node ports of Traefik's HTTP and HTTPS entry points. The kind config maps host ports 80 and 443
 * on 127.0.0.1 to these, and the platform's `gatewayExposure.nodePorts` hands the same values to
 * the Gateway, so the two cannot drift apart.
 */
export const kindNodePorts = { http: 30080, https: 30443 } as const;

/**
 * Names kind accepts for a cluster: a lower-case DNS label of at most 32 characters, so the node
 * container "<name>-control-plane" and the kubeconfig context "kind-<name>" stay valid names.
 */
export const kindClusterNamePattern = /^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/;

/** A kindest/node image pinned by digest, optionally with a registry host in front. */
export const kindNodeImagePattern = /^([a-z0-9.-]+(:[0-9]+)?\/)?kindest\/node:v[0-9]+\.[0-9]+\.[0-9]+@sha256:[a-f0-9]{64}$/;

/**
 * Builds the kind cluster config: one control-plane node whose node ports for Traefik are reachable
 * as ports 80 and 443 on the host's loopback address only.
 */
export function kindClusterConfig(nodeImage: string): string {
  const portMapping = (hostPort: number, containerPort: number) => ({
    containerPort,
    hostPort,
    // Loopback only, so the development gateway is not reachable from the local network.
    listenAddress: "127.0.0.1",
    protocol: "TCP",
  });
  return stringify({
    kind: "Cluster",
    apiVersion: "kind.x-k8s.io/v1alpha4",
    nodes: [
      {
        role: "control-plane",
        image: nodeImage,
        extraPortMappings: [portMapping(80, kindNodePorts.http), portMapping(443, kindNodePorts.https)],
      },
    ],
  });
}

/** Shell lines that exit with a message on stderr when kind or Docker is missing or Docker is not running. */
export const requireKindAndDockerScript = [
  'command -v kind >/dev/null 2>&1 || { echo "kind was not found on PATH. Install kind (https://kind.sigs.k8s.io/docs/user/quick-start/#installation) and run pulumi up again." >&2; exit 1; }',
  'command -v docker >/dev/null 2>&1 || { echo "docker was not found on PATH. kind runs its nodes as Docker containers, so install Docker and run pulumi up again." >&2; exit 1; }',
  'docker info >/dev/null 2>&1 || { echo "The Docker daemon is not reachable (docker info failed). Start Docker and run pulumi up again." >&2; exit 1; }',
].join("\n");

/**
 * Creates the kind platform: with `mode: "create"` the program creates and deletes a kind cluster
 * through the kind CLI, with `mode: "existing"` it deploys into a kubeconfig context.
 */
export function createKindPlatform(name: string, settings: KindSettings): Platform {
  const kubernetesProvider =
    settings.mode === "create"
      ? createClusterProvider(name, settings.clusterName, settings.nodeImage)
      : new k8s.Provider(`${name}-k8s`, { context: settings.kubeconfigContext });

  return {
    kubernetesProvider,
    gatewayExposure: {
      serviceType: "NodePort",
      serviceAnnotations: {},
      nodePorts: { http: kindNodePorts.http, https: kindNodePorts.https },
      // Docker forwards host ports to the node container, so there is no load balancer whose
      // source address Traefik would need to keep, and no PROXY protocol.
      externalTrafficPolicy: "Cluster",
    },
    identityDatabase: { kind: "in-cluster" },
    // kind's default StorageClass, served by its local-path provisioner.
    storageClassName: "standard",
    publicCertificate: { kind: "issued-by-program" },
    availability: { replicas: 1, spreadAcrossZones: false },
  };
}

function createClusterProvider(name: string, clusterName: string, nodeImage: string): k8s.Provider {
  // Both clusters would have the same name when only the image changes, so a replacement deletes
  // the old one first.
  const cluster = new command.local.Command(
    `${name}-cluster`,
    {
      interpreter: ["/bin/sh", "-c"],
      create: `${requireKindAndDockerScript}\nkind create cluster --name "${clusterName}" --config - --wait 180s`,
      // Runs only when the script text changes but no trigger does. Creating again would fail on
      // the existing cluster, so this only checks that the cluster is still there.
      update:
        `${requireKindAndDockerScript}\nkind get clusters | grep -qx "${clusterName}" || ` +
        `{ echo "kind cluster ${clusterName} was not found, so the stack state is out of date. ` +
        `Create it again with pulumi up --replace <URN of ${name}-cluster from pulumi stack --show-urns>." >&2; exit 1; }`,
      delete: `${requireKindAndDockerScript}\nkind delete cluster --name "${clusterName}"`,
      stdin: kindClusterConfig(nodeImage),
      // kind cannot change a running cluster, so a new name, image or port mapping replaces it.
      triggers: [clusterName, nodeImage, kindNodePorts.http, kindNodePorts.https],
    },
    { deleteBeforeReplace: true },
  );

  // The kubeconfig contains the cluster admin's client key, so it is kept out of the logs and
  // stored as a secret.
  const kubeconfig = new command.local.Command(
    `${name}-kubeconfig`,
    {
      interpreter: ["/bin/sh", "-c"],
      create: `${requireKindAndDockerScript}\nkind get kubeconfig --name "${clusterName}"`,
      logging: "stderr",
      // A replaced cluster has new certificates, so read its kubeconfig again.
      triggers: [cluster.id],
    },
    { dependsOn: [cluster], additionalSecretOutputs: ["stdout"] },
  );

  return new k8s.Provider(
    `${name}-k8s`,
    { kubeconfig: pulumi.secret(kubeconfig.stdout) },
    { dependsOn: [cluster, kubeconfig] },
  );
}
