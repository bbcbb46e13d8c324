/**
 * Settings of the EKS platform and the checks that span more than one field.
 *
 * Pulumi project config cannot declare object-valued keys, so each setting is a typed key of its
 * own, such as `apigw:eksNodeMinSize`. {@link eksConfigKeys} maps those keys to the fields of the
 * nested {@link EksSettings}, which the schema below checks.
 */
import { z } from "zod";

/**
 * Kubernetes minor version of new clusters.
 *
 * Amazon EKS released 1.35 on 28 January 2026 and keeps it in standard support until 27 March 2027
 * (EKS release calendar, docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html, as
 * listed by endoflife.date/amazon-eks). After that date EKS bills extended support per cluster
 * hour, so raise this before then.
 */
export const defaultKubernetesVersion = "1.35";

/**
 * Default node instance type: x86_64, 2 vCPUs and 8 GiB.
 *
 * Graviton (arm64) would be cheaper, but not every image this program deploys publishes arm64.
 * Traefik, Kratos, Oathkeeper, Mailpit, nginx-unprivileged, whoami, cert-manager and the AWS Load
 * Balancer Controller do. oryd/kratos-selfservice-ui-node did not: users reported that it had no arm64 image, and the pull
 * request that adds multi-platform builds to its repository was still open.
 */
export const defaultInstanceType = "m7i.large";

/** Let's Encrypt's production ACME directory. */
export const letsEncryptProductionServer = "https://acme-v02.api.letsencrypt.org/directory";
/** Let's Encrypt's staging ACME directory, for trying the setup without its rate limits. */
export const letsEncryptStagingServer = "https://acme-staging-v02.api.letsencrypt.org/directory";

/**
 * Secret config keys that hold a provided certificate and its key when `tls.mode` is `provided`.
 * stacks/config.ts reads them with `getSecret` and hands them to `createEksPlatform`.
 */
export const providedCertificateConfigKeys = {
  certificate: "publicTlsCertificate",
  privateKey: "publicTlsPrivateKey",
} as const;

// Family (generation digit, optional attribute letters and an optional suffix such as -flex) and
// size, as in m7g.large, c7gn.2xlarge, m7i-flex.xlarge or m7g.metal.
const instanceTypePattern = /^[a-z]+[0-9]+[a-z0-9]*(-[a-z0-9]+)?\.(nano|micro|small|medium|large|[0-9]*xlarge|metal(-[0-9]+xl)?)$/;
// Graviton families carry a "g" among the attribute letters after the generation (m7g, c7gn, t4g),
// except the first generation, a1.
const gravitonPattern = /^([a-z]+[0-9]+[a-z]*g|a1\.)/;
const rdsInstanceClassPattern = /^db\.[a-z0-9]+(-[a-z0-9]+)?\.[a-z0-9]+$/;
const kubernetesVersionPattern = /^1\.[0-9]{2}$/;
const domainPattern = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/;
const hostedZoneIdPattern = /^Z[A-Z0-9]{1,31}$/;
const iamRoleArnPattern = /^arn:aws[a-z-]*:iam::[0-9]{12}:role\/[\w+=,.@/-]+$/;

/**
 * Config key of every EKS setting, the field of {@link EksSettings} it sets, and its default.
 * Pulumi.yaml declares the same keys and defaults, and a test keeps them equal. An empty string
 * or 0 default means "not set" for the optional fields, as {@link eksSettingsFromConfig} reads it.
 */
