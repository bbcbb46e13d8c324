/**
 * The EKS platform: a VPC, an EKS cluster with a managed node group, the AWS Load Balancer
 * Controller for Traefik's Network Load Balancer, RDS for PostgreSQL for Kratos, the public
 * certificate and, with a hosted zone, the Route 53 records.
 *
 * Only this file and the other `stacks/eks-*.ts` files import the AWS packages.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Platform, PublicCertificateSource } from "../components/platform";
import { createLetsEncryptCertificate, createProvidedCertificate, type PublicCertificate } from "./eks-certificates";
import { createCluster } from "./eks-cluster";
import { isGravitonInstanceType, wantsDnsRecords, type EksSettings } from "./eks-config";
import { createDatabase } from "./eks-database";
import { createHostRecords } from "./eks-dns";
import { installLoadBalancerController, nlbGatewayExposure } from "./eks-load-balancer";
import { createNetwork } from "./eks-network";

/** Hostnames the stack serves, for the certificate and the DNS records. */
export interface EksHosts {
  /** Hosts anyone may reach, such as the app host. */
  readonly public: readonly string[];
  /** Staff-only hosts that require a client certificate. */
  readonly admin: readonly string[];
}

/** Secret config values the platform needs, read by stacks/config.ts. */
export interface EksSecrets {
  /** Certificate and key for every host, required when `tls.mode` is `provided`. */
  readonly providedCertificate?: {
    readonly certificatePem: pulumi.Output<string>;
    readonly privateKeyPem: pulumi.Output<string>;
  };
}

/** The platform for the components, plus the parts that must wait for the Gateway. */
export interface EksPlatform {
  readonly platform: Platform;
  /**
   * Points every host at the load balancer of Traefik's Service. Creates Route 53 records when
   * the settings ask for them, and does nothing otherwise. Call it once.
   */
  publishHostnames(loadBalancerHostname: pulumi.Input<string | undefined>): void;
  /** Stack outputs: cluster name, kubeconfig (secret), VPC id and database endpoint. */
  readonly outputs: Record<string, pulumi.Output<unknown>>;
}

/** Parent of every resource of the platform, so they appear under one node in the CLI. */
class EksPlatformComponent extends pulumi.ComponentResource {
  constructor(name: string) {
    super("apigw:platform:Eks", name);
  }

  /** Records the stack outputs on the component once its children are declared. */
  complete(outputs: Record<string, pulumi.Output<unknown>>): void {
    this.registerOutputs(outputs);
  }
}

/**
 * Creates the EKS platform. Settings come from `eksSettingsSchema` and have passed
 * `eksSettingsProblems`.
 */
