/**
 * Fake outputs of the AWS, EKS and awsx resources and functions the EKS platform uses, shaped like
 * the real ones: ARNs with account and region, one subnet per availability zone, an RDS endpoint,
 * a kubeconfig that runs `aws eks get-token`.
 *
 * `awsx:ec2:Vpc`, `eks:index:Cluster` and `eks:index:ManagedNodeGroup` are remote components, so
 * the mock runtime records each as one resource and none of their children. Their fakes return the
 * outputs the program reads from them.
 */
import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

type Outputs = Record<string, unknown>;

/** Account of every fake ARN. */
export const fakeAccountId = "123456789012";
/** Zone ID that the fake `route53.getZone` returns. */
export const fakeHostedZoneId = "Z0FAKEHOSTEDZONE01";
/** Canonical hosted zone of Network Load Balancers in us-east-1, from the AWS endpoints table. */
export const fakeNlbHostedZoneId = "Z26RNL4JYFTOTI";

function region(): string {
  return pulumi.runtime.getConfig("aws:region") ?? "us-east-1";
}

/** Derives a stable hex id from a logical name, so repeated runs produce the same ids. */
function hexId(name: string, length: number): string {
  return crypto.createHash("sha256").update(name).digest("hex").slice(0, length);
}

function availabilityZones(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `${region()}${String.fromCharCode(97 + index)}`);
}

/** Returns realistic outputs for one resource, or none for types whose inputs suffice. */
export function fakeAwsOutputs(type: string, name: string, inputs: Record<string, any>): Outputs {
  switch (type) {
    case "awsx:ec2:Vpc":
      return fakeVpc(name, inputs);
    case "eks:index:Cluster":
      return fakeCluster(name);
    case "eks:index:ManagedNodeGroup":
      return { nodeGroup: { nodeGroupName: `${name}-${hexId(name, 8)}`, status: "ACTIVE" } };
    case "aws:iam/role:Role": {
      const roleName = inputs.name ?? `${name}-${hexId(name, 7)}`;
      return { name: roleName, arn: `arn:aws:iam::${fakeAccountId}:role/${roleName}`, uniqueId: `AROA${hexId(name, 17).toUpperCase()}` };
    }
    case "aws:ec2/securityGroup:SecurityGroup":
      return { arn: `arn:aws:ec2:${region()}:${fakeAccountId}:security-group/sg-${hexId(name, 17)}` };
    case "aws:rds/subnetGroup:SubnetGroup": {
      const groupName = inputs.name ?? `${name}-${hexId(name, 7)}`;
      return { name: groupName, arn: `arn:aws:rds:${region()}:${fakeAccountId}:subgrp:${groupName}` };
    }
    case "aws:rds/instance:Instance": {
      const identifier = inputs.identifier ?? `${name}-${hexId(name, 7)}`;
      const address = `${identifier}.c${hexId(name, 11)}.${region()}.rds.amazonaws.com`;
      const port = inputs.port ?? 5432;
      return {
        identifier,
        address,
        port,
        endpoint: `${address}:${port}`,
        arn: `arn:aws:rds:${region()}:${fakeAccountId}:db:${identifier}`,
      };
    }
    case "aws:route53/record:Record":
      return { fqdn: inputs.name };
    default:
      return {};
  }
}

function fakeVpc(name: string, inputs: Record<string, any>): Outputs {
  const zones = availabilityZones(Number(inputs.numberOfAvailabilityZones ?? 3));
  const subnetIds = (kind: string) => zones.map((zone) => `subnet-${hexId(`${name}-${kind}-${zone}`, 17)}`);
  const strategy = inputs.natGateways?.strategy ?? "OnePerAz";
  let natCount = 1;
  if (strategy === "OnePerAz") {
    natCount = zones.length;
  } else if (strategy === "None") {
    natCount = 0;
  }
  return {
    vpcId: `vpc-${hexId(name, 17)}`,
    publicSubnetIds: subnetIds("public"),
    privateSubnetIds: subnetIds("private"),
    isolatedSubnetIds: [],
    natGateways: Array.from({ length: natCount }, (_, index) => ({ id: `nat-${hexId(`${name}-nat-${index}`, 17)}` })),
  };
}

function fakeCluster(name: string): Outputs {
  const clusterName = `${name}-eksCluster-${hexId(name, 7)}`;
  const oidcId = hexId(`${name}-oidc`, 32).toUpperCase();
  const oidcIssuer = `oidc.eks.${region()}.amazonaws.com/id/${oidcId}`;
  const endpoint = `https://${oidcId}.gr7.${region()}.eks.amazonaws.com`;
  const kubeconfig = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "kubernetes", cluster: { server: endpoint, "certificate-authority-data": Buffer.from("fake CA").toString("base64") } }],
    contexts: [{ name: "aws", context: { cluster: "kubernetes", user: "aws" } }],
    "current-context": "aws",
    users: [
      {
        name: "aws",
        user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "aws",
            args: ["eks", "get-token", "--cluster-name", clusterName, "--output", "json"],
            env: [{ name: "KUBERNETES_EXEC_INFO", value: '{"apiVersion": "client.authentication.k8s.io/v1beta1"}' }],
          },
        },
      },
    ],
  };
  const clusterSecurityGroupId = `sg-${hexId(`${name}-cluster-sg`, 17)}`;
  return {
    eksCluster: {
      name: clusterName,
      arn: `arn:aws:eks:${region()}:${fakeAccountId}:cluster/${clusterName}`,
      endpoint,
      version: "1.35",
      vpcConfig: { clusterSecurityGroupId },
    },
    kubeconfig,
    kubeconfigJson: JSON.stringify(kubeconfig),
    // With skipDefaultSecurityGroups both outputs are the group EKS creates.
    clusterSecurityGroupId,
    nodeSecurityGroupId: clusterSecurityGroupId,
    oidcIssuer,
    oidcProviderUrl: `https://${oidcIssuer}`,
    oidcProviderArn: `arn:aws:iam::${fakeAccountId}:oidc-provider/${oidcIssuer}`,
  };
}

/** Returns the result of an AWS function, or undefined for a token without a fake. */
export function fakeAwsCallResult(token: string, inputs: Record<string, any>): Outputs | undefined {
  switch (token) {
    case "aws:index/getPartition:getPartition":
      return { id: "aws", partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" };
    case "aws:index/getRegion:getRegion": {
      const name = inputs.region ?? region();
      return { id: name, name, region: name, endpoint: `ec2.${name}.amazonaws.com`, description: "Fake region" };
    }
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return {
        id: fakeAccountId,
        accountId: fakeAccountId,
        arn: `arn:aws:sts::${fakeAccountId}:assumed-role/deployer/session`,
        userId: "AROAFAKEDEPLOYER:session",
      };
    case "aws:index/getAvailabilityZones:getAvailabilityZones": {
      const names = availabilityZones(3);
      return { id: region(), names, zoneIds: names.map((_, index) => `use1-az${index + 1}`), groupNames: [region()] };
    }
    case "aws:route53/getZone:getZone":
      return {
        id: fakeHostedZoneId,
        zoneId: fakeHostedZoneId,
        name: inputs.name,
        arn: `arn:aws:route53:::hostedzone/${fakeHostedZoneId}`,
        privateZone: inputs.privateZone ?? false,
        nameServers: ["ns-1.awsdns-01.org", "ns-2.awsdns-02.co.uk"],
      };
    case "aws:lb/getHostedZoneId:getHostedZoneId":
      return { id: inputs.loadBalancerType === "network" ? fakeNlbHostedZoneId : "Z35SXDOTRQ7X7K" };
    default:
      return undefined;
  }
}
