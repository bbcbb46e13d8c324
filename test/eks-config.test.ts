import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
  defaultKubernetesVersion,
  eksSettingsProblems,
  eksSettingsSchema,
  isGravitonInstanceType,
  letsEncryptStagingServer,
  type EksSettings,
} from "../stacks/eks-config";

const letsEncrypt = { mode: "letsencrypt", email: "ops@example.com" };
const context = { hostnames: ["app.example.com", "admin.example.com"], providedCertificateKeysSet: false };

/** Returns every issue message of a failed parse, each prefixed with its path. */
function issues(value: unknown): string[] {
  const result = eksSettingsSchema.safeParse(value);
  expect(result.success).toBe(false);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
}

function parse(value: Record<string, unknown>): EksSettings {
  return eksSettingsSchema.parse(value);
}

describe("eksSettingsSchema", () => {
  it("applies defaults to minimal settings", () => {
    const settings = parse({ tls: letsEncrypt });
    expect(settings.kubernetesVersion).toBe(defaultKubernetesVersion);
    expect(settings.nodes).toEqual({ instanceTypes: ["m7i.large"], minSize: 2, desiredSize: 2, maxSize: 4, diskSizeGiB: 30 });
    expect(settings.network).toEqual({ vpcCidr: "10.0.0.0/16", availabilityZoneCount: 2, natGateways: "single" });
    expect(settings.database).toMatchObject({ multiAz: false, backupRetentionDays: 7, deletionProtection: true, finalSnapshot: true, protect: true });
    expect(settings.tls).toEqual({ ...letsEncrypt, acmeServer: "https://acme-v02.api.letsencrypt.org/directory" });
    expect(settings.availability).toEqual({ replicas: 2, gatewayMaxReplicas: 6 });
    expect(settings.production).toBe(false);
  });

  it("rejects bad instance type format", () => {
    expect(issues({ tls: letsEncrypt, nodes: { instanceTypes: ["m7g.large", "large-m7g"] } })).toEqual([
      'nodes.instanceTypes.1: must be an EC2 instance type such as m7i.large or m7g.large. Run: pulumi config set --path "eks.nodes.instanceTypes[0]" m7i.large',
    ]);
  });

  it.each(["m7g.large", "c7gn.2xlarge", "m7i-flex.xlarge", "t3.medium", "m7g.metal", "r8g.48xlarge"])("accepts instance type %s", (type) => {
    expect(parse({ tls: letsEncrypt, nodes: { instanceTypes: [type] } }).nodes.instanceTypes).toEqual([type]);
  });

  it("rejects fewer than two zones", () => {
    expect(issues({ tls: letsEncrypt, network: { availabilityZoneCount: 1 } })).toEqual([
      'network.availabilityZoneCount: must be at least 2. Run: pulumi config set --path "eks.network.availabilityZoneCount" 2',
    ]);
  });

  it("rejects unknown NAT strategy", () => {
    expect(issues({ tls: letsEncrypt, network: { natGateways: "none" } })).toEqual([
      'network.natGateways: must be single (one NAT gateway, cheaper) or perZone (one per availability zone). Run: pulumi config set --path "eks.network.natGateways" single',
    ]);
  });

  it("rejects VPC range too small", () => {
    expect(issues({ tls: letsEncrypt, network: { vpcCidr: "10.0.0.0/24" } })).toEqual([
      "network.vpcCidr: must have a prefix length from /16 to /20, because every pod takes a VPC address and AWS allows no VPC larger than /16. " +
        'Run: pulumi config set --path "eks.network.vpcCidr" 10.0.0.0/16',
    ]);
  });

  it("rejects letsencrypt without email", () => {
    expect(issues({ tls: { mode: "letsencrypt" } })).toEqual([
      "tls.email: must be the email address Let's Encrypt writes to about expiring certificates. Run: pulumi config set --path \"eks.tls.email\" ops@example.com",
    ]);
  });

  it("rejects missing tls mode", () => {
    expect(issues({})).toEqual([
      'tls: must be an object whose mode is "letsencrypt" (cert-manager with DNS-01 in Route 53) or "provided" ' +
        '(set the secret keys publicTlsCertificate and publicTlsPrivateKey). Run: pulumi config set --path "eks.tls.mode" letsencrypt',
    ]);
  });

  it("rejects bad Kubernetes version", () => {
    expect(issues({ tls: letsEncrypt, kubernetesVersion: "1.35.2" })).toEqual([
      `kubernetesVersion: must be a Kubernetes minor version such as ${defaultKubernetesVersion}. Run: pulumi config set --path "eks.kubernetesVersion" ${defaultKubernetesVersion}`,
    ]);
  });

  it("rejects bad RDS instance class", () => {
    expect(issues({ tls: letsEncrypt, database: { instanceClass: "t4g.micro" } })).toEqual([
      'database.instanceClass: must be an RDS instance class such as db.t4g.micro or db.m7g.large. Run: pulumi config set --path "eks.database.instanceClass" db.t4g.micro',
    ]);
  });

  it("rejects bad hosted zone id", () => {
    expect(issues({ tls: letsEncrypt, hostedZone: { name: "example.com", id: "example.com" } })).toEqual([
      'hostedZone.id: must be a Route 53 hosted zone ID such as Z0123456789ABCDEFGHIJ. Run: pulumi config set --path "eks.hostedZone.id" Z0123456789ABCDEFGHIJ',
    ]);
  });

  it("rejects unknown keys", () => {
    expect(issues({ tls: letsEncrypt, nodeCount: 3, network: { zones: 2 } })).toEqual([
      'network: unknown key(s) "zones". Check the spelling against the apigw:eks settings in docs/aws.md',
      ': unknown key(s) "nodeCount". Check the spelling against the apigw:eks settings in docs/aws.md',
    ]);
  });

  it("rejects non-mapping section", () => {
    expect(issues({ tls: letsEncrypt, nodes: "m7i.large" })).toEqual(["nodes: must be a mapping. Write apigw:eks.nodes as a YAML mapping in Pulumi.<stack>.yaml"]);
  });
});

