import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { checkConfig, type SecretPresence } from "../stacks/config";
import { defaultKubernetesVersion, eksConfigKey, isGravitonInstanceType, letsEncryptStagingServer } from "../stacks/eks-config";

const noSecrets: SecretPresence = { googleClientSecret: false, smtpConnectionUri: false, providedCertificate: false };

/** A valid EKS stack: hosts under a hosted zone, Let's Encrypt with an email address. */
const eksBase = {
  platform: "eks",
  appHost: "app.example.com",
  adminHost: "admin.example.com",
  eksTlsEmail: "ops@example.com",
  eksHostedZoneName: "example.com",
};

function problemsFor(values: Record<string, unknown>, secrets: SecretPresence = noSecrets): string[] {
  return checkConfig({ ...eksBase, ...values }, secrets).problems;
}

describe("EKS config keys", () => {
  it("applies defaults to minimal settings", () => {
    const result = checkConfig(eksBase, noSecrets);
    expect(result.problems).toEqual([]);
    const settings = result.config!.eks!;
    expect(settings.kubernetesVersion).toBe(defaultKubernetesVersion);
    expect(settings.nodes).toEqual({ instanceTypes: ["m7i.large"], minSize: 2, desiredSize: 2, maxSize: 4, diskSizeGiB: 30 });
    expect(settings.network).toEqual({ vpcCidr: "10.0.0.0/16", availabilityZoneCount: 2, natGateways: "single" });
    expect(settings.database).toMatchObject({ multiAz: false, backupRetentionDays: 7, deletionProtection: true, finalSnapshot: true, protect: true });
    expect(settings.database.maxAllocatedStorageGiB).toBeUndefined();
    expect(settings.tls).toEqual({ mode: "letsencrypt", email: "ops@example.com", acmeServer: "https://acme-v02.api.letsencrypt.org/directory" });
    expect(settings.hostedZone).toEqual({ name: "example.com" });
    expect(settings.dnsRecords).toBeUndefined();
    expect(settings.availability).toEqual({ replicas: 2, gatewayMaxReplicas: 6 });
    expect(settings.production).toBe(false);
  });

  it("ignores EKS keys on kind", () => {
    expect(checkConfig({ platform: "kind", eksNodeMinSize: -1 }, noSecrets).problems).toEqual([]);
  });

  it("maps settings paths to keys", () => {
    expect(eksConfigKey("nodes.minSize")).toBe("apigw:eksNodeMinSize");
    expect(eksConfigKey("nodes.instanceTypes[1]")).toBe("apigw:eksNodeInstanceTypes[1]");
    expect(() => eksConfigKey("nodes.unknown")).toThrow("No config key for EKS setting nodes.unknown");
  });

  it("rejects bad instance type format", () => {
    expect(problemsFor({ eksNodeInstanceTypes: ["m7g.large", "large-m7g"] })).toEqual([
      'apigw:eksNodeInstanceTypes[1] = "large-m7g": must be an EC2 instance type such as m7i.large or m7g.large. ' +
        "Run: pulumi config set --path 'eksNodeInstanceTypes[0]' m7i.large",
    ]);
  });

  it.each(["m7g.large", "c7gn.2xlarge", "m7i-flex.xlarge", "t3.medium", "m7g.metal", "r8g.48xlarge"])("accepts instance type %s", (type) => {
    expect(checkConfig({ ...eksBase, eksNodeInstanceTypes: [type] }, noSecrets).config?.eks?.nodes.instanceTypes).toEqual([type]);
  });

  it("rejects fewer than two zones", () => {
    expect(problemsFor({ eksAvailabilityZoneCount: 1 })).toEqual([
      "apigw:eksAvailabilityZoneCount = 1: must be at least 2. Run: pulumi config set eksAvailabilityZoneCount 2",
    ]);
  });

  it("rejects unknown NAT strategy", () => {
    expect(problemsFor({ eksNatGateways: "none" })).toEqual([
      'apigw:eksNatGateways = "none": must be single (one NAT gateway, cheaper) or perZone (one per availability zone). Run: pulumi config set eksNatGateways single',
    ]);
  });

  it("rejects VPC range too small", () => {
    expect(problemsFor({ eksVpcCidr: "10.0.0.0/24" })).toEqual([
      'apigw:eksVpcCidr = "10.0.0.0/24": must have a prefix length from /16 to /20, because every pod takes a VPC address and AWS allows no VPC larger than /16. ' +
        "Run: pulumi config set eksVpcCidr 10.0.0.0/16",
    ]);
  });

  it("rejects letsencrypt without email", () => {
    expect(problemsFor({ eksTlsEmail: "" })).toEqual([
      'apigw:eksTlsEmail = "": must be the email address Let\'s Encrypt writes to about expiring certificates. Run: pulumi config set eksTlsEmail ops@example.com',
    ]);
  });

  it("rejects public or unaligned VPC ranges", () => {
    for (const cidr of ["127.0.0.0/16", "169.254.0.0/16", "10.0.0.1/16", "8.8.0.0/16"]) {
      expect(problemsFor({ eksVpcCidr: cidr }), cidr).toEqual([
        `apigw:eksVpcCidr = "${cidr}": must be a private network address (RFC 1918: 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16) with no host bits set. ` +
          "Run: pulumi config set eksVpcCidr 10.0.0.0/16",
      ]);
    }
    expect(problemsFor({ eksVpcCidr: "172.20.0.0/16" })).toEqual([]);
  });

  it("reports a malformed VPC range once", () => {
    expect(problemsFor({ eksVpcCidr: "x" })).toHaveLength(1);
  });

  it("rejects max replicas below replicas", () => {
    expect(problemsFor({ eksReplicas: 10 })).toEqual([
      "apigw:eksGatewayMaxReplicas = 6: must be at least apigw:eksReplicas (10), because Traefik's autoscaler starts from that many replicas. Raise it or lower eksReplicas",
    ]);
  });

  it("names the zone when only its id is set", () => {
    expect(problemsFor({ eksHostedZoneName: "", eksHostedZoneId: "Z0123456789ABCDEFGHIJ" })).toEqual([
      'apigw:eksHostedZoneName = "": must be the domain of a public Route 53 hosted zone, such as example.com. Run: pulumi config set eksHostedZoneName example.com',
    ]);
  });

  it("rejects more hosts than a certificate holds", () => {
    const routes = Array.from({ length: 100 }, (_, index) => `site${index} public site${index}.example.com/ -> web/site:80`);
    expect(problemsFor({ routes })).toEqual([
      'apigw:eksTlsMode = "letsencrypt": the stack serves 102 hosts, but a Let\'s Encrypt certificate holds at most 100 names. Use fewer hosts or provide a certificate (eksTlsMode provided)',
    ]);
  });

  it("rejects localhost hosts on EKS", () => {
    expect(problemsFor({ appHost: "app.gateway.localhost", eksTlsMode: "provided", eksHostedZoneName: "" }, { ...noSecrets, providedCertificate: true })).toEqual([
      'apigw:appHost = "app.gateway.localhost": .localhost names resolve to the user\'s own machine, so nobody could reach an EKS stack there. Use a host under your domain',
    ]);
  });

  it("rejects unknown tls mode", () => {
    expect(problemsFor({ eksTlsMode: "acm" })).toEqual([
      'apigw:eksTlsMode = "acm": must be "letsencrypt" (cert-manager with DNS-01 in Route 53) or "provided" ' +
        "(set the secret keys publicTlsCertificate and publicTlsPrivateKey). Run: pulumi config set eksTlsMode letsencrypt",
    ]);
  });

  it("rejects bad Kubernetes version", () => {
    expect(problemsFor({ eksKubernetesVersion: "1.35.2" })).toEqual([
      `apigw:eksKubernetesVersion = "1.35.2": must be a Kubernetes minor version such as ${defaultKubernetesVersion}. Run: pulumi config set eksKubernetesVersion ${defaultKubernetesVersion}`,
    ]);
  });

  it("rejects bad RDS instance class", () => {
    expect(problemsFor({ eksDbInstanceClass: "t4g.micro" })).toEqual([
      'apigw:eksDbInstanceClass = "t4g.micro": must be an RDS instance class such as db.t4g.micro or db.m7g.large. Run: pulumi config set eksDbInstanceClass db.t4g.micro',
    ]);
  });

  it("rejects bad hosted zone id", () => {
    expect(problemsFor({ eksHostedZoneId: "example.com" })).toEqual([
      'apigw:eksHostedZoneId = "example.com": must be a Route 53 hosted zone ID such as Z0123456789ABCDEFGHIJ. Run: pulumi config set eksHostedZoneId Z0123456789ABCDEFGHIJ',
    ]);
  });

  it("rejects a string where a number belongs", () => {
    expect(problemsFor({ eksNodeMaxSize: "four" })).toEqual([
      'apigw:eksNodeMaxSize = "four": must be a whole number. Run: pulumi config set eksNodeMaxSize 4',
    ]);
  });
});

