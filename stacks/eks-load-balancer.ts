/**
 * Traefik's exposure to the internet on EKS: the AWS Load Balancer Controller turns
 * Traefik's Service into a Network Load Balancer in TCP mode with pods as IP targets, and PROXY
 * protocol v2 carries the client address to Traefik.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { GatewayExposure } from "../components/platform";
import { serviceAccountTrustPolicy, type EksClusterResources } from "./eks-cluster";

/**
 * Chart of the AWS Load Balancer Controller, from github.com/aws/eks-charts. eks-charts release
 * v0.0.240 (13 July 2026) shipped controller v3.4.2. From 3.x on the chart version equals the
 * controller version.
 */
export const loadBalancerControllerChart = {
  chart: "aws-load-balancer-controller",
  version: "3.4.2",
  repository: "https://aws.github.io/eks-charts",
} as const;

/** Namespace and service account of the controller. The IAM role trusts exactly this account. */
const controllerNamespace = "kube-system";
const controllerServiceAccount = "aws-load-balancer-controller";

/** Tag the controller puts on every load balancer, target group and security group it owns. */
const ownershipTag = "elbv2.k8s.aws/cluster";

/**
 * Builds the Service exposure for Traefik behind an internet-facing NLB.
 *
 * Client IPs: with IP targets the NLB connects to the pod from its own address, so Traefik would
 * see the NLB instead of the client. The NLB therefore sends a PROXY protocol v2 header, and
 * Traefik accepts that header only from the VPC range the NLB's addresses come from. The two
 * settings are produced together here, so neither can be on without the other.
 * `externalTrafficPolicy` stays `Cluster`, because IP targets skip kube-proxy and the policy has
 * no effect on them.
 */
export function nlbGatewayExposure(vpcCidr: string): GatewayExposure {
  return {
    serviceType: "LoadBalancer",
    serviceAnnotations: {
      // "external" hands the Service to the AWS Load Balancer Controller. The legacy controller
      // in the AWS cloud provider ignores Services with this value.
      "service.beta.kubernetes.io/aws-load-balancer-type": "external",
      "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
      "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
      // TCP listeners and TCP target groups: TLS and mTLS end in Traefik, as on kind.
      "service.beta.kubernetes.io/aws-load-balancer-backend-protocol": "tcp",
      "service.beta.kubernetes.io/aws-load-balancer-proxy-protocol": "*",
      // Lets a zone's NLB node reach pods in other zones, so a zone without a Traefik pod still
      // serves requests.
      "service.beta.kubernetes.io/aws-load-balancer-attributes": "load_balancing.cross_zone.enabled=true",
    },
    externalTrafficPolicy: "Cluster",
    proxyProtocolTrustedIPs: [vpcCidr],
  };
}

/**
 * Installs the AWS Load Balancer Controller with an IAM role for its service account.
 *
 * The in-tree alternative (annotation `aws-load-balancer-type: nlb`) only receives critical fixes,
 * registers every node as an instance target and cannot send PROXY protocol to an NLB, so this
 * program uses the controller.
 */
export function installLoadBalancerController(
  name: string,
  cluster: EksClusterResources,
  vpcId: pulumi.Output<string>,
  region: pulumi.Output<string>,
  partition: pulumi.Output<string>,
  provider: k8s.Provider,
  tags: Record<string, string>,
  parent: pulumi.Resource,
): k8s.helm.v4.Chart {
  const role = new aws.iam.Role(
    `${name}-lbc-role`,
    { assumeRolePolicy: serviceAccountTrustPolicy(cluster, controllerNamespace, controllerServiceAccount), tags },
    { parent },
  );
  new aws.iam.RolePolicy(`${name}-lbc-policy`, { role: role.id, policy: partition.apply(loadBalancerControllerPolicy) }, { parent });

  return new k8s.helm.v4.Chart(
    `${name}-lbc`,
    {
      chart: loadBalancerControllerChart.chart,
      version: loadBalancerControllerChart.version,
      repositoryOpts: { repo: loadBalancerControllerChart.repository },
      namespace: controllerNamespace,
      values: {
        clusterName: cluster.clusterName,
        // Given explicitly, so the controller need not ask the instance metadata service, which
        // pods may not reach when the node's IMDSv2 hop limit is 1.
        region,
        vpcId,
        replicaCount: 2,
        serviceAccount: {
          name: controllerServiceAccount,
          annotations: { "eks.amazonaws.com/role-arn": role.arn },
        },
        // The webhook would reject new LoadBalancer Services while the controller pods are not
        // ready yet. Traefik's Service names the controller through its annotations instead.
        enableServiceMutatorWebhook: false,
      },
    },
    { parent, provider },
  );
}

