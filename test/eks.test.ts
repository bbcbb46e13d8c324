import * as pulumi from "@pulumi/pulumi";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createEksPlatform, type EksHosts, type EksPlatform } from "../stacks/eks";
import { gatewayNamespace } from "../stacks/eks-certificates";
import { eksSettingsSchema, type EksSettings } from "../stacks/eks-config";
import { databaseResourceOptions, postgresDsn } from "../stacks/eks-database";
import { loadBalancerControllerChart } from "../stacks/eks-load-balancer";
import { fakeHostedZoneId, fakeNlbHostedZoneId } from "./fakes/aws";
import { created, named, ofType, resetRecords, resolved, settled, useMocks, type RecordedResource } from "./mocks";

const hosts: EksHosts = { public: ["app.dev.example.com"], admin: ["admin.dev.example.com"] };

const devSettings = eksSettingsSchema.parse({
  network: { natGateways: "single", availabilityZoneCount: 2 },
  nodes: { instanceTypes: ["t3.large"], minSize: 2, desiredSize: 2, maxSize: 3 },
  database: { multiAz: false, backupRetentionDays: 1, deletionProtection: false, finalSnapshot: false, protect: false },
  tls: { mode: "letsencrypt", email: "ops@example.com" },
  hostedZone: { name: "dev.example.com" },
});

const prodSettings = eksSettingsSchema.parse({
  production: true,
  network: { natGateways: "perZone", availabilityZoneCount: 3, vpcCidr: "10.40.0.0/16" },
  nodes: { instanceTypes: ["m7i.large"], minSize: 3, desiredSize: 3, maxSize: 6 },
  database: { instanceClass: "db.m7g.large", multiAz: true, backupRetentionDays: 14 },
  tls: { mode: "letsencrypt", email: "ops@example.com" },
  hostedZone: { name: "example.com", id: "Z0123456789ABCDEFGHIJ" },
});

/** Dev settings without a hosted zone, with a certificate from the stack config. */
const providedSettings = eksSettingsSchema.parse({
  network: { natGateways: "single" },
  database: { deletionProtection: false, finalSnapshot: false, protect: false },
  tls: { mode: "provided" },
});

const providedCertificate = {
  certificatePem: pulumi.secret("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"),
  privateKeyPem: pulumi.secret("-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"),
};

/** Builds the platform, publishes the hosts and waits until every resource is registered. */
async function build(settings: EksSettings, name = "eks"): Promise<EksPlatform> {
  const eks = createEksPlatform(name, settings, hosts, settings.tls.mode === "provided" ? { providedCertificate } : {});
  eks.publishHostnames("k8s-gateway-traefik-0123456789.elb.us-east-1.amazonaws.com");
  await resolved(eks.platform.identityDatabase.kind === "external" ? eks.platform.identityDatabase.dsn : "");
  await resolved(eks.outputs.kubeconfig!);
  await settled();
  return eks;
}

function only(type: string): RecordedResource {
  const matches = ofType(type);
  expect(matches, `resources of type ${type}`).toHaveLength(1);
  return matches[0]!;
}