export const eksConfigKeys = {
  eksProduction: { path: "production", default: false },
  eksKubernetesVersion: { path: "kubernetesVersion", default: defaultKubernetesVersion },
  eksClusterAdminRoleArns: { path: "clusterAdminRoleArns", default: [] as string[] },
  eksNodeInstanceTypes: { path: "nodes.instanceTypes", default: [defaultInstanceType] },
  eksNodeMinSize: { path: "nodes.minSize", default: 2 },
  eksNodeDesiredSize: { path: "nodes.desiredSize", default: 2 },
  eksNodeMaxSize: { path: "nodes.maxSize", default: 4 },
  eksNodeDiskSizeGiB: { path: "nodes.diskSizeGiB", default: 30 },
  eksVpcCidr: { path: "network.vpcCidr", default: "10.0.0.0/16" },
  eksAvailabilityZoneCount: { path: "network.availabilityZoneCount", default: 2 },
  eksNatGateways: { path: "network.natGateways", default: "single" },
  eksDbInstanceClass: { path: "database.instanceClass", default: "db.t4g.micro" },
  eksDbEngineVersion: { path: "database.engineVersion", default: "17" },
  eksDbAllocatedStorageGiB: { path: "database.allocatedStorageGiB", default: 20 },
  eksDbMaxAllocatedStorageGiB: { path: "database.maxAllocatedStorageGiB", default: 0 },
  eksDbMultiAz: { path: "database.multiAz", default: false },
  eksDbBackupRetentionDays: { path: "database.backupRetentionDays", default: 7 },
  eksDbDeletionProtection: { path: "database.deletionProtection", default: true },
  eksDbFinalSnapshot: { path: "database.finalSnapshot", default: true },
  eksDbProtect: { path: "database.protect", default: true },
  eksTlsMode: { path: "tls.mode", default: "letsencrypt" },
  eksTlsEmail: { path: "tls.email", default: "" },
  eksAcmeServer: { path: "tls.acmeServer", default: letsEncryptProductionServer },
  eksHostedZoneName: { path: "hostedZone.name", default: "" },
  eksHostedZoneId: { path: "hostedZone.id", default: "" },
  eksDnsRecords: { path: "dnsRecords", default: "auto" },
  eksReplicas: { path: "availability.replicas", default: 2 },
  eksGatewayMaxReplicas: { path: "availability.gatewayMaxReplicas", default: 6 },
} as const;

export type EksConfigKey = keyof typeof eksConfigKeys;

const keyByPath = new Map<string, EksConfigKey>(
  Object.entries(eksConfigKeys).map(([key, { path }]) => [path, key as EksConfigKey]),
);

/** Returns the full config key (`apigw:eksNodeMinSize`) of a settings path (`nodes.minSize`). */
export function eksConfigKey(path: string): string {
  const key = keyByPath.get(path.replace(/\[[0-9]+\]$/, ""));
  if (key === undefined) {
    throw new Error(`No config key for EKS setting ${path}`);
  }
  return `apigw:${key}${path.match(/\[[0-9]+\]$/)?.[0] ?? ""}`;
}

/** Builds the `pulumi config set` command that sets one EKS setting. */
function setCommand(path: string, example: string | number | boolean): string {
  const key = eksConfigKey(path).replace(/^apigw:/, "");
  return key.includes("[") ? `Run: pulumi config set --path '${key}' ${example}` : `Run: pulumi config set ${key} ${example}`;
}

/**
 * Builds the nested settings object from the flat config values (defaults filled in), for
 * {@link eksSettingsSchema}. The optional fields are left out when their value means "not set".
 */
export function eksSettingsFromConfig(values: Record<EksConfigKey, unknown>): Record<string, unknown> {
  const settings: Record<string, any> = {};
  const set = (path: string, value: unknown) => {
    const parts = path.split(".");
    let target = settings;
    for (const part of parts.slice(0, -1)) {
      target = target[part] ??= {};
    }
    target[parts[parts.length - 1]!] = value;
  };
  for (const [key, { path }] of Object.entries(eksConfigKeys)) {
    const value = values[key as EksConfigKey];
    if (key === "eksDbMaxAllocatedStorageGiB" && value === 0) continue;
    // An ID without a name still passes the name through, so the schema reports the missing name.
    if (key === "eksHostedZoneName" && value === "" && values.eksHostedZoneId === "") continue;
    if (key === "eksHostedZoneId" && value === "") continue;
    // "auto" creates records when a hosted zone is set, which is the schema's default.
    if (key === "eksDnsRecords") {
      const records: Record<string, boolean> = { on: true, off: false };
      if (value !== "auto") {
        // Any other value goes to the schema as is, which rejects it with the allowed values.
        set(path, typeof value === "string" && value in records ? records[value] : value);
      }
      continue;
    }
    if (values.eksTlsMode === "provided" && (key === "eksTlsEmail" || key === "eksAcmeServer")) continue;
    set(path, value);
  }
  return settings;
}

/**
 * Builds a strict object schema whose messages name the fix. Unknown keys are listed, and a value
 * of another type gets a request to write a mapping.
 */