/**
 * Builds the controller's IAM policy for Network Load Balancers.
 *
 * Written for what this program uses: NLBs for Services, their target groups and security groups.
 * Everything it creates carries the ownership tag, and changes are limited to resources with it.
 * NOTE: this follows the actions of the upstream policy (docs/install/iam_policy.json in
 * kubernetes-sigs/aws-load-balancer-controller) without its ALB, WAF, Shield, ACM and Cognito
 * parts. Compare it with that file when the chart is upgraded, because new controller versions
 * may call new actions.
 */
export function loadBalancerControllerPolicy(partition: string): string {
  const anyLoadBalancer = [
    `arn:${partition}:elasticloadbalancing:*:*:loadbalancer/net/*/*`,
    `arn:${partition}:elasticloadbalancing:*:*:targetgroup/*/*`,
  ];
  const securityGroups = `arn:${partition}:ec2:*:*:security-group/*`;
  const requestTagged = { Null: { [`aws:RequestTag/${ownershipTag}`]: "false" } };
  const resourceTagged = { Null: { [`aws:ResourceTag/${ownershipTag}`]: "false" } };

  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadNetworkAndLoadBalancers",
        Effect: "Allow",
        Action: ["ec2:Describe*", "ec2:GetSecurityGroupsForVpc", "ec2:GetCoipPoolUsage", "elasticloadbalancing:Describe*"],
        Resource: "*",
      },
      {
        Sid: "CreateLoadBalancingServiceRole",
        Effect: "Allow",
        Action: "iam:CreateServiceLinkedRole",
        Resource: "*",
        Condition: { StringEquals: { "iam:AWSServiceName": "elasticloadbalancing.amazonaws.com" } },
      },
      {
        Sid: "CreateOwnedSecurityGroups",
        Effect: "Allow",
        Action: "ec2:CreateSecurityGroup",
        Resource: "*",
      },
      {
        Sid: "TagSecurityGroupsOnCreate",
        Effect: "Allow",
        Action: "ec2:CreateTags",
        Resource: securityGroups,
        Condition: { StringEquals: { "ec2:CreateAction": "CreateSecurityGroup" }, ...requestTagged },
      },
      {
        Sid: "ChangeOwnedSecurityGroups",
        Effect: "Allow",
        Action: ["ec2:CreateTags", "ec2:DeleteTags", "ec2:DeleteSecurityGroup"],
        Resource: securityGroups,
        Condition: resourceTagged,
      },
      {
        // The controller opens the node security group to its load balancer's security group, and
        // EKS created that group, so it carries no ownership tag.
        Sid: "OpenNodeSecurityGroupsToLoadBalancers",
        Effect: "Allow",
        Action: ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
        Resource: securityGroups,
      },
      {
        Sid: "CreateOwnedLoadBalancers",
        Effect: "Allow",
        Action: ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
        Resource: "*",
        Condition: requestTagged,
      },
      {
        Sid: "TagLoadBalancersOnCreate",
        Effect: "Allow",
        Action: "elasticloadbalancing:AddTags",
        Resource: anyLoadBalancer,
        Condition: {
          StringEquals: { "elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"] },
          ...requestTagged,
        },
      },
      {
        Sid: "ChangeOwnedLoadBalancers",
        Effect: "Allow",
        Action: [
          "elasticloadbalancing:AddTags",
          "elasticloadbalancing:RemoveTags",
          "elasticloadbalancing:ModifyLoadBalancerAttributes",
          "elasticloadbalancing:SetIpAddressType",
          "elasticloadbalancing:SetSecurityGroups",
          "elasticloadbalancing:SetSubnets",
          "elasticloadbalancing:DeleteLoadBalancer",
          "elasticloadbalancing:ModifyTargetGroup",
          "elasticloadbalancing:ModifyTargetGroupAttributes",
          "elasticloadbalancing:DeleteTargetGroup",
        ],
        Resource: "*",
        Condition: resourceTagged,
      },
      {
        Sid: "RegisterPodTargets",
        Effect: "Allow",
        Action: ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
        Resource: `arn:${partition}:elasticloadbalancing:*:*:targetgroup/*/*`,
      },
      {
        Sid: "ManageListeners",
        Effect: "Allow",
        Action: [
          "elasticloadbalancing:CreateListener",
          "elasticloadbalancing:DeleteListener",
          "elasticloadbalancing:ModifyListener",
          "elasticloadbalancing:ModifyListenerAttributes",
        ],
        Resource: "*",
      },
    ],
  });
}