describe("eksSettingsProblems", () => {
  it("accepts consistent dev settings", () => {
    const settings = parse({ tls: letsEncrypt, hostedZone: { name: "example.com" } });
    expect(eksSettingsProblems(settings, context)).toEqual([]);
  });

  it("rejects DNS records without zone", () => {
    const settings = parse({ tls: { mode: "provided" }, dnsRecords: true });
    expect(eksSettingsProblems(settings, { ...context, providedCertificateKeysSet: true })).toEqual([
      "apigw:eks.dnsRecords = true: DNS records need a Route 53 hosted zone, but apigw:eks.hostedZone is missing. " +
        'Run: pulumi config set --path "eks.hostedZone.name" example.com, or set dnsRecords to false',
    ]);
  });

  it("rejects letsencrypt without zone", () => {
    const settings = parse({ tls: letsEncrypt });
    expect(eksSettingsProblems(settings, context)).toEqual([
      'apigw:eks.tls.mode = "letsencrypt": cert-manager answers the DNS-01 challenge in Route 53, but apigw:eks.hostedZone is missing. ' +
        'Run: pulumi config set --path "eks.hostedZone.name" example.com, or use tls.mode "provided"',
    ]);
  });

  it("rejects provided mode without secrets", () => {
    const settings = parse({ tls: { mode: "provided" } });
    expect(eksSettingsProblems(settings, context)).toEqual([
      'apigw:eks.tls.mode = "provided": the secret keys apigw:publicTlsCertificate and apigw:publicTlsPrivateKey must both be set. ' +
        "Run: pulumi config set --secret publicTlsCertificate < cert.pem, and the same for the key",
    ]);
  });

  it("rejects hosts outside zone", () => {
    const settings = parse({ tls: letsEncrypt, hostedZone: { name: "dev.example.com" } });
    expect(eksSettingsProblems(settings, { ...context, hostnames: ["app.dev.example.com", "admin.example.com"] })).toEqual([
      'host "admin.example.com" is outside the hosted zone apigw:eks.hostedZone.name = "dev.example.com", so Route 53 can hold neither its record nor its DNS-01 challenge. ' +
        "Use hosts under that domain or name the zone that contains them",
    ]);
  });

  it("rejects node sizes out of order", () => {
    const settings = parse({ tls: letsEncrypt, hostedZone: { name: "example.com" }, nodes: { minSize: 3, desiredSize: 2, maxSize: 4 } });
    expect(eksSettingsProblems(settings, context)).toEqual([
      "apigw:eks.nodes: minSize 3, desiredSize 2 and maxSize 4 must satisfy minSize <= desiredSize <= maxSize. Change one of them",
    ]);
  });

  it("rejects mixed CPU architectures", () => {
    const settings = parse({ tls: letsEncrypt, hostedZone: { name: "example.com" }, nodes: { instanceTypes: ["m7g.large", "m7i.large"] } });
    expect(eksSettingsProblems(settings, context)).toEqual([
      'apigw:eks.nodes.instanceTypes = ["m7g.large","m7i.large"]: mixes Graviton (arm64) and x86_64 types, but one node group runs one architecture. ' +
        "List types of one architecture only",
    ]);
  });

  it("rejects storage ceiling below size", () => {
    const settings = parse({ tls: letsEncrypt, hostedZone: { name: "example.com" }, database: { allocatedStorageGiB: 50, maxAllocatedStorageGiB: 40 } });
    expect(eksSettingsProblems(settings, context)).toEqual([
      "apigw:eks.database.maxAllocatedStorageGiB = 40: must exceed allocatedStorageGiB (50) for storage autoscaling. " +
        'Raise it or run: pulumi config rm --path "eks.database.maxAllocatedStorageGiB"',
    ]);
  });

  it("production demands redundancy and safety", () => {
    const settings = parse({
      production: true,
      tls: { ...letsEncrypt, acmeServer: letsEncryptStagingServer },
      hostedZone: { name: "example.com" },
      nodes: { minSize: 1, desiredSize: 2 },
      database: { backupRetentionDays: 1, deletionProtection: false, finalSnapshot: false, protect: false },
    });
    const problems = eksSettingsProblems(settings, context);
    const keys = problems.map((problem) => problem.split(" = ")[0]);
    expect(keys).toEqual([
      "apigw:eks.network.natGateways",
      "apigw:eks.nodes.minSize",
      "apigw:eks.database.multiAz",
      "apigw:eks.database.deletionProtection",
      "apigw:eks.database.backupRetentionDays",
      "apigw:eks.database.finalSnapshot",
      "apigw:eks.database.protect",
      "apigw:eks.tls.acmeServer",
    ]);
    expect(problems[0]).toBe(
      'apigw:eks.network.natGateways = "single": must be perZone when apigw:eks.production is true, ' +
        "because one NAT gateway cuts every zone off the internet when its zone fails. " +
        'Run: pulumi config set --path "eks.network.natGateways" perZone',
    );
  });

  it("production accepts prod-grade settings", () => {
    const settings = parse({
      production: true,
      tls: letsEncrypt,
      hostedZone: { name: "example.com" },
      network: { natGateways: "perZone", availabilityZoneCount: 3 },
      nodes: { minSize: 3, desiredSize: 3, maxSize: 6 },
      database: { multiAz: true },
    });
    expect(eksSettingsProblems(settings, context)).toEqual([]);
  });
});

describe("isGravitonInstanceType", () => {
  it.each([
    ["m7g.large", true],
    ["c7gn.xlarge", true],
    ["t4g.medium", true],
    ["x2gd.large", true],
    ["m7i.large", false],
    ["t3.large", false],
    ["g5.xlarge", false],
    ["m7i-flex.large", false],
  ])("classifies %s", (type, expected) => {
    expect(isGravitonInstanceType(type)).toBe(expected);
  });
});

describe("EKS stack files", () => {
  it.each(["dev", "prod"])("Pulumi.%s.yaml settings are valid", (stack) => {
    const file = fs.readFileSync(path.resolve(__dirname, "..", `Pulumi.${stack}.yaml`), "utf8");
    const config = parseYaml(file).config as Record<string, unknown>;
    expect(config["apigw:platform"]).toBe("eks");
    const settings = eksSettingsSchema.parse(config["apigw:eks"]);
    const hostnames = [config["apigw:appHost"], config["apigw:adminHost"]] as string[];
    expect(eksSettingsProblems(settings, { hostnames, providedCertificateKeysSet: false })).toEqual([]);
    expect(settings.production).toBe(stack === "prod");
  });
});