function strictObject<Shape extends z.core.$ZodLooseShape>(shape: Shape, path: string) {
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `unknown key(s) ${issue.keys.map((key) => `"${key}"`).join(", ")}. Check the spelling against the EKS settings in docs/aws.md`
        : `must be a mapping of the ${path} settings`,
  });
}

const count = (path: string, example: number, minimum: number, maximum: number) =>
  z
    .number({ error: `must be a whole number. ${setCommand(path, example)}` })
    .int({ error: `must be a whole number. ${setCommand(path, example)}` })
    .min(minimum, { error: `must be at least ${minimum}. ${setCommand(path, example)}` })
    .max(maximum, { error: `must be at most ${maximum}. ${setCommand(path, example)}` });

const flag = (path: string, fallback: boolean) =>
  z.boolean({ error: `must be true or false. ${setCommand(path, fallback)}` }).default(fallback);

const nodesSchema = strictObject(
  {
    instanceTypes: z
      .array(
        z.string().regex(instanceTypePattern, {
          error: `must be an EC2 instance type such as m7i.large or m7g.large. ${setCommand("nodes.instanceTypes[0]", defaultInstanceType)}`,
        }),
        { error: `must be a list of EC2 instance types. ${setCommand("nodes.instanceTypes[0]", defaultInstanceType)}` },
      )
      .min(1, { error: `must list at least one instance type. ${setCommand("nodes.instanceTypes[0]", defaultInstanceType)}` })
      .default([defaultInstanceType]),
    minSize: count("nodes.minSize", 2, 1, 100).default(2),
    desiredSize: count("nodes.desiredSize", 2, 1, 100).default(2),
    maxSize: count("nodes.maxSize", 4, 1, 100).default(4),
    diskSizeGiB: count("nodes.diskSizeGiB", 30, 20, 1000).default(30),
  },
  "nodes",
).default({ instanceTypes: [defaultInstanceType], minSize: 2, desiredSize: 2, maxSize: 4, diskSizeGiB: 30 });

const networkSchema = strictObject(
  {
    vpcCidr: z
      .cidrv4({ error: `must be an IPv4 CIDR block such as 10.0.0.0/16. ${setCommand("network.vpcCidr", "10.0.0.0/16")}` })
      // Each refinement passes values the cidrv4 check already reports, so one mistake gives one message.
      .refine((cidr) => !isCidr(cidr) || (prefixLength(cidr) >= 16 && prefixLength(cidr) <= 20), {
        error:
          "must have a prefix length from /16 to /20, because every pod takes a VPC address and AWS allows no VPC larger than /16. " +
          setCommand("network.vpcCidr", "10.0.0.0/16"),
      })
      .refine((cidr) => !isCidr(cidr) || isPrivateNetworkAddress(cidr), {
        error:
          "must be a private network address (RFC 1918: 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16) with no host bits set. " +
          setCommand("network.vpcCidr", "10.0.0.0/16"),
      })
      .default("10.0.0.0/16"),
    // Each availability zone gets one public and one private subnet.
    availabilityZoneCount: count("network.availabilityZoneCount", 2, 2, 6).default(2),
    natGateways: z
      .enum(["single", "perZone"], {
        error: `must be single (one NAT gateway, cheaper) or perZone (one per availability zone). ${setCommand("network.natGateways", "single")}`,
      })
      .default("single"),
  },
  "network",
).default({ vpcCidr: "10.0.0.0/16", availabilityZoneCount: 2, natGateways: "single" });

const databaseSchema = strictObject(
  {
    instanceClass: z
      .string()
      .regex(rdsInstanceClassPattern, {
        error: `must be an RDS instance class such as db.t4g.micro or db.m7g.large. ${setCommand("database.instanceClass", "db.t4g.micro")}`,
      })
      .default("db.t4g.micro"),
    // RDS accepts a major version and picks the newest minor one, because minor upgrades are on.
    engineVersion: z
      .string()
      .regex(/^[0-9]{2}(\.[0-9]+)?$/, { error: `must be a PostgreSQL version such as 17 or 17.6. ${setCommand("database.engineVersion", 17)}` })
      .default("17"),
    allocatedStorageGiB: count("database.allocatedStorageGiB", 20, 20, 65536).default(20),
    maxAllocatedStorageGiB: count("database.maxAllocatedStorageGiB", 100, 20, 65536).optional(),
    multiAz: flag("database.multiAz", false),
    backupRetentionDays: count("database.backupRetentionDays", 7, 1, 35).default(7),
    deletionProtection: flag("database.deletionProtection", true),
    finalSnapshot: flag("database.finalSnapshot", true),
    protect: flag("database.protect", true),
  },
  "database",
).default({
    instanceClass: "db.t4g.micro",
    engineVersion: "17",
    allocatedStorageGiB: 20,
    multiAz: false,
    backupRetentionDays: 7,
    deletionProtection: true,
    finalSnapshot: true,
    protect: true,
  });

