import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { parse } from "yaml";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  createKindPlatform,
  defaultKindNodeImage,
  kindClusterConfig,
  kindNodePorts,
  requireKindAndDockerScript,
} from "../stacks/kind";
import { resolved } from "./mocks";

interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, any>;
}

const recorded: Recorded[] = [];
const fakeKubeconfig = "apiVersion: v1\nkind: Config\ncurrent-context: kind-apigw\n";

// test/fakes has no outputs for @pulumi/command, so this file installs its own mocks: a Command
// that runs `kind get kubeconfig` returns a kubeconfig on stdout, as the real one would.
async function useCommandMocks(): Promise<void> {
  await pulumi.runtime.setMocks(
    {
      newResource: (resource) => {
        recorded.push({ type: resource.type, name: resource.name, inputs: resource.inputs });
        const isKubeconfigCommand =
          resource.type === "command:local:Command" && String(resource.inputs.create).includes("kind get kubeconfig");
        const state = isKubeconfigCommand ? { ...resource.inputs, stdout: fakeKubeconfig } : resource.inputs;
        return { id: `${resource.name}-id`, state };
      },
      call: (invoke) => {
        throw new Error(`No mock for invoke ${invoke.token}`);
      },
    },
    "apigw",
    "test",
    false,
  );
}

function recordedNamed(name: string): Recorded {
  const matches = recorded.filter((resource) => resource.name === name);
  expect(matches.map((resource) => resource.name)).toEqual([name]);
  return matches[0]!;
}

const commandType = "command:local:Command";
const createSettings = { mode: "create", clusterName: "apigw", nodeImage: defaultKindNodeImage } as const;

describe("createKindPlatform", () => {
  beforeAll(useCommandMocks);
  beforeEach(() => void recorded.splice(0));

  it("maps host ports to node ports", () => {
    const config = parse(kindClusterConfig(defaultKindNodeImage));
    expect(config.kind).toBe("Cluster");
    expect(config.apiVersion).toBe("kind.x-k8s.io/v1alpha4");
    expect(config.nodes).toHaveLength(1);
    expect(config.nodes[0].image).toBe(defaultKindNodeImage);
    expect(config.nodes[0].extraPortMappings).toEqual([
      { containerPort: kindNodePorts.http, hostPort: 80, listenAddress: "127.0.0.1", protocol: "TCP" },
      { containerPort: kindNodePorts.https, hostPort: 443, listenAddress: "127.0.0.1", protocol: "TCP" },
    ]);
  });

  it("exposes gateway on same node ports", async () => {
    const platform = createKindPlatform("exposure", createSettings);
    await resolved(platform.kubernetesProvider.urn);
    expect(platform.gatewayExposure.serviceType).toBe("NodePort");
    expect(platform.gatewayExposure.nodePorts).toEqual({ http: 30080, https: 30443 });
    expect(platform.gatewayExposure.externalTrafficPolicy).toBe("Cluster");
    expect(platform.gatewayExposure.proxyProtocolTrustedIPs).toBeUndefined();
  });

  it("sets laptop-sized platform fields", async () => {
    const platform = createKindPlatform("fields", createSettings);
    await resolved(platform.kubernetesProvider.urn);
    expect(platform.identityDatabase).toEqual({ kind: "in-cluster" });
    expect(platform.storageClassName).toBe("standard");
    expect(platform.publicCertificate).toEqual({ kind: "issued-by-program" });
    expect(platform.availability).toEqual({ replicas: 1, spreadAcrossZones: false });
  });

  it("creates cluster from generated config", async () => {
    const platform = createKindPlatform("local", { ...createSettings, clusterName: "demo" });
    await resolved(platform.kubernetesProvider.urn);

    const cluster = recordedNamed("local-cluster");
    expect(cluster.type).toBe(commandType);
    expect(cluster.inputs.create).toContain('kind create cluster --name "demo" --config -');
    expect(cluster.inputs.stdin).toBe(kindClusterConfig(defaultKindNodeImage));
    expect(cluster.inputs.create).toContain(requireKindAndDockerScript);
  });

  it("deletes cluster on destroy", async () => {
    const platform = createKindPlatform("local", { ...createSettings, clusterName: "demo" });
    await resolved(platform.kubernetesProvider.urn);

    const cluster = recordedNamed("local-cluster");
    expect(cluster.inputs.delete).toContain('kind delete cluster --name "demo"');
    expect(cluster.inputs.delete).toContain(requireKindAndDockerScript);
  });

  it("builds provider from kind kubeconfig", async () => {
    const platform = createKindPlatform("local", { ...createSettings, clusterName: "demo" });
    await resolved(platform.kubernetesProvider.urn);

    const kubeconfig = recordedNamed("local-kubeconfig");
    expect(kubeconfig.type).toBe(commandType);
    expect(kubeconfig.inputs.create).toContain('kind get kubeconfig --name "demo"');
    // The kubeconfig carries the admin's client key, so the command must not log its stdout.
    expect(kubeconfig.inputs.logging).toBe("stderr");

    const provider = recordedNamed("local-k8s");
    expect(provider.type).toBe("pulumi:providers:kubernetes");
    // Provider inputs reach the mock serialized, so a secret shows up as its wire form.
    expect(provider.inputs.kubeconfig).toEqual({ [specialSigKey]: specialSecretSig, value: fakeKubeconfig });
    expect(provider.inputs.context).toBeUndefined();
  });

  it("uses context in existing mode", async () => {
    const platform = createKindPlatform("local", { mode: "existing", kubeconfigContext: "kind-other" });
    await resolved(platform.kubernetesProvider.urn);

    expect(recorded.filter((resource) => resource.type === commandType)).toEqual([]);
    const provider = recordedNamed("local-k8s");
    expect(provider.inputs.context).toBe("kind-other");
    expect(provider.inputs.kubeconfig).toBeUndefined();
  });
});

describe("requireKindAndDockerScript", () => {
  let binDirectory: string;

  beforeAll(() => {
    binDirectory = fs.mkdtempSync(path.join(os.tmpdir(), "kind-test-bin-"));
  });

  function runWithPath(pathValue: string) {
    return spawnSync("/bin/sh", ["-c", requireKindAndDockerScript], { env: { PATH: pathValue }, encoding: "utf8" });
  }

  function writeStub(name: string, exitCode: number): void {
    const file = path.join(binDirectory, name);
    fs.writeFileSync(file, `#!/bin/sh\nexit ${exitCode}\n`);
    fs.chmodSync(file, 0o755);
  }

  it("names kind when kind missing", () => {
    const result = runWithPath(path.join(binDirectory, "empty"));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("kind was not found on PATH. Install kind");
  });

  it("names docker when docker missing", () => {
    writeStub("kind", 0);
    const result = runWithPath(binDirectory);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("docker was not found on PATH");
  });

  it("reports unreachable Docker daemon", () => {
    writeStub("kind", 0);
    writeStub("docker", 1);
    const result = runWithPath(binDirectory);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("The Docker daemon is not reachable");
  });

  it("passes when both tools work", () => {
    writeStub("kind", 0);
    writeStub("docker", 0);
    const result = runWithPath(binDirectory);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe("");
  });
});