describe("createEksPlatform", () => {
  beforeAll(async () => {
    await useMocks({ stack: "dev" });
  });
  beforeEach(resetRecords);
  afterEach(() => vi.restoreAllMocks());

  it("dev uses one NAT gateway", async () => {
    await build(devSettings);
    const vpc = only("awsx:ec2:Vpc");
    expect(vpc.inputs.natGateways).toEqual({ strategy: "Single" });
    expect(vpc.inputs.numberOfAvailabilityZones).toBe(2);
    expect(vpc.inputs.cidrBlock).toBe("10.0.0.0/16");
  });

  it("prod uses NAT gateway per zone", async () => {
    await build(prodSettings);
    const vpc = only("awsx:ec2:Vpc");
    expect(vpc.inputs.natGateways).toEqual({ strategy: "OnePerAz" });
    expect(vpc.inputs.numberOfAvailabilityZones).toBe(3);
    expect(vpc.state.privateSubnetIds).toHaveLength(3);
  });

  it("tags subnets for load balancers", async () => {
    await build(devSettings);
    const specs = only("awsx:ec2:Vpc").inputs.subnetSpecs as Array<{ type: string; tags: Record<string, string> }>;
    expect(specs.find((spec) => spec.type === "Public")?.tags).toEqual({ "kubernetes.io/role/elb": "1" });
    expect(specs.find((spec) => spec.type === "Private")?.tags).toEqual({ "kubernetes.io/role/internal-elb": "1" });
  });

  it("cluster pins version and access mode", async () => {
    await build(devSettings);
    const cluster = only("eks:index:Cluster");
    expect(cluster.inputs.version).toBe("1.35");
    expect(cluster.inputs.authenticationMode).toBe("API");
    expect(cluster.inputs.vpcCniOptions.enableNetworkPolicy).toBe(true);
    expect(cluster.inputs.nodeAssociatePublicIpAddress).toBe(false);
    expect(cluster.inputs.skipDefaultNodeGroup).toBe(true);
    expect(cluster.inputs.createOidcProvider).toBe(true);
    const vpc = only("awsx:ec2:Vpc");
    expect(cluster.inputs.privateSubnetIds).toEqual(vpc.state.privateSubnetIds);
  });

  it("extra admins get access entries", async () => {
    // Two roles with one name in different accounts must both get an entry.
    const roles = ["arn:aws:iam::123456789012:role/ci-deployer", "arn:aws:iam::210987654321:role/ci-deployer"];
    await build({ ...devSettings, clusterAdminRoleArns: roles });
    const entries = only("eks:index:Cluster").inputs.accessEntries;
    expect(Object.keys(entries)).toEqual(["admin-0", "admin-1"]);
    expect(entries["admin-0"].principalArn).toBe(roles[0]);
    expect(entries["admin-1"].principalArn).toBe(roles[1]);
    expect(entries["admin-0"].accessPolicies.admin.policyArn).toBe("arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy");
    expect(entries["admin-0"].accessPolicies.admin.accessScope).toEqual({ type: "cluster" });
  });

  it("node group stays in private subnets", async () => {
    await build(devSettings);
    const nodeGroup = only("eks:index:ManagedNodeGroup");
    expect(nodeGroup.inputs.subnetIds).toEqual(only("awsx:ec2:Vpc").state.privateSubnetIds);
    expect(nodeGroup.inputs.instanceTypes).toEqual(["t3.large"]);
    expect(nodeGroup.inputs.amiType).toBe("AL2023_x86_64_STANDARD");
    expect(nodeGroup.inputs.scalingConfig).toEqual({ minSize: 2, desiredSize: 2, maxSize: 3 });
  });

  it("kubernetes providers use cluster kubeconfig", async () => {
    const eks = await build(devSettings);
    const kubeconfig = only("eks:index:Cluster").state.kubeconfigJson;
    const providers = ofType("pulumi:providers:kubernetes");
    expect(providers.map((provider) => provider.name).sort()).toEqual(["eks-k8s", "eks-k8s-addons"]);
    for (const provider of providers) {
      expect(provider.inputs.kubeconfig).toBe(kubeconfig);
    }
    expect(await pulumi.isSecret(eks.outputs.kubeconfig!)).toBe(true);
  });

  it("prod database is Multi-AZ and kept", async () => {
    await build(prodSettings);
    const database = only("aws:rds/instance:Instance").inputs;
    expect(database.multiAz).toBe(true);
    expect(database.deletionProtection).toBe(true);
    expect(database.backupRetentionPeriod).toBe(14);
    expect(database.skipFinalSnapshot).toBe(false);
    expect(database.finalSnapshotIdentifier).toMatch(/^eks-kratos-final-[0-9a-f]+$/);
    expect(database.storageEncrypted).toBe(true);
    expect(database.publiclyAccessible).toBe(false);
    expect(database.instanceClass).toBe("db.m7g.large");
  });

  it("dev database allows teardown", async () => {
    await build(devSettings);
    const database = only("aws:rds/instance:Instance").inputs;
    expect(database.multiAz).toBe(false);
    expect(database.deletionProtection).toBe(false);
    expect(database.skipFinalSnapshot).toBe(true);
    expect(database.finalSnapshotIdentifier).toBeUndefined();
    expect(database.storageEncrypted).toBe(true);
  });

  it("database subnets are private", async () => {
    await build(devSettings);
    const subnetGroup = only("aws:rds/subnetGroup:SubnetGroup");
    expect(subnetGroup.inputs.subnetIds).toEqual(only("awsx:ec2:Vpc").state.privateSubnetIds);
    expect(only("aws:rds/instance:Instance").inputs.dbSubnetGroupName).toBe(subnetGroup.state.name);
  });

  it.each([
    { protect: true, expected: true },
    { protect: false, expected: false },
  ])("protect option follows settings ($protect)", ({ protect, expected }) => {
    const parent = new pulumi.ComponentResource("test:index:Parent", `parent-${protect}`);
    expect(databaseResourceOptions({ ...devSettings.database, protect }, parent).protect).toBe(expected);
  });

  it("database admits only node security group", async () => {
    await build(devSettings);
    const rules = ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
    expect(rules).toHaveLength(1);
    const rule = rules[0]!.inputs;
    expect(rule.referencedSecurityGroupId).toBe(only("eks:index:Cluster").state.nodeSecurityGroupId);
    expect(rule.fromPort).toBe(5432);
    expect(rule.toPort).toBe(5432);
    expect(rule.ipProtocol).toBe("tcp");
    expect(rule.cidrIpv4).toBeUndefined();
    const group = named("eks-db-sg");
    expect(group.inputs.ingress).toBeUndefined();
    expect(only("aws:rds/instance:Instance").inputs.vpcSecurityGroupIds).toEqual([`${group.name}-id`]);
  });

  it("DSN is secret and complete", async () => {
    const eks = await build(devSettings);
    const database = eks.platform.identityDatabase;
    expect(database.kind).toBe("external");
    if (database.kind !== "external") {
      return;
    }
    expect(await pulumi.isSecret(database.dsn)).toBe(true);
    const address = only("aws:rds/instance:Instance").state.address;
    const password = only("random:index/randomPassword:RandomPassword").state.result;
    expect(await resolved(database.dsn)).toBe(`postgres://kratos:${password}@${address}:5432/kratos?sslmode=require`);
  });

  it("DSN encodes password characters", async () => {
    const dsn = postgresDsn("p@ss/w:rd%", "db.example.internal", 5432);
    expect(await pulumi.isSecret(dsn)).toBe(true);
    expect(await resolved(dsn)).toBe("postgres://kratos:p%40ss%2Fw%3Ard%25@db.example.internal:5432/kratos?sslmode=require");
  });

  it("NLB annotations pair PROXY with trust", async () => {
    const eks = await build(prodSettings);
    const exposure = eks.platform.gatewayExposure;
    expect(exposure.serviceType).toBe("LoadBalancer");
    expect(exposure.serviceAnnotations).toMatchObject({
      "service.beta.kubernetes.io/aws-load-balancer-type": "external",
      "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
      "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
      "service.beta.kubernetes.io/aws-load-balancer-backend-protocol": "tcp",
      "service.beta.kubernetes.io/aws-load-balancer-proxy-protocol": "*",
    });
    // TLS ends in Traefik, so the NLB must carry no certificate.
    expect(Object.keys(exposure.serviceAnnotations).filter((key) => key.includes("ssl"))).toEqual([]);
    expect(exposure.proxyProtocolTrustedIPs).toEqual(["10.40.0.0/16"]);
    // PROXY protocol with IP targets already keeps the client IP, so Local would only drop traffic.
    expect(exposure.externalTrafficPolicy).toBe("Cluster");
  });

  it("load balancer controller pinned with IRSA", async () => {
    await build(devSettings);
    const chart = named("eks-lbc");
    expect(chart.inputs.chart).toBe("aws-load-balancer-controller");
    expect(chart.inputs.version).toBe(loadBalancerControllerChart.version);
    expect(chart.inputs.namespace).toBe("kube-system");
    expect(chart.inputs.values.clusterName).toBe(only("eks:index:Cluster").state.eksCluster.name);
    expect(chart.inputs.values.vpcId).toBe(only("awsx:ec2:Vpc").state.vpcId);
    expect(chart.inputs.values.region).toBe("us-east-1");
    const role = named("eks-lbc-role");
    expect(chart.inputs.values.serviceAccount.annotations["eks.amazonaws.com/role-arn"]).toBe(role.state.arn);

    const trust = JSON.parse(role.inputs.assumeRolePolicy);
    const issuer = only("eks:index:Cluster").state.oidcIssuer;
    expect(trust.Statement[0].Principal.Federated).toBe(only("eks:index:Cluster").state.oidcProviderArn);
    expect(trust.Statement[0].Condition.StringEquals).toEqual({
      [`${issuer}:sub`]: "system:serviceaccount:kube-system:aws-load-balancer-controller",
      [`${issuer}:aud`]: "sts.amazonaws.com",
    });
  });

  it("load balancer policy scopes changes by tag", async () => {
    await build(devSettings);
    const policy = JSON.parse(named("eks-lbc-policy").inputs.policy);
    const statement = (sid: string) => policy.Statement.find((candidate: { Sid: string }) => candidate.Sid === sid);
    expect(statement("CreateOwnedLoadBalancers").Condition).toEqual({ Null: { "aws:RequestTag/elbv2.k8s.aws/cluster": "false" } });
    expect(statement("ChangeOwnedLoadBalancers").Condition).toEqual({ Null: { "aws:ResourceTag/elbv2.k8s.aws/cluster": "false" } });
    expect(statement("ChangeOwnedLoadBalancers").Action).toContain("elasticloadbalancing:DeleteLoadBalancer");
  });

  it("certificate covers every host", async () => {
    const eks = await build(devSettings);
    const certificate = only("kubernetes:cert-manager.io/v1:Certificate");
    expect(certificate.inputs.metadata.namespace).toBe(gatewayNamespace);
    expect(certificate.inputs.spec.dnsNames).toEqual(["admin.dev.example.com", "app.dev.example.com"]);
    expect(certificate.inputs.spec.issuerRef).toEqual({ group: "cert-manager.io", kind: "ClusterIssuer", name: "letsencrypt" });
    expect(eks.platform.publicCertificate).toMatchObject({ kind: "secret", secretName: certificate.inputs.spec.secretName });
  });

  it("issuer solves DNS-01 in zone", async () => {
    await build(devSettings);
    const issuer = only("kubernetes:cert-manager.io/v1:ClusterIssuer");
    expect(issuer.inputs.spec.acme.email).toBe("ops@example.com");
    expect(issuer.inputs.spec.acme.server).toBe("https://acme-v02.api.letsencrypt.org/directory");
    expect(issuer.inputs.spec.acme.solvers).toEqual([{ dns01: { route53: { region: "us-east-1", hostedZoneID: fakeHostedZoneId } } }]);
    const policy = JSON.parse(named("eks-cert-manager-policy").inputs.policy);
    const change = policy.Statement.find((statement: { Action: unknown }) => Array.isArray(statement.Action));
    expect(change.Resource).toBe(`arn:aws:route53:::hostedzone/${fakeHostedZoneId}`);
    expect(change.Condition).toEqual({ "ForAllValues:StringEquals": { "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"] } });
  });

  it("cert-manager chart pinned with IRSA", async () => {
    await build(devSettings);
    const chart = named("eks-cert-manager");
    expect(chart.inputs.version).toBe("v1.21.1");
    expect(chart.inputs.values.crds).toEqual({ enabled: true, keep: true });
    expect(chart.inputs.values.serviceAccount.annotations["eks.amazonaws.com/role-arn"]).toBe(named("eks-cert-manager-role").state.arn);
  });

  it("DNS records point hosts at NLB", async () => {
    await build(prodSettings);
    const records = ofType("aws:route53/record:Record");
    expect(records.map((record) => record.inputs.name)).toEqual(["admin.dev.example.com", "app.dev.example.com"]);
    for (const record of records) {
      expect(record.inputs.zoneId).toBe("Z0123456789ABCDEFGHIJ");
      expect(record.inputs.type).toBe("A");
      expect(record.inputs.aliases).toEqual([
        { name: "k8s-gateway-traefik-0123456789.elb.us-east-1.amazonaws.com", zoneId: fakeNlbHostedZoneId, evaluateTargetHealth: true },
      ]);
    }
  });

  it("no DNS records without zone", async () => {
    await build(providedSettings);
    expect(ofType("aws:route53/record:Record")).toEqual([]);
    expect(ofType("kubernetes:helm.sh/v4:Chart").map((chart) => chart.name)).toEqual(["eks-lbc"]);
  });

  it("no DNS records when disabled", async () => {
    await build({ ...devSettings, dnsRecords: false });
    expect(ofType("aws:route53/record:Record")).toEqual([]);
    expect(ofType("kubernetes:cert-manager.io/v1:Certificate")).toHaveLength(1);
  });

  it("provided certificate fills TLS secret", async () => {
    const eks = await build(providedSettings);
    const secret = only("kubernetes:core/v1:Secret");
    expect(secret.inputs.type).toBe("kubernetes.io/tls");
    expect(secret.inputs.metadata).toEqual({ name: "public-tls", namespace: gatewayNamespace });
    // The Kubernetes SDK marks stringData secret, so the mock receives it inside a secret wrapper.
    const stringData = secret.inputs.stringData.value ?? secret.inputs.stringData;
    expect(Object.keys(stringData).sort()).toEqual(["tls.crt", "tls.key"]);
    expect(stringData["tls.key"]).toContain("BEGIN PRIVATE KEY");
    expect(eks.platform.publicCertificate).toMatchObject({ kind: "secret", secretName: "public-tls" });
    expect(ofType("kubernetes:cert-manager.io/v1:Certificate")).toEqual([]);
  });

  it("provided mode without certificate throws", () => {
    expect(() => createEksPlatform("missing", providedSettings, hosts)).toThrow(/no certificate was passed/);
  });

  it("availability spreads across zones", async () => {
    const eks = await build(prodSettings);
    expect(eks.platform.availability).toEqual({ replicas: 2, spreadAcrossZones: true, gatewayMaxReplicas: 6 });
  });

  it("Graviton nodes log a warning", async () => {
    const warn = vi.spyOn(pulumi.log, "warn");
    await build({ ...devSettings, nodes: { ...devSettings.nodes, instanceTypes: ["m7g.large"] } });
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("kratos-selfservice-ui-node"), expect.anything());
    expect(only("eks:index:ManagedNodeGroup").inputs.amiType).toBe("AL2023_ARM_64_STANDARD");
  });

  it("x86 nodes log no warning", async () => {
    const warn = vi.spyOn(pulumi.log, "warn");
    await build(devSettings);
    expect(warn).not.toHaveBeenCalled();
  });

  it("stack outputs name cluster", async () => {
    const eks = await build(devSettings);
    expect(await resolved(eks.outputs.clusterName!)).toBe(only("eks:index:Cluster").state.eksCluster.name);
    expect(await resolved(eks.outputs.vpcId!)).toBe(only("awsx:ec2:Vpc").state.vpcId);
    expect(created.filter((resource) => resource.type === "apigw:platform:Eks")).toHaveLength(1);
  });
});