const letsEncryptSchema = strictObject(
  {
  mode: z.literal("letsencrypt"),
  email: z.email({ error: `must be the email address Let's Encrypt writes to about expiring certificates. ${setCommand("tls.email", "ops@example.com")}` }),
  acmeServer: z
    .url({ protocol: /^https$/, error: `must be the https URL of an ACME directory. ${setCommand("tls.acmeServer", letsEncryptStagingServer)}` })
    .default(letsEncryptProductionServer),
  },
  "tls",
);

const providedSchema = strictObject({ mode: z.literal("provided") }, "tls");

const tlsSchema = z.discriminatedUnion("mode", [letsEncryptSchema, providedSchema], {
  error:
    'must be "letsencrypt" (cert-manager with DNS-01 in Route 53) or "provided" ' +
    `(set the secret keys ${providedCertificateConfigKeys.certificate} and ${providedCertificateConfigKeys.privateKey}). ` +
    setCommand("tls.mode", "letsencrypt"),
});

const hostedZoneSchema = strictObject(
  {
  name: z.string().regex(domainPattern, {
    error: `must be the domain of a public Route 53 hosted zone, such as example.com. ${setCommand("hostedZone.name", "example.com")}`,
  }),
  id: z
    .string()
    .regex(hostedZoneIdPattern, { error: `must be a Route 53 hosted zone ID such as Z0123456789ABCDEFGHIJ. ${setCommand("hostedZone.id", "Z0123456789ABCDEFGHIJ")}` })
    .optional(),
  },
  "hostedZone",
);

/**
 * Schema of the EKS settings. A missing field means its default below.
 *
 * stacks/config.ts builds the object with {@link eksSettingsFromConfig}, reports each issue under
 * the config key {@link eksConfigKey} names, then calls {@link eksSettingsProblems} for the checks
 * across fields.
 */
export const eksSettingsSchema = z.preprocess(
  (value) => value ?? {},
  strictObject(
    {
      /** Turns on the checks in {@link eksSettingsProblems} that a stack serving real users needs. */
      production: flag("production", false),
      kubernetesVersion: z
        .string({ error: `must be a string such as "${defaultKubernetesVersion}". ${setCommand("kubernetesVersion", defaultKubernetesVersion)}` })
        .regex(kubernetesVersionPattern, {
          error: `must be a Kubernetes minor version such as ${defaultKubernetesVersion}. ${setCommand("kubernetesVersion", defaultKubernetesVersion)}`,
        })
        .default(defaultKubernetesVersion),
      /** IAM roles that get cluster admin besides the principal that creates the cluster. */
      clusterAdminRoleArns: z
        .array(
          z.string().regex(iamRoleArnPattern, {
            error: `must be an IAM role ARN such as arn:aws:iam::123456789012:role/platform-admins. ${setCommand("clusterAdminRoleArns[0]", "arn:aws:iam::123456789012:role/platform-admins")}`,
          }),
        )
        .default([]),
      nodes: nodesSchema,
      network: networkSchema,
      database: databaseSchema,
      tls: tlsSchema,
      hostedZone: hostedZoneSchema.optional(),
      /** Whether to create Route 53 records for every host. Defaults to true when `hostedZone` is set. */
      dnsRecords: z
        .boolean({ error: `must be auto (records when eksHostedZoneName is set), on or off. ${setCommand("dnsRecords", "auto")}` })
        .optional(),
      availability: strictObject(
        {
          replicas: count("availability.replicas", 2, 2, 20).default(2),
          gatewayMaxReplicas: count("availability.gatewayMaxReplicas", 6, 2, 50).default(6),
        },
        "availability",
      ).default({ replicas: 2, gatewayMaxReplicas: 6 }),
    },
    "EKS",
  ),
);

