import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Platform } from "./platform";
import {
  configHash,
  configHashAnnotation,
  resourceRequirements,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
} from "./workload";

export interface PostgresArgs {
  /** Cluster that Postgres runs in. */
  platform: Platform;
  /** Namespace for the StatefulSet, its Service and Secret. */
  namespace: pulumi.Input<string>;
  /** Postgres image, pinned by tag or digest. */
  image: string;
  /** Name of the database and of the user that owns it, such as `kratos`. */
  database: string;
  /**
   * Size of the data volume.
   * @default "5Gi"
   */
  storageSize?: string;
}

/**
 * UID and GID of the `postgres` user in the official Alpine-based image. Running as that user
 * keeps the image's own file ownership valid.
 */
const postgresUserId = 70;
const postgresPort = 5432;
const dataMountPath = "/var/lib/postgresql/data";

/**
 * A single-instance Postgres StatefulSet with a PersistentVolumeClaim, a ClusterIP Service and a
 * generated password, for platforms without a managed database.
 */
export class Postgres extends pulumi.ComponentResource {
  /** DSN that reaches the database from inside the cluster, a Pulumi secret. */
  public readonly dsn: pulumi.Output<string>;
  /** StatefulSet that clients must wait for before they connect. */
  public readonly statefulSet: k8s.apps.v1.StatefulSet;

  constructor(name: string, args: PostgresArgs, opts?: pulumi.ComponentResourceOptions) {
    super("apigw:index:Postgres", name, {}, opts);

    const storageSize = args.storageSize ?? "5Gi";
    const inCluster = { parent: this, provider: args.platform.kubernetesProvider };
    const labels = { "app.kubernetes.io/name": "postgres", "app.kubernetes.io/instance": name };

    // Letters and digits only, so the password needs no escaping inside the DSN.
    const password = new random.RandomPassword(`${name}-password`, { length: 32, special: false }, { parent: this });

    const secret = new k8s.core.v1.Secret(
      `${name}-credentials`,
      {
        metadata: { namespace: args.namespace, labels },
        type: "Opaque",
        stringData: { POSTGRES_PASSWORD: password.result },
      },
      inCluster,
    );

    // The DSN contains this name, so it is fixed. The Service also governs the StatefulSet.
    const serviceName = `${args.database}-postgres`;
    new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: serviceName, namespace: args.namespace, labels },
        spec: {
          type: "ClusterIP",
          selector: labels,
          ports: [{ name: "postgres", port: postgresPort, targetPort: "postgres", protocol: "TCP" }],
        },
      },
      inCluster,
    );

    const readinessCommand = ["pg_isready", "--host", "127.0.0.1", "--username", args.database, "--dbname", args.database];

    this.statefulSet = new k8s.apps.v1.StatefulSet(
      `${name}-statefulset`,
      {
        metadata: { namespace: args.namespace, labels },
        spec: {
          serviceName,
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: {
              labels,
              // NOTE: the image applies POSTGRES_PASSWORD only when it initialises an empty data
              // folder. A new password rolls the pod, but the database keeps the old one until
              // someone runs ALTER USER.
              annotations: { [configHashAnnotation]: configHash(password.result) },
            },
            spec: {
              securityContext: restrictedPodSecurityContext(postgresUserId),
              automountServiceAccountToken: false,
              containers: [
                {
                  name: "postgres",
                  image: args.image,
                  ports: [{ name: "postgres", containerPort: postgresPort, protocol: "TCP" }],
                  env: [
                    { name: "POSTGRES_USER", value: args.database },
                    { name: "POSTGRES_DB", value: args.database },
                    { name: "POSTGRES_PASSWORD", valueFrom: { secretKeyRef: { name: secret.metadata.name, key: "POSTGRES_PASSWORD" } } },
                    // initdb refuses a mount point that contains lost+found, which many volume
                    // types create, so the cluster lives in a subfolder.
                    { name: "PGDATA", value: `${dataMountPath}/pgdata` },
                  ],
                  securityContext: restrictedContainerSecurityContext(),
                  resources: resourceRequirements(100, 512),
                  readinessProbe: {
                    exec: { command: readinessCommand },
                    periodSeconds: 10,
                    timeoutSeconds: 5,
                  },
                  livenessProbe: {
                    exec: { command: readinessCommand },
                    initialDelaySeconds: 30,
                    periodSeconds: 20,
                    timeoutSeconds: 5,
                    failureThreshold: 6,
                  },
                  volumeMounts: [
                    { name: "data", mountPath: dataMountPath },
                    // Writable folders on a read-only root filesystem: the Unix socket and lock
                    // file, and the entrypoint's temporary files.
                    { name: "run", mountPath: "/var/run/postgresql" },
                    { name: "tmp", mountPath: "/tmp" },
                  ],
                },
              ],
              volumes: [
                { name: "run", emptyDir: {} },
                { name: "tmp", emptyDir: {} },
              ],
            },
          },
          volumeClaimTemplates: [
            {
              metadata: { name: "data" },
              spec: {
                accessModes: ["ReadWriteOnce"],
                storageClassName: args.platform.storageClassName,
                resources: { requests: { storage: storageSize } },
              },
            },
          ],
        },
      },
      inCluster,
    );

    // NOTE: traffic to the database is not encrypted. It stays inside the cluster network.
    this.dsn = pulumi.secret(
      pulumi.interpolate`postgres://${args.database}:${password.result}@${serviceName}.${args.namespace}.svc.cluster.local:${postgresPort}/${args.database}?sslmode=disable&max_conns=20&max_idle_conns=4`,
    );

    this.registerOutputs({ dsn: this.dsn });
  }
}