describe("EKS cross-key checks", () => {
  it("allows provided certificate without zone", () => {
    const result = checkConfig({ ...eksBase, eksTlsMode: "provided", eksHostedZoneName: "" }, { ...noSecrets, providedCertificate: true });
    expect(result.problems).toEqual([]);
    expect(result.config?.eks?.tls).toEqual({ mode: "provided" });
    expect(result.config?.eks?.hostedZone).toBeUndefined();
  });

  it("turns DNS records off explicitly", () => {
    expect(checkConfig({ ...eksBase, eksDnsRecords: "off" }, noSecrets).config?.eks?.dnsRecords).toBe(false);
    expect(checkConfig({ ...eksBase, eksDnsRecords: "on" }, noSecrets).config?.eks?.dnsRecords).toBe(true);
  });

  it("rejects DNS records without zone", () => {
    expect(problemsFor({ eksDnsRecords: "on", eksTlsMode: "provided", eksHostedZoneName: "" }, { ...noSecrets, providedCertificate: true })).toEqual([
      'apigw:eksDnsRecords = "on": DNS records need a Route 53 hosted zone, but apigw:eksHostedZoneName is empty. ' +
        "Run: pulumi config set eksHostedZoneName example.com, or set eksDnsRecords to auto or off",
    ]);
  });

  it("rejects unknown DNS records value", () => {
    expect(problemsFor({ eksDnsRecords: "yes" })).toEqual([
      'apigw:eksDnsRecords = "yes": must be auto (records when eksHostedZoneName is set), on or off. Run: pulumi config set eksDnsRecords auto',
    ]);
  });

  it("rejects letsencrypt without zone", () => {
    expect(problemsFor({ eksHostedZoneName: "" })).toEqual([
      'apigw:eksTlsMode = "letsencrypt": cert-manager answers the DNS-01 challenge in Route 53, but apigw:eksHostedZoneName is empty. ' +
        'Run: pulumi config set eksHostedZoneName example.com, or set eksTlsMode to "provided"',
    ]);
  });

  it("rejects provided mode without secrets", () => {
    expect(problemsFor({ eksTlsMode: "provided" })).toEqual([
      'apigw:eksTlsMode = "provided": the secret keys apigw:publicTlsCertificate and apigw:publicTlsPrivateKey must both be set. ' +
        "Run: pulumi config set --secret publicTlsCertificate < cert.pem, and the same for the key",
    ]);
  });

  it("rejects hosts outside zone", () => {
    expect(problemsFor({ eksHostedZoneName: "dev.example.com", appHost: "app.dev.example.com" })).toEqual([
      'host "admin.example.com" is outside the hosted zone apigw:eksHostedZoneName = "dev.example.com", so Route 53 can hold neither its record nor its DNS-01 challenge. ' +
        "Use hosts under that domain or name the zone that contains them",
    ]);
  });

  it("rejects node sizes out of order", () => {
    expect(problemsFor({ eksNodeMinSize: 3, eksNodeDesiredSize: 2, eksNodeMaxSize: 4 })).toEqual([
      "apigw:eksNodeMinSize = 3, apigw:eksNodeDesiredSize = 2 and apigw:eksNodeMaxSize = 4: must satisfy min <= desired <= max. Change one of them",
    ]);
  });

  it("rejects mixed CPU architectures", () => {
    expect(problemsFor({ eksNodeInstanceTypes: ["m7g.large", "m7i.large"] })).toEqual([
      'apigw:eksNodeInstanceTypes = ["m7g.large","m7i.large"]: mixes Graviton (arm64) and x86_64 types, but one node group runs one architecture. ' +
        "List types of one architecture only",
    ]);
  });

  it("rejects storage ceiling below size", () => {
    expect(problemsFor({ eksDbAllocatedStorageGiB: 50, eksDbMaxAllocatedStorageGiB: 40 })).toEqual([
      "apigw:eksDbMaxAllocatedStorageGiB = 40: must exceed apigw:eksDbAllocatedStorageGiB (50) for storage autoscaling. " +
        "Raise it, or run: pulumi config rm eksDbMaxAllocatedStorageGiB",
    ]);
  });

  it("production demands redundancy and safety", () => {
    const problems = problemsFor({
      eksProduction: true,
      eksAcmeServer: letsEncryptStagingServer,
      eksNodeMinSize: 1,
      eksDbBackupRetentionDays: 1,
      eksDbDeletionProtection: false,
      eksDbFinalSnapshot: false,
      eksDbProtect: false,
    });
    const keys = problems.map((problem) => problem.split(" = ")[0]);
    expect(keys).toEqual([
      "apigw:eksNatGateways",
      "apigw:eksNodeMinSize",
      "apigw:eksDbMultiAz",
      "apigw:eksDbDeletionProtection",
      "apigw:eksDbBackupRetentionDays",
      "apigw:eksDbFinalSnapshot",
      "apigw:eksDbProtect",
      "apigw:eksAcmeServer",
    ]);
    expect(problems[0]).toBe(
      'apigw:eksNatGateways = "single": must be perZone when apigw:eksProduction is true, ' +
        "because one NAT gateway cuts every zone off the internet when its zone fails. " +
        "Run: pulumi config set eksNatGateways perZone",
    );
  });

  it("production accepts prod-grade settings", () => {
    expect(
      problemsFor({
        eksProduction: true,
        eksNatGateways: "perZone",
        eksAvailabilityZoneCount: 3,
        eksNodeMinSize: 3,
        eksNodeDesiredSize: 3,
        eksNodeMaxSize: 6,
        eksDbMultiAz: true,
      }),
    ).toEqual([]);
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
    ["a1.large", true],
  ])("classifies %s", (type, expected) => {
    expect(isGravitonInstanceType(type)).toBe(expected);
  });
});

describe("EKS stack files", () => {
  it.each(["dev", "prod"])("Pulumi.%s.yaml settings are valid", (stack) => {
    const file = fs.readFileSync(path.resolve(__dirname, "..", `Pulumi.${stack}.yaml`), "utf8");
    const config = parseYaml(file).config as Record<string, unknown>;
    const values = Object.fromEntries(
      Object.entries(config)
        .filter(([key]) => key.startsWith("apigw:"))
        .map(([key, value]) => [key.slice("apigw:".length), value]),
    );
    const result = checkConfig(values, noSecrets);
    expect(result.problems).toEqual([]);
    expect(result.config?.platform).toBe("eks");
    expect(result.config?.eks?.production).toBe(stack === "prod");
  });
});
