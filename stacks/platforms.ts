import type * as pulumi from "@pulumi/pulumi";
import type { Platform } from "../components/platform";
import type { StackConfig } from "./config";
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
    case "eks":
      throw new Error("EKS platform not implemented yet");
  }
}
