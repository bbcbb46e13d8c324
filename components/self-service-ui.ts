import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { IdentityProviderArgs } from "./identity-provider";
import { kratosInClusterPublicUrl, kratosPublicPathPrefix } from "./kratos-config";
import {
  configHash,
  configHashAnnotation,
  createDisruptionBudget,
  resourceRequirements,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  zoneSpread,
} from "./workload";

/** Name of the self-service UI's Service, which the gateway route for `/` names. */
export const selfServiceUiService = "kratos-ui";
/** Port the self-service UI listens on. */
export const selfServiceUiPort = 4455;
/** UID of the `ory` user in the self-service UI image (`USER 10000` in its Dockerfile). */
const selfServiceUiUserId = 10000;

/**
 * Runs Ory's reference self-service UI (login, registration, recovery, verification, settings)
 * with its cookie and CSRF secrets from @pulumi/random in a Secret.
 */
export function createSelfServiceUi(
  name: string,
  args: IdentityProviderArgs,
  namespace: pulumi.Output<string>,
  namespaceName: string,
  image: string,
  inCluster: pulumi.CustomResourceOptions,
): void {
  const labels = { "app.kubernetes.io/name": "kratos-selfservice-ui", "app.kubernetes.io/instance": name };
  const cookieSecret = new random.RandomPassword(`${name}-ui-cookie-secret`, { length: 32, special: false }, { parent: inCluster.parent });
  const csrfSecret = new random.RandomPassword(`${name}-ui-csrf-secret`, { length: 32, special: false }, { parent: inCluster.parent });

  const secret = new k8s.core.v1.Secret(
    `${name}-ui-secrets`,
    {
      metadata: { namespace, labels },
      type: "Opaque",
      stringData: { COOKIE_SECRET: cookieSecret.result, CSRF_COOKIE_SECRET: csrfSecret.result },
    },
    inCluster,
  );
  const fromSecret = (key: string) => ({ secretKeyRef: { name: secret.metadata.name, key } });

  new k8s.apps.v1.Deployment(
    `${name}-ui`,
    {
      metadata: { namespace, labels },
      spec: {
        replicas: args.platform.availability.replicas,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels, annotations: { [configHashAnnotation]: configHash(cookieSecret.result, csrfSecret.result) } },
          spec: {
            securityContext: restrictedPodSecurityContext(selfServiceUiUserId),
            automountServiceAccountToken: false,
            ...zoneSpread(args.platform, labels),
            containers: [
              {
                name: "ui",
                image,
                ports: [{ name: "http", containerPort: selfServiceUiPort, protocol: "TCP" }],
                // Variable names from the UI's src/index.ts and src/pkg/sdk/index.ts.
                env: [
                  { name: "PORT", value: String(selfServiceUiPort) },
                  // Server-side calls go straight to the Service. Links in the browser go
                  // through the gateway.
                  { name: "KRATOS_PUBLIC_URL", value: kratosInClusterPublicUrl(namespaceName) },
                  { name: "KRATOS_BROWSER_URL", value: `https://${args.appHost}${kratosPublicPathPrefix}` },
                  { name: "COOKIE_SECRET", valueFrom: fromSecret("COOKIE_SECRET") },
                  { name: "CSRF_COOKIE_SECRET", valueFrom: fromSecret("CSRF_COOKIE_SECRET") },
                  // npm, which the image may start the server with, writes its cache and logs
                  // under HOME. The emptyDir below keeps the root filesystem read-only.
                  { name: "HOME", value: "/tmp" },
                  { name: "NPM_CONFIG_CACHE", value: "/tmp/.npm" },
                ],
                securityContext: restrictedContainerSecurityContext(),
                resources: resourceRequirements(50, 192),
                livenessProbe: { httpGet: { path: "/health/alive", port: "http" }, periodSeconds: 10, failureThreshold: 5 },
                readinessProbe: { httpGet: { path: "/health/ready", port: "http" }, periodSeconds: 5 },
                volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
              },
            ],
            volumes: [{ name: "tmp", emptyDir: {} }],
          },
        },
      },
    },
    inCluster,
  );

  // The gateway route for `/` names this Service.
  new k8s.core.v1.Service(
    `${name}-ui`,
    {
      metadata: { name: selfServiceUiService, namespace, labels },
      spec: {
        type: "ClusterIP",
        selector: labels,
        ports: [{ name: "http", port: selfServiceUiPort, targetPort: "http", protocol: "TCP" }],
      },
    },
    inCluster,
  );

  createDisruptionBudget(`${name}-ui`, args.platform, namespace, labels, inCluster);
}