export function createEksPlatform(name: string, settings: EksSettings, hosts: EksHosts, secrets: EksSecrets = {}): EksPlatform {
  const component = new EksPlatformComponent(name);
  const parent = component;
  const hostnames = [...hosts.public, ...hosts.admin];

  if (settings.tls.mode === "provided" && secrets.providedCertificate === undefined) {
    throw new pulumi.ResourceError(
      "tls.mode is provided, but no certificate was passed to createEksPlatform. Pass secrets.providedCertificate from the secret config keys.",
      component,
    );
  }
  if (hostnames.length === 0) {
    throw new pulumi.ResourceError("hosts lists no hostname, so there is nothing to issue a certificate for. Pass the app and admin hosts.", component);
  }
  if (settings.nodes.instanceTypes.every(isGravitonInstanceType)) {
    pulumi.log.warn(
      "The nodes are Graviton (arm64). oryd/kratos-selfservice-ui-node published linux/amd64 images only when this program was written, " +
        "so its pods may fail with 'exec format error'. Check the image's platforms or choose x86_64 instance types.",
      component,
    );
  }

  const partition = aws.getPartitionOutput({}, { parent }).partition;
  const region = aws.getRegionOutput({}, { parent }).region;
  const tags = { "apigw:project": pulumi.getProject(), "apigw:stack": pulumi.getStack() };

  const network = createNetwork(name, settings.network, parent);
  const cluster = createCluster(name, settings, network, partition, tags, parent);

  // Add-ons get a provider of their own, so that the components' provider below can depend on
  // them. Then every component resource is created after the add-ons and deleted before them,
  // and the controller is still running to delete the NLB of Traefik's Service.
  const addonProvider = new k8s.Provider(`${name}-k8s-addons`, { kubeconfig: cluster.kubeconfigJson }, { parent, dependsOn: [cluster.nodeGroup] });
  const loadBalancerController = installLoadBalancerController(name, cluster, network.vpcId, region, partition, addonProvider, tags, parent);
  const addons: pulumi.Resource[] = [loadBalancerController];

  const hostedZoneId =
    settings.hostedZone === undefined
      ? undefined
      : settings.hostedZone.id !== undefined
        ? pulumi.output(settings.hostedZone.id)
        : aws.route53.getZoneOutput({ name: settings.hostedZone.name, privateZone: false }, { parent }).zoneId;

  let letsEncrypt: { chart: k8s.helm.v4.Chart; certificate: PublicCertificate } | undefined;
  if (settings.tls.mode === "letsencrypt") {
    if (hostedZoneId === undefined) {
      throw new pulumi.ResourceError("eksTlsMode is letsencrypt, which needs eksHostedZoneName for DNS-01. Set eksHostedZoneName or use eksTlsMode provided.", component);
    }
    letsEncrypt = createLetsEncryptCertificate(
      name,
      hostnames,
      { email: settings.tls.email, acmeServer: settings.tls.acmeServer, hostedZoneId, region, partition },
      cluster,
      addonProvider,
      tags,
      parent,
    );
    addons.push(letsEncrypt.chart);
  }

  const kubernetesProvider = new k8s.Provider(`${name}-k8s`, { kubeconfig: cluster.kubeconfigJson }, { parent, dependsOn: addons });

  const certificate =
    letsEncrypt?.certificate ??
    createProvidedCertificate(name, secrets.providedCertificate!.certificatePem, secrets.providedCertificate!.privateKeyPem, kubernetesProvider, parent);
  const publicCertificate: PublicCertificateSource = { kind: "secret", secretName: certificate.secretName, dependsOn: certificate.dependsOn };

  const database = createDatabase(name, settings.database, network, cluster.nodeSecurityGroupId, tags, parent);

  const platform: Platform = {
    kubernetesProvider,
    gatewayExposure: nlbGatewayExposure(network.vpcCidr),
    identityDatabase: { kind: "external", dsn: database.dsn },
    // NOTE: no EBS CSI driver is installed, so a PersistentVolumeClaim would stay Pending. Nothing
    // on EKS claims one, because the identity database is RDS.
    storageClassName: undefined,
    publicCertificate,
    availability: {
      replicas: settings.availability.replicas,
      spreadAcrossZones: true,
      gatewayMaxReplicas: settings.availability.gatewayMaxReplicas,
    },
  };

  const outputs: Record<string, pulumi.Output<unknown>> = {
    clusterName: cluster.clusterName,
    // The kubeconfig contains no credential, but it names the cluster endpoint, so keep it out of logs.
    kubeconfig: pulumi.secret(cluster.kubeconfigJson),
    vpcId: network.vpcId,
    databaseAddress: database.instance.address,
  };
  component.complete(outputs);

  let published = false;
  const publishHostnames = (loadBalancerHostname: pulumi.Input<string | undefined>): void => {
    if (published) {
      throw new pulumi.ResourceError("publishHostnames was called twice. Call it once with the gateway's load balancer hostname.", component);
    }
    published = true;
    if (hostedZoneId !== undefined && wantsDnsRecords(settings)) {
      // The Kubernetes provider waits for a LoadBalancer Service to get its address, so an empty
      // hostname means the controller failed to create the NLB.
      const target = pulumi.output(loadBalancerHostname).apply((hostname) => {
        if (hostname === undefined || hostname === "") {
          throw new Error(
            "Traefik's Service has no load balancer hostname, so no DNS record can point at it. " +
              "Check the AWS Load Balancer Controller logs in kube-system for the reason.",
          );
        }
        return hostname;
      });
      createHostRecords(name, hostnames, hostedZoneId, target, parent);
    }
  };

  return { platform, publishHostnames, outputs };
}
