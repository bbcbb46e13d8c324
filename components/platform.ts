import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/**
 * Exposure of Traefik's Service outside the cluster.
 *
 * kind maps host ports 80 and 443 onto fixed node ports. EKS puts a Network Load Balancer in TCP
 * mode in front, so Traefik terminates TLS and mTLS itself on both platforms.
 */
export interface GatewayExposure {
  /** Kubernetes Service type for Traefik. */
  readonly serviceType: "LoadBalancer" | "NodePort";
  /** Annotations on Traefik's Service, such as the AWS load balancer settings. */
  readonly serviceAnnotations: Record<string, string>;
  /** Fixed node ports for the HTTP and HTTPS entry points, when the platform needs them. */
  readonly nodePorts?: { readonly http: number; readonly https: number };
  /** `Local` keeps the client IP without PROXY protocol, `Cluster` is the Kubernetes default. */
  readonly externalTrafficPolicy: "Local" | "Cluster";
  /**
   * Source ranges whose PROXY protocol header Traefik trusts. Set only when the load balancer
   * sends PROXY protocol. Traefik takes the client address from the header when a trusted source
   * sends one, and still accepts connections without it.
   */
  readonly proxyProtocolTrustedIPs?: readonly string[];
}

/**
 * Location of the database where Kratos keeps its identities.
 *
 * With `in-cluster`, the IdentityProvider runs its own Postgres StatefulSet. `external` hands it
 * a connection string for a database the platform manages, such as RDS.
 */
export type IdentityDatabase =
  | { readonly kind: "in-cluster" }
  | {
      readonly kind: "external";
      /** Postgres DSN for Kratos, a Pulumi secret. */
      readonly dsn: pulumi.Output<string>;
    };

/**
 * Source of the certificate for public hostnames.
 *
 * `issued-by-program` means the program signs one with its own development CA (kind).
 * `secret` means the platform fills a Kubernetes Secret of type `kubernetes.io/tls` in Traefik's
 * namespace, for example through cert-manager (EKS).
 */
export type PublicCertificateSource =
  | { readonly kind: "issued-by-program" }
  | {
      readonly kind: "secret";
      /** Name of the TLS Secret in Traefik's namespace that Traefik serves by default. */
      readonly secretName: string;
      /** Resources that must exist before Traefik reads the Secret, such as a cert-manager Certificate. */
      readonly dependsOn: pulumi.Resource[];
    };

/** Replica counts and disruption settings, so a laptop runs one of each and a cloud runs two or more. */
export interface Availability {
  /** Replicas of Traefik, Kratos (without the courier) and Oathkeeper. */
  readonly replicas: number;
  /** Whether to add PodDisruptionBudgets and spread pods across zones. */
  readonly spreadAcrossZones: boolean;
  /** Upper bound for Traefik's HorizontalPodAutoscaler, or undefined for a fixed replica count. */
  readonly gatewayMaxReplicas?: number;
}

/**
 * The narrow set of facts that components need about the cluster they run on.
 *
 * `stacks/kind.ts` and `stacks/eks.ts` implement it. Components never ask which platform they
 * are on. When a component must behave differently, add a field here named after that need.
 */
export interface Platform {
  /** Provider for every Kubernetes object this program creates. */
  readonly kubernetesProvider: k8s.Provider;
  /** Exposure of Traefik outside the cluster. */
  readonly gatewayExposure: GatewayExposure;
  /** Source of the identity database. */
  readonly identityDatabase: IdentityDatabase;
  /** StorageClass for PersistentVolumeClaims, or undefined for the cluster's default class. */
  readonly storageClassName?: string;
  /** Source of the certificate for public hostnames. */
  readonly publicCertificate: PublicCertificateSource;
  /** Replica counts and disruption settings. */
  readonly availability: Availability;
}
