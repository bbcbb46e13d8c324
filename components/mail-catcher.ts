import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { resourceRequirements, restrictedContainerSecurityContext, restrictedPodSecurityContext } from "./workload";

/** Name of the mail catcher's Service, which the courier's SMTP URI and the gateway route name. */
export const mailCatcherService = "mailpit";
/** Port of the mail catcher's web UI. */
export const mailCatcherWebPort = 8025;
/** Port of the mail catcher's SMTP server. */
export const mailCatcherSmtpPort = 1025;
/** Path prefix of the mail catcher's web UI on the admin host. */
export const mailCatcherPath = "/mail";
/** Unprivileged UID for Mailpit, which writes only its temporary database under /tmp. */
const mailCatcherUserId = 1000;

/**
 * Runs Mailpit, which accepts the courier's SMTP and shows the mail on a web page. Messages
 * live in a temporary database under /tmp and are lost when the pod restarts.
 */
export function createMailCatcher(name: string, namespace: pulumi.Output<string>, image: string, inCluster: pulumi.CustomResourceOptions): void {
  const labels = { "app.kubernetes.io/name": "mailpit", "app.kubernetes.io/instance": name };
  const probePath = (endpoint: string) => `${mailCatcherPath}/${endpoint}`;

  new k8s.apps.v1.Deployment(
    `${name}-mailpit`,
    {
      metadata: { namespace, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            securityContext: restrictedPodSecurityContext(mailCatcherUserId),
            automountServiceAccountToken: false,
            containers: [
              {
                name: "mailpit",
                image,
                ports: [
                  { name: "http", containerPort: mailCatcherWebPort, protocol: "TCP" },
                  { name: "smtp", containerPort: mailCatcherSmtpPort, protocol: "TCP" },
                ],
                env: [
                  // The gateway forwards /mail unchanged, so Mailpit serves its UI, API and
                  // probes (`<webroot>livez`, `<webroot>readyz`) under it.
                  { name: "MP_WEBROOT", value: mailCatcherPath },
                  { name: "MP_UI_BIND_ADDR", value: `0.0.0.0:${mailCatcherWebPort}` },
                  { name: "MP_SMTP_BIND_ADDR", value: `0.0.0.0:${mailCatcherSmtpPort}` },
                  { name: "MP_MAX_MESSAGES", value: "500" },
                  // Keeps Mailpit from calling GitHub to look for new releases.
                  { name: "MP_DISABLE_VERSION_CHECK", value: "true" },
                ],
                securityContext: restrictedContainerSecurityContext(),
                resources: resourceRequirements(20, 64),
                livenessProbe: { httpGet: { path: probePath("livez"), port: "http" }, periodSeconds: 10 },
                readinessProbe: { httpGet: { path: probePath("readyz"), port: "http" }, periodSeconds: 5 },
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

  // The courier's SMTP URI and the gateway route name this Service.
  new k8s.core.v1.Service(
    `${name}-mailpit`,
    {
      metadata: { name: mailCatcherService, namespace, labels },
      spec: {
        type: "ClusterIP",
        selector: labels,
        ports: [
          { name: "http", port: mailCatcherWebPort, targetPort: "http", protocol: "TCP" },
          { name: "smtp", port: mailCatcherSmtpPort, targetPort: "smtp", protocol: "TCP" },
        ],
      },
    },
    inCluster,
  );
}