/** Validated EKS settings with every default applied. */
export type EksSettings = z.infer<typeof eksSettingsSchema>;

/** Facts from the rest of the stack config that the cross-field checks need. */
export interface EksSettingsContext {
  /** Every public and admin hostname the stack serves. */
  readonly hostnames: readonly string[];
  /** Whether both secret keys of {@link providedCertificateConfigKeys} are set. */
  readonly providedCertificateKeysSet: boolean;
}

/** Decides whether the stack creates Route 53 records, defaulting to whether `hostedZone` is set. */
export function wantsDnsRecords(settings: EksSettings): boolean {
  return settings.dnsRecords ?? settings.hostedZone !== undefined;
}

/** Checks whether an instance type is a Graviton (arm64) type. */
export function isGravitonInstanceType(instanceType: string): boolean {
  return gravitonPattern.test(instanceType);
}

/**
 * Checks the settings across fields and returns one message per problem, each starting with the
 * config key and naming the fix. An empty list means the settings are consistent.
 */
export function eksSettingsProblems(settings: EksSettings, context: EksSettingsContext): string[] {
  const problems: string[] = [];
  const { nodes, database, tls, hostedZone } = settings;

  if (nodes.minSize > nodes.desiredSize || nodes.desiredSize > nodes.maxSize) {
    problems.push(
      `apigw:eksNodeMinSize = ${nodes.minSize}, apigw:eksNodeDesiredSize = ${nodes.desiredSize} and apigw:eksNodeMaxSize = ${nodes.maxSize}: ` +
        "must satisfy min <= desired <= max. Change one of them",
    );
  }

  // A managed node group runs one AMI, so its instance types must share one CPU architecture.
  const architectures = new Set(nodes.instanceTypes.map((type) => (isGravitonInstanceType(type) ? "arm64" : "x86_64")));
  if (architectures.size > 1) {
    problems.push(
      `${eksConfigKey("nodes.instanceTypes")} = ${JSON.stringify(nodes.instanceTypes)}: mixes Graviton (arm64) and x86_64 types, but one node group runs one architecture. ` +
        "List types of one architecture only",
    );
  }

  if (database.maxAllocatedStorageGiB !== undefined && database.maxAllocatedStorageGiB <= database.allocatedStorageGiB) {
    problems.push(
      `${eksConfigKey("database.maxAllocatedStorageGiB")} = ${database.maxAllocatedStorageGiB}: must exceed ${eksConfigKey("database.allocatedStorageGiB")} (${database.allocatedStorageGiB}) ` +
        "for storage autoscaling. Raise it, or run: pulumi config rm eksDbMaxAllocatedStorageGiB",
    );
  }


  if (settings.dnsRecords === true && hostedZone === undefined) {
    problems.push(
      'apigw:eksDnsRecords = "on": DNS records need a Route 53 hosted zone, but apigw:eksHostedZoneName is empty. ' +
        `${setCommand("hostedZone.name", "example.com")}, or set eksDnsRecords to auto or off`,
    );
  }

  // cert-manager proves control of every host through DNS-01 in Route 53. HTTP-01 would need
  // cert-manager's solver Ingress to be served by Traefik, which only watches its own
  // IngressRoutes, and the admin host requires a client certificate.
  if (tls.mode === "letsencrypt" && hostedZone === undefined) {
    problems.push(
      'apigw:eksTlsMode = "letsencrypt": cert-manager answers the DNS-01 challenge in Route 53, but apigw:eksHostedZoneName is empty. ' +
        `${setCommand("hostedZone.name", "example.com")}, or set eksTlsMode to "provided"`,
    );
  }
  if (tls.mode === "provided" && !context.providedCertificateKeysSet) {
    problems.push(
      `apigw:eksTlsMode = "provided": the secret keys apigw:${providedCertificateConfigKeys.certificate} and apigw:${providedCertificateConfigKeys.privateKey} must both be set. ` +
        `Run: pulumi config set --secret ${providedCertificateConfigKeys.certificate} < cert.pem, and the same for the key`,
    );
  }

  if (hostedZone !== undefined && (wantsDnsRecords(settings) || tls.mode === "letsencrypt")) {
    for (const host of context.hostnames) {
      if (host !== hostedZone.name && !host.endsWith(`.${hostedZone.name}`)) {
        problems.push(
          `host "${host}" is outside the hosted zone apigw:eksHostedZoneName = "${hostedZone.name}", so Route 53 can hold neither its record nor its DNS-01 challenge. ` +
            "Use hosts under that domain or name the zone that contains them",
        );
      }
    }
  }

  if (settings.availability.gatewayMaxReplicas < settings.availability.replicas) {
    problems.push(
      `apigw:eksGatewayMaxReplicas = ${settings.availability.gatewayMaxReplicas}: must be at least apigw:eksReplicas (${settings.availability.replicas}), ` +
        "because Traefik's autoscaler starts from that many replicas. Raise it or lower eksReplicas",
    );
  }

  // Let's Encrypt puts at most 100 names on one certificate (letsencrypt.org/docs/rate-limits).
  if (tls.mode === "letsencrypt" && context.hostnames.length > 100) {
    problems.push(
      `apigw:eksTlsMode = "letsencrypt": the stack serves ${context.hostnames.length} hosts, but a Let's Encrypt certificate holds at most 100 names. ` +
        "Use fewer hosts or provide a certificate (eksTlsMode provided)",
    );
  }

  if (settings.production) {
    problems.push(...productionProblems(settings));
  }
  return problems;
}

