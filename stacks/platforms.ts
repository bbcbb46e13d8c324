import type * as pulumi from "@pulumi/pulumi";
import type { Platform } from "../components/platform";
import type { StackConfig } from "./config";
import { createEksPlatform } from "./eks";
import { createKindPlatform } from "./kind";

/** The platform a stack runs on, and what it still needs once the Gateway exists. */
export interface PlatformSelection {
  readonly platform: Platform;
  /**
   * Points public DNS at Traefik's load balancer, on platforms that manage DNS. Absent where
   * nothing needs publishing, as on kind, whose hosts resolve to 127.0.0.1 by themselves.
   */
  readonly publishHostnames?: (hostnames: string[], loadBalancerHostname: pulumi.Output<string | undefined>) => void;
  /** Platform facts for stack outputs, such as the cluster name. */
  readonly outputs: Record<string, pulumi.Output<unknown>>;
}

/** Builds the platform that `apigw:platform` names. This is the only place that picks one. */
export function createPlatform(config: StackConfig): PlatformSelection {
  switch (config.platform) {
    case "kind":
      return { platform: createKindPlatform("kind", config.kind!), outputs: {} };
    case "eks": {
      const hosts = {
        public: [...new Set(config.routes.filter((route) => route.access !== "mtls").map((route) => route.host))],
        admin: [...new Set(config.routes.filter((route) => route.access === "mtls").map((route) => route.host))],
      };
      const eks = createEksPlatform("eks", config.eks!, hosts, config.eksSecrets ?? {});
      return {
        platform: eks.platform,
        // The EKS platform got the hosts already, because the certificate needs them first.
        publishHostnames: (_hostnames, loadBalancerHostname) => eks.publishHostnames(loadBalancerHostname),
        outputs: eks.outputs,
      };
    }
  }
}
