/**
 * The EKS cluster: control plane, one managed node group in the private subnets, cluster access
 * through access entries, and the IAM roles for service accounts (IRSA) that add-ons use.
 */
import * as aws from "@pulumi/aws";
import * as eks from "@pulumi/eks";
import * as pulumi from "@pulumi/pulumi";
import { isGravitonInstanceType, type EksSettings } from "./eks-config";
import type { EksNetwork } from "./eks-network";

/** Cluster facts that the add-ons, the database and the Kubernetes provider use. */
export interface EksClusterResources {
  readonly cluster: eks.Cluster;
  readonly clusterName: pulumi.Output<string>;
  /** Kubeconfig that runs `aws eks get-token`, so it contains no long-lived credential. */
  readonly kubeconfigJson: pulumi.Output<string>;
  /**
   * Security group of the nodes. Managed nodes without a custom launch template get the cluster
   * security group that EKS creates, and with `skipDefaultSecurityGroups` this output is that group.
   */
  readonly nodeSecurityGroupId: pulumi.Output<string>;
  readonly oidcProviderArn: pulumi.Output<string>;
  /** OIDC issuer of the cluster without `https://`, as IAM condition keys spell it. */
  readonly oidcIssuer: pulumi.Output<string>;
  readonly nodeGroup: eks.ManagedNodeGroup;
}

/** AWS managed policies every EKS node needs: joining the cluster, pod networking, image pulls. */
export const nodePolicyNames = ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryPullOnly"] as const;

/** EKS access policy that grants cluster-wide admin rights to an access entry. */
export const clusterAdminAccessPolicy = "AmazonEKSClusterAdminPolicy";

/** Picks the Amazon Linux 2023 AMI type for the architecture of the instance types. */
export function nodeAmiType(instanceTypes: readonly string[]): "AL2023_ARM_64_STANDARD" | "AL2023_x86_64_STANDARD" {
  return instanceTypes.every(isGravitonInstanceType) ? "AL2023_ARM_64_STANDARD" : "AL2023_x86_64_STANDARD";
}

/** Creates the cluster and its node group. */
export function createCluster(
  name: string,
  settings: EksSettings,
  network: EksNetwork,
  partition: pulumi.Output<string>,
  tags: Record<string, string>,
  parent: pulumi.Resource,
): EksClusterResources {
  // With authentication mode API, @pulumi/eks sets bootstrapClusterCreatorAdminPermissions, so
  // the principal that runs the first `pulumi up` becomes cluster admin without an entry here
  // (nodejs/eks/cluster/cluster.ts in pulumi/pulumi-eks). Another entry for that same principal
  // would fail, so the list below is only for further roles such as a CI role or an admin group.
  // Keyed by position, because role names repeat across accounts and paths.
  // NOTE: removing a role from the middle of the list renames the entries after it.
  const accessEntries = Object.fromEntries(
    settings.clusterAdminRoleArns.map((roleArn, index) => [
      `admin-${index}`,
      {
        principalArn: roleArn,
        accessPolicies: {
          admin: {
            policyArn: pulumi.interpolate`arn:${partition}:eks::aws:cluster-access-policy/${clusterAdminAccessPolicy}`,
            accessScope: { type: "cluster" },
          },
        },
      },
    ]),
  );

  const cluster = new eks.Cluster(
    `${name}-cluster`,
    {
      version: settings.kubernetesVersion,
      vpcId: network.vpcId,
      publicSubnetIds: network.publicSubnetIds,
      privateSubnetIds: network.privateSubnetIds,
      nodeAssociatePublicIpAddress: false,
      authenticationMode: eks.AuthenticationMode.Api,
      accessEntries,
      // The managed node group below replaces the self-managed default group, and it uses the
      // cluster security group that EKS creates instead of the groups @pulumi/eks would add.
      skipDefaultNodeGroup: true,
      skipDefaultSecurityGroups: true,
      // IRSA: cert-manager and the AWS Load Balancer Controller assume IAM roles through it.
      createOidcProvider: true,
      // The VPC CNI's network policy agent enforces Kubernetes NetworkPolicies on the nodes.
      vpcCniOptions: { enableNetworkPolicy: true },
      enabledClusterLogTypes: ["audit", "authenticator"],
      tags,
    },
    { parent },
  );

  const nodeRole = new aws.iam.Role(
    `${name}-node-role`,
    {
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
      }),
      tags,
    },
    { parent },
  );
  const nodePolicies = nodePolicyNames.map(
    (policyName) =>
      new aws.iam.RolePolicyAttachment(
        `${name}-node-${policyName}`,
        { role: nodeRole.name, policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/${policyName}` },
        { parent },
      ),
  );

  const { nodes } = settings;
  // EKS adds the access entry of a managed node group's role itself in authentication mode API.
  const nodeGroup = new eks.ManagedNodeGroup(
    `${name}-nodes`,
    {
      cluster,
      nodeRole,
      instanceTypes: nodes.instanceTypes,
      amiType: nodeAmiType(nodes.instanceTypes),
      diskSize: nodes.diskSizeGiB,
      subnetIds: network.privateSubnetIds,
      scalingConfig: { minSize: nodes.minSize, desiredSize: nodes.desiredSize, maxSize: nodes.maxSize },
      tags,
    },
    { parent, dependsOn: nodePolicies },
  );

  return {
    cluster,
    clusterName: cluster.eksCluster.name,
    kubeconfigJson: cluster.kubeconfigJson,
    nodeSecurityGroupId: cluster.nodeSecurityGroupId,
    oidcProviderArn: cluster.oidcProviderArn,
    oidcIssuer: cluster.oidcIssuer,
    nodeGroup,
  };
}

/**
 * Builds the trust policy that lets one Kubernetes service account assume an IAM role through the
 * cluster's OIDC provider (IRSA).
 */
export function serviceAccountTrustPolicy(
  cluster: Pick<EksClusterResources, "oidcProviderArn" | "oidcIssuer">,
  namespace: string,
  serviceAccount: string,
): pulumi.Output<string> {
  return pulumi.all([cluster.oidcProviderArn, cluster.oidcIssuer]).apply(([providerArn, issuer]) =>
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Federated: providerArn },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: {
            StringEquals: {
              [`${issuer}:sub`]: `system:serviceaccount:${namespace}:${serviceAccount}`,
              [`${issuer}:aud`]: "sts.amazonaws.com",
            },
          },
        },
      ],
    }),
  );
}