/** Checks that only a production stack needs: redundancy, data safety and a trusted certificate. */
function productionProblems(settings: EksSettings): string[] {
  const problems: string[] = [];
  const { nodes, network, database, tls } = settings;
  const required = (path: string, actual: unknown, expected: string, reason: string) =>
    problems.push(`${eksConfigKey(path)} = ${JSON.stringify(actual)}: must be ${expected} when apigw:eksProduction is true, ${reason}. ${setCommand(path, expected)}`);

  if (network.natGateways !== "perZone") {
    required("network.natGateways", network.natGateways, "perZone", "because one NAT gateway cuts every zone off the internet when its zone fails");
  }
  if (nodes.minSize < network.availabilityZoneCount) {
    required(
      "nodes.minSize",
      nodes.minSize,
      String(network.availabilityZoneCount),
      "so that every availability zone keeps a node for the replicas spread across zones",
    );
  }
  if (!database.multiAz) {
    required("database.multiAz", database.multiAz, "true", "so the identity database survives the loss of one zone");
  }
  if (!database.deletionProtection) {
    required("database.deletionProtection", database.deletionProtection, "true", "so nobody deletes the identity database by accident");
  }
  if (database.backupRetentionDays < 7) {
    required("database.backupRetentionDays", database.backupRetentionDays, "7", "at least, so a problem found after a weekend can still be rolled back");
  }
  if (!database.finalSnapshot) {
    required("database.finalSnapshot", database.finalSnapshot, "true", "so deleting the stack keeps a copy of every identity");
  }
  if (!database.protect) {
    required("database.protect", database.protect, "true", "so pulumi destroy stops before the identity database");
  }
  if (tls.mode === "letsencrypt" && tls.acmeServer === letsEncryptStagingServer) {
    required("tls.acmeServer", tls.acmeServer, letsEncryptProductionServer, "because browsers do not trust Let's Encrypt staging certificates");
  }
  return problems;
}

function prefixLength(cidr: string): number {
  return Number(cidr.split("/")[1]);
}

function isCidr(cidr: string): boolean {
  return /^[0-9]{1,3}(\.[0-9]{1,3}){3}\/[0-9]{1,2}$/.test(cidr);
}

/** Checks that a CIDR block lies in an RFC 1918 range and is its network address. */
function isPrivateNetworkAddress(cidr: string): boolean {
  const [address, length] = cidr.split("/") as [string, string];
  const value = address.split(".").reduce((total, octet) => total * 256 + Number(octet), 0);
  const prefix = Number(length);
  const hostBits = 2 ** (32 - prefix) - 1;
  if (value % (hostBits + 1) !== 0) {
    return false;
  }
  const ranges: Array<[number, number]> = [
    [10 * 2 ** 24, 8],
    [(172 * 2 ** 8 + 16) * 2 ** 16, 12],
    [(192 * 2 ** 8 + 168) * 2 ** 16, 16],
  ];
  return ranges.some(([start, rangePrefix]) => prefix >= rangePrefix && Math.floor(value / 2 ** (32 - rangePrefix)) === start / 2 ** (32 - rangePrefix));
}
