/**
 * The public certificate on EKS: cert-manager with a Let's Encrypt ClusterIssuer that answers
 * DNS-01 challenges in Route 53, or a certificate from the stack config. Either way the result is
 * a `kubernetes.io/tls` Secret in Traefik's namespace.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { serviceAccountTrustPolicy, type EksClusterResources } from "./eks-cluster";

/**
 * cert-manager chart from charts.jetstack.io. v1.21.1 is the newest patch of the newest minor
 * release (cert-manager/website pull request 2216, 29 July 2026).
 */
export const certManagerChart = {
  chart: "cert-manager",
  version: "v1.21.1",
  repository: "https://charts.jetstack.io",
} as const;

/**
 * Namespace of Traefik. The Gateway component creates it under this name unless its args name another,
 * and Traefik reads its default certificate from a Secret there.
 */
export const gatewayNamespace = "gateway";

/** Name of the TLS Secret that contains the public certificate. */
export const publicCertificateSecretName = "public-tls";

const certManagerNamespace = "cert-manager";
const certManagerServiceAccount = "cert-manager";

/** The Secret's name and the resources that fill it, as the Gateway reads them. */
export interface PublicCertificate {
  readonly secretName: string;
  readonly dependsOn: pulumi.Resource[];
}

export interface LetsEncryptOptions {
  readonly email: string;
  readonly acmeServer: string;
  readonly hostedZoneId: pulumi.Output<string>;
  readonly region: pulumi.Output<string>;
  readonly partition: pulumi.Output<string>;
}

/**
 * Installs cert-manager, a ClusterIssuer for the ACME server and one Certificate for every host.
 *
 * Traefik's own ACME client is not used because it keeps its account and certificates in a file
 * of one pod, which does not work with two or more replicas.
 */
export function createLetsEncryptCertificate(
  name: string,
  hostnames: readonly string[],
  options: LetsEncryptOptions,
  cluster: EksClusterResources,
  provider: k8s.Provider,
  tags: Record<string, string>,
  parent: pulumi.Resource,
): { chart: k8s.helm.v4.Chart; certificate: PublicCertificate } {
  const role = new aws.iam.Role(
    `${name}-cert-manager-role`,
    { assumeRolePolicy: serviceAccountTrustPolicy(cluster, certManagerNamespace, certManagerServiceAccount), tags },
    { parent },
  );
  new aws.iam.RolePolicy(
    `${name}-cert-manager-policy`,
    { role: role.id, policy: pulumi.all([options.partition, options.hostedZoneId]).apply(([partition, zoneId]) => dns01Policy(partition, zoneId)) },
    { parent },
  );

  const namespace = new k8s.core.v1.Namespace(
    `${name}-cert-manager-ns`,
    // The Helm chart and the IAM trust policy both name this namespace.
    { metadata: { name: certManagerNamespace } },
    { parent, provider },
  );
  const chart = new k8s.helm.v4.Chart(
    `${name}-cert-manager`,
    {
      chart: certManagerChart.chart,
      version: certManagerChart.version,
      repositoryOpts: { repo: certManagerChart.repository },
      namespace: certManagerNamespace,
      values: {
        crds: { enabled: true, keep: true },
        replicaCount: 2,
        podDisruptionBudget: { enabled: true, minAvailable: 1 },
        serviceAccount: {
          name: certManagerServiceAccount,
          annotations: { "eks.amazonaws.com/role-arn": role.arn },
        },
      },
    },
    { parent, provider, dependsOn: [namespace] },
  );

  const issuer = new k8s.apiextensions.CustomResource(
    `${name}-issuer`,
    {
      apiVersion: "cert-manager.io/v1",
      kind: "ClusterIssuer",
      metadata: { name: "letsencrypt" },
      spec: {
        acme: {
          email: options.email,
          server: options.acmeServer,
          privateKeySecretRef: { name: "letsencrypt-account-key" },
          // cert-manager uses the IRSA role above as ambient credentials, which ClusterIssuers
          // may do by default.
          solvers: [{ dns01: { route53: { region: options.region, hostedZoneID: options.hostedZoneId } } }],
        },
      },
    },
    { parent, provider, dependsOn: [chart] },
  );

  // NOTE: the Gateway creates the gateway namespace, and nothing orders this Certificate after it.
  // The Kubernetes provider retries a create whose namespace does not exist yet, which covers the
  // usual case where both appear in one update.
  const certificate = new k8s.apiextensions.CustomResource(
    `${name}-certificate`,
    {
      apiVersion: "cert-manager.io/v1",
      kind: "Certificate",
      metadata: { name: publicCertificateSecretName, namespace: gatewayNamespace },
      spec: certificateSpec(hostnames),
    },
    { parent, provider, dependsOn: [issuer] },
  );

  return { chart, certificate: { secretName: publicCertificateSecretName, dependsOn: [certificate] } };
}

/** Builds the Certificate spec: every host as a DNS name, issued by the Let's Encrypt ClusterIssuer. */
export function certificateSpec(hostnames: readonly string[]) {
  return {
    secretName: publicCertificateSecretName,
    // Let's Encrypt takes the first name as the subject. Sorting keeps the order stable when the
    // route list is reordered, so no new certificate is ordered for the same names.
    dnsNames: [...new Set(hostnames)].sort(),
    issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: "letsencrypt" },
    privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
  };
}

/** Writes a certificate and key from the stack config into the TLS Secret Traefik reads. */
export function createProvidedCertificate(
  name: string,
  certificatePem: pulumi.Output<string>,
  privateKeyPem: pulumi.Output<string>,
  provider: k8s.Provider,
  parent: pulumi.Resource,
): PublicCertificate {
  // NOTE: as with the cert-manager Certificate, this relies on the provider retrying until the
  // Gateway has created the namespace.
  const secret = new k8s.core.v1.Secret(
    `${name}-public-tls`,
    {
      metadata: { name: publicCertificateSecretName, namespace: gatewayNamespace },
      type: "kubernetes.io/tls",
      stringData: { "tls.crt": certificatePem, "tls.key": pulumi.secret(privateKeyPem) },
    },
    { parent, provider },
  );
  return { secretName: publicCertificateSecretName, dependsOn: [secret] };
}

/**
 * Builds the IAM policy cert-manager needs for DNS-01 in one hosted zone: change and list its
 * records, look the zone up by name and wait for a change to reach every Route 53 server.
 */
export function dns01Policy(partition: string, hostedZoneId: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Action: "route53:GetChange", Resource: `arn:${partition}:route53:::change/*` },
      {
        Effect: "Allow",
        Action: ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"],
        Resource: `arn:${partition}:route53:::hostedzone/${hostedZoneId}`,
        // Only TXT records, so a compromised cert-manager cannot redirect the hosts themselves.
        Condition: { "ForAllValues:StringEquals": { "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"] } },
      },
      { Effect: "Allow", Action: "route53:ListHostedZonesByName", Resource: "*" },
    ],
  });
}
