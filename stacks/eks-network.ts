/**
 * The VPC of the EKS platform: public subnets for the load balancer and NAT gateways, private
 * subnets for nodes and the database, across the configured availability zones.
 */
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import type { EksSettings } from "./eks-config";

/** Network facts that the cluster, the database and the load balancer use. */
export interface EksNetwork {
  readonly vpcId: pulumi.Output<string>;
  /** IPv4 range of the VPC. The NLB's addresses come from it, so Traefik trusts PROXY headers from it. */
  readonly vpcCidr: string;
  /** One public subnet per availability zone. */
  readonly publicSubnetIds: pulumi.Output<string[]>;
  /** One private subnet per availability zone, reaching the internet through NAT. */
  readonly privateSubnetIds: pulumi.Output<string[]>;
}

/** Maps the `natGateways` setting to the awsx strategy. */
export function natGatewayStrategy(setting: EksSettings["network"]["natGateways"]): "Single" | "OnePerAz" {
  return setting === "perZone" ? "OnePerAz" : "Single";
}

/** Creates the VPC, its subnets, the internet gateway and the NAT gateways. */
export function createNetwork(name: string, settings: EksSettings["network"], parent: pulumi.Resource): EksNetwork {
  const vpc = new awsx.ec2.Vpc(
    `${name}-vpc`,
    {
      cidrBlock: settings.vpcCidr,
      numberOfAvailabilityZones: settings.availabilityZoneCount,
      // Auto sizes the subnets from the VPC range and keeps existing subnets when zones are added.
      subnetStrategy: "Auto",
      subnetSpecs: [
        // The AWS Load Balancer Controller places internet-facing load balancers in subnets with
        // this tag, and internal ones in subnets with the internal-elb tag.
        { type: "Public", tags: { "kubernetes.io/role/elb": "1" } },
        { type: "Private", tags: { "kubernetes.io/role/internal-elb": "1" } },
      ],
      natGateways: { strategy: natGatewayStrategy(settings.natGateways) },
      // EKS nodes and the RDS endpoint are reached by DNS names inside the VPC.
      enableDnsHostnames: true,
      enableDnsSupport: true,
    },
    { parent },
  );

  return {
    vpcId: vpc.vpcId,
    vpcCidr: settings.vpcCidr,
    publicSubnetIds: vpc.publicSubnetIds,
    privateSubnetIds: vpc.privateSubnetIds,
  };
}
