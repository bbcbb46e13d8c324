import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { stringify } from "yaml";
import {
  buildIdentitySchema,
  buildKratosConfig,
  buildKratosSecretsConfig,
  googleClaimsMapper,
  kratosAdminBaseUrl,
  kratosAdminPort,
  kratosConfigArgs,
  kratosConfigDirectory,
  kratosFiles,
  kratosInClusterPublicUrl,
  kratosPublicBaseUrl,
  kratosPublicPathPrefix,
  kratosPublicPort,
  kratosSecretsDirectory,
  kratosSessionCookieName,
} from "./kratos-config";
import type { Platform } from "./platform";
import { createMailCatcher, mailCatcherPath, mailCatcherService, mailCatcherSmtpPort, mailCatcherWebPort } from "./mail-catcher";
import { Postgres } from "./postgres";
import { isDnsLabel, isHostname, type Route } from "./routes";
import { createSelfServiceUi, selfServiceUiPort, selfServiceUiService } from "./self-service-ui";
import { defaultImages, type ImageVersions } from "./versions";
import {
  configHash,
  configHashAnnotation,
  createDisruptionBudget,
  resourceRequirements,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  createNamespace,
  zoneSpread,
} from "./workload";

/** Destination of the Kratos courier's mail: the in-cluster catcher or an SMTP server. */
export type MailSettings =
  | { kind: "catcher" }
  | { kind: "smtp"; connectionUri: pulumi.Input<string>; fromAddress: string };

export interface IdentityProviderArgs {
  /** Cluster that Kratos runs in. */
  platform: Platform;
  /** Browser-facing host for the self-service UI and Kratos's public API, e.g. app.gateway.localhost. */
  appHost: string;
  /** mTLS-only host where the mail catcher UI is routed, e.g. admin.gateway.localhost. */
  adminHost: string;
  /** URLs (origins or prefixes) Kratos may redirect to after a flow: the protected apps. */
  allowedReturnUrls: string[];
  /** @default `https://${appHost}/` */
  defaultReturnUrl?: string;
  /** Domain attribute for Kratos cookies. Undefined keeps them host-only on appHost. */
  cookieDomain?: string;
  /**
   * Optional Google login. Register
   * `https://<appHost>/.ory/kratos/public/self-service/methods/oidc/callback/google` as the
   * redirect URI of the Google OAuth client.
   */
  google?: { clientId: string; clientSecret: pulumi.Input<string> };
  /** Destination of the courier's mail. */
  mail: MailSettings;
  images?: Partial<Pick<ImageVersions, "kratos" | "kratosSelfServiceUi" | "postgres" | "mailCatcher">>;
  /** @default "identity" */
  namespace?: string;
}

/** Sender address of Kratos mail when the mail catcher receives it. */
const catcherFromAddress = "no-reply@identity.invalid";

// Service names that URLs, routes and other components refer to. Each one is fixed for that
// reason: the session check URL, the gateway routes and the courier's SMTP URI contain them.
const kratosPublicService = "kratos-public";
const kratosAdminService = "kratos-admin";

/** UID of the `ory` user in the Kratos image (`USER 10000` in its Dockerfile). */
const oryUserId = 10000;

/**
 * Returns the routes the IdentityProvider needs on the gateway. The function is pure, so stack
 * config can check them before any resource exists.
 */
export function identityRoutes(args: { appHost: string; adminHost: string; mailCatcher: boolean; namespace?: string }): Route[] {
  const namespace = args.namespace ?? "identity";
  const routes: Route[] = [
    {
      name: "kratos-public",
      host: args.appHost,
      pathPrefix: kratosPublicPathPrefix,
      access: "public",
      stripPrefix: true,
      backend: { kind: "service", namespace, service: kratosPublicService, port: kratosPublicPort },
    },
    {
      name: "login-ui",
      host: args.appHost,
      pathPrefix: "/",
      access: "public",
      backend: { kind: "service", namespace, service: selfServiceUiService, port: selfServiceUiPort },
    },
  ];
  if (args.mailCatcher) {
    routes.push({
      name: "mail-catcher",
      host: args.adminHost,
      pathPrefix: mailCatcherPath,
      access: "mtls",
      // Mailpit serves under its web root, so the prefix stays on the request.
      backend: { kind: "service", namespace, service: mailCatcherService, port: mailCatcherWebPort },
    });
  }
  return routes;
}

/**
 * Ory Kratos with its database, the reference self-service UI and, on development stacks, a
 * mail catcher.
 *
 * The UI and the Kratos public API share the app host, so the session cookie stays first-party
 * and host-only unless `cookieDomain` widens it.
 */
export class IdentityProvider extends pulumi.ComponentResource {
  /** Namespace that contains Kratos and its helpers. */
  public readonly namespace: pulumi.Output<string>;
  /** In-cluster URL of Kratos's `/sessions/whoami`, which Oathkeeper calls with the session cookie. */
  public readonly sessionCheckUrl: pulumi.Output<string>;
  /** Name of the Kratos session cookie. A plain value, because the AuthProxy's rules need it as such. */
  public readonly sessionCookieName: string;
  /** URL that starts a browser login flow. Send unauthenticated browsers here. */
  public readonly browserLoginUrl: string;
  /** External base URL of the Kratos public API, with a trailing slash. */
  public readonly publicBaseUrl: pulumi.Output<string>;
  /** In-cluster base URL of the Kratos admin API. No route reaches it from outside. */
  public readonly adminBaseUrl: pulumi.Output<string>;
  /** Gateway routes for the UI, the public API and the mail catcher. */
  public readonly routes: Route[];

  constructor(name: string, args: IdentityProviderArgs, opts?: pulumi.ComponentResourceOptions) {
    super("apigw:index:IdentityProvider", name, {}, opts);
    validateIdentityProviderArgs(args, this);

    const namespaceName = args.namespace ?? "identity";
    const defaultReturnUrl = args.defaultReturnUrl ?? `https://${args.appHost}/`;
    const images = {
      kratos: args.images?.kratos ?? defaultImages.kratos,
      kratosSelfServiceUi: args.images?.kratosSelfServiceUi ?? defaultImages.kratosSelfServiceUi,
      postgres: args.images?.postgres ?? defaultImages.postgres,
      mailCatcher: args.images?.mailCatcher ?? defaultImages.mailCatcher,
    };
    const mail = args.mail;
    const useCatcher = mail.kind === "catcher";
    const inCluster = { parent: this, provider: args.platform.kubernetesProvider };

    // The name is fixed because every in-cluster URL of Kratos contains it. Every pod here meets
    // the restricted Pod Security Standard, so the namespace enforces it.
    const namespace = createNamespace(`${name}-namespace`, namespaceName, inCluster);
    const ns = namespace.metadata.name;

    // Pods in other namespaces reach only the ports that routes and Oathkeeper use: the Kratos
    // public API, the UI and the mail catcher's web UI. The Kratos admin API, Postgres and SMTP
    // accept connections from pods of this namespace only. The kubelet's probes always pass, because the
    // NetworkPolicy API exempts traffic from the pod's own node.
    new k8s.networking.v1.NetworkPolicy(
      `${name}-isolation`,
      {
        metadata: { namespace: ns },
        spec: {
          podSelector: {},
          policyTypes: ["Ingress"],
          ingress: [
            { ports: [kratosPublicPort, selfServiceUiPort, mailCatcherWebPort].map((port) => ({ port, protocol: "TCP" })) },
            { from: [{ podSelector: {} }] },
          ],
        },
      },
      inCluster,
    );

    const database = this.createDatabase(name, args, ns, images.postgres);
    // Mailpit speaks plain SMTP inside the cluster. Kratos enforces STARTTLS on smtp:// URIs
    // unless `disable_starttls=true` is set (courier.smtp.connection_uri in the config schema).
    const smtpConnectionUri =
      mail.kind === "catcher"
        ? pulumi.output(`smtp://${mailCatcherService}.${namespaceName}.svc.cluster.local:${mailCatcherSmtpPort}/?disable_starttls=true`)
        : pulumi.secret(mail.connectionUri);

    // Kratos needs at least 16 characters per key and exactly 32 for the cipher key. Letters and
    // digits keep every value safe inside YAML and environment variables.
    const newKey = (role: string) =>
      new random.RandomPassword(`${name}-${role}`, { length: 32, special: false }, { parent: this });
    const cookieSecret = newKey("cookie-secret");
    const cipherSecret = newKey("cipher-secret");
    const defaultSecret = newKey("default-secret");

    const kratosConfigYaml = stringify(
      buildKratosConfig({
        appHost: args.appHost,
        namespace: namespaceName,
        allowedReturnUrls: args.allowedReturnUrls,
        defaultReturnUrl,
        cookieDomain: args.cookieDomain,
        fromAddress: mail.kind === "catcher" ? catcherFromAddress : mail.fromAddress,
        googleEnabled: args.google !== undefined,
      }),
    );
    const identitySchemaJson = JSON.stringify(buildIdentitySchema(), null, 2);

    const secretsYaml = pulumi.secret(
      pulumi
        .all([database.dsn, cookieSecret.result, cipherSecret.result, defaultSecret.result, smtpConnectionUri, args.google?.clientSecret ?? ""])
        .apply(([dsn, cookie, cipher, defaultKey, smtp, googleSecret]) =>
          stringify(
            buildKratosSecretsConfig({
              dsn,
              cookieSecret: cookie,
              cipherSecret: cipher,
              defaultSecret: defaultKey,
              smtpConnectionUri: smtp,
              google: args.google === undefined ? undefined : { clientId: args.google.clientId, clientSecret: googleSecret },
            }),
          ),
        ),
    );

    // The ConfigMap carries no secret: the config file, the identity schema and the mapper.
    // Every secret sits in one config file in a Secret that Kratos loads after the ConfigMap's.
    const configData: Record<string, string> = {
      [kratosFiles.config]: kratosConfigYaml,
      [kratosFiles.identitySchema]: identitySchemaJson,
    };
    if (args.google !== undefined) {
      configData[kratosFiles.googleMapper] = googleClaimsMapper;
    }
    const configMap = new k8s.core.v1.ConfigMap(
      `${name}-kratos-config`,
      { metadata: { namespace: ns, labels: kratosLabels(name, "config") }, data: configData },
      inCluster,
    );
    const secret = new k8s.core.v1.Secret(
      `${name}-kratos-secrets`,
      {
        metadata: { namespace: ns, labels: kratosLabels(name, "config") },
        type: "Opaque",
        stringData: { [kratosFiles.secrets]: secretsYaml },
      },
      inCluster,
    );

    const kratos: KratosPodInputs = {
      image: images.kratos,
      configMapName: configMap.metadata.name,
      secretName: secret.metadata.name,
      hash: configHash(...Object.values(configData), secretsYaml),
    };

    const migration = this.createMigrationJob(name, ns, kratos, database.waitFor, inCluster);
    this.createKratosServe(name, args.platform, ns, kratos, migration, inCluster);
    this.createCourier(name, ns, kratos, migration, inCluster);
    createSelfServiceUi(name, args, ns, namespaceName, images.kratosSelfServiceUi, inCluster);
    if (useCatcher) {
      createMailCatcher(name, ns, images.mailCatcher, inCluster);
    }

    this.namespace = ns;
    this.sessionCheckUrl = pulumi.output(`${kratosInClusterPublicUrl(namespaceName)}sessions/whoami`);
    this.sessionCookieName = kratosSessionCookieName;
    this.publicBaseUrl = pulumi.output(kratosPublicBaseUrl(args.appHost));
    this.browserLoginUrl = `${kratosPublicBaseUrl(args.appHost)}self-service/login/browser`;
    this.adminBaseUrl = pulumi.output(kratosAdminBaseUrl(namespaceName));
    this.routes = identityRoutes({ appHost: args.appHost, adminHost: args.adminHost, mailCatcher: useCatcher, namespace: namespaceName });

    this.registerOutputs({
      namespace: this.namespace,
      sessionCheckUrl: this.sessionCheckUrl,
      sessionCookieName: this.sessionCookieName,
      browserLoginUrl: this.browserLoginUrl,
      publicBaseUrl: this.publicBaseUrl,
      adminBaseUrl: this.adminBaseUrl,
    });
  }

  /** Returns the DSN, and the resources Kratos must wait for before it connects. */
  private createDatabase(
    name: string,
    args: IdentityProviderArgs,
    namespace: pulumi.Output<string>,
    image: string,
  ): { dsn: pulumi.Output<string>; waitFor: pulumi.Resource[] } {
    const source = args.platform.identityDatabase;
    if (source.kind === "external") {
      return { dsn: pulumi.secret(source.dsn), waitFor: [] };
    }
    const postgres = new Postgres(
      `${name}-postgres`,
      { platform: args.platform, namespace, image, database: "kratos" },
      { parent: this },
    );
    return { dsn: postgres.dsn, waitFor: [postgres.statefulSet] };
  }

  /**
   * Runs `kratos migrate sql up` as a Job. The Kubernetes provider waits for a Job to complete,
   * so the Deployments that depend on it start only on a migrated schema. A Job runs the
   * migration once per change, while an init container would run it in every replica at once.
   */
  private createMigrationJob(
    name: string,
    namespace: pulumi.Output<string>,
    kratos: KratosPodInputs,
    waitFor: pulumi.Resource[],
    inCluster: pulumi.CustomResourceOptions,
  ): k8s.batch.v1.Job {
    const labels = kratosLabels(name, "migrate");
    // A Job's pod template is immutable, so the provider replaces the Job when the image or the
    // config hash changes, and the new Job runs the migration again.
    // NOTE: a Job that failed stays failed on the next `pulumi up`. Fix the cause, then run
    // `pulumi up --replace` on this Job.
    return new k8s.batch.v1.Job(
      `${name}-migrate`,
      {
        metadata: { namespace, labels },
        spec: {
          backoffLimit: 6,
          activeDeadlineSeconds: 900,
          template: {
            metadata: { labels, annotations: { [configHashAnnotation]: kratos.hash } },
            spec: {
              ...kratosPodSpecBase(kratos),
              restartPolicy: "OnFailure",
              containers: [
                {
                  ...kratosContainerBase(kratos),
                  name: "migrate",
                  // `-e` reads the DSN from the DSN environment variable or the config files, here the
                  // mounted secrets.yml. `--yes` skips the confirmation prompt.
                  args: ["migrate", "sql", "up", "-e", "--yes", ...kratosConfigArgs()],
                  resources: resourceRequirements(100, 128),
                  // No probes: nothing sends traffic to this pod, and a liveness probe could kill
                  // a long migration halfway. activeDeadlineSeconds bounds a hung run instead.
                },
              ],
            },
          },
        },
      },
      { ...inCluster, dependsOn: waitFor },
    );
  }

  private createKratosServe(
    name: string,
    platform: Platform,
    namespace: pulumi.Output<string>,
    kratos: KratosPodInputs,
    migration: k8s.batch.v1.Job,
    inCluster: pulumi.CustomResourceOptions,
  ): void {
    const labels = kratosLabels(name, "serve");
    const replicas = platform.availability.replicas;

    new k8s.apps.v1.Deployment(
      `${name}-kratos`,
      {
        metadata: {
          namespace,
          labels,
          // Records which migration prepared the schema. Reading the Job's id also makes this
          // Deployment wait until the Job has completed.
          annotations: { "apigw.dev/migration-job": migration.id },
        },
        spec: {
          replicas,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels, annotations: { [configHashAnnotation]: kratos.hash } },
            spec: {
              ...kratosPodSpecBase(kratos),
              ...zoneSpread(platform, labels),
              containers: [
                {
                  ...kratosContainerBase(kratos),
                  name: "kratos",
                  // Without --dev Kratos marks its cookies Secure. The courier runs in its own
                  // Deployment, so --watch-courier stays off here.
                  // --sqa-opt-out stops the usage reports Kratos otherwise sends to Ory
                  // (cmd/daemon/serve.go registers the flag with default false).
                  args: ["serve", "--sqa-opt-out", ...kratosConfigArgs()],
                  ports: [
                    { name: "http-public", containerPort: kratosPublicPort, protocol: "TCP" },
                    { name: "http-admin", containerPort: kratosAdminPort, protocol: "TCP" },
                  ],
                  resources: resourceRequirements(100, 256),
                  // The admin server redirects paths outside /admin to /admin/..., and its request log
                  // skips only the /admin/health paths, so the probes use those directly.
                  livenessProbe: { httpGet: { path: "/admin/health/alive", port: "http-admin" }, periodSeconds: 10, failureThreshold: 5 },
                  readinessProbe: { httpGet: { path: "/admin/health/ready", port: "http-admin" }, periodSeconds: 5 },
                },
              ],
            },
          },
        },
      },
      { ...inCluster, dependsOn: [migration] },
    );

    // Oathkeeper and the UI call this Service by name, and the gateway routes to it.
    new k8s.core.v1.Service(
      `${name}-kratos-public`,
      {
        metadata: { name: kratosPublicService, namespace, labels },
        spec: {
          type: "ClusterIP",
          selector: labels,
          ports: [{ name: "http", port: kratosPublicPort, targetPort: "http-public", protocol: "TCP" }],
        },
      },
      inCluster,
    );
    // serve.admin.base_url names this Service. It is ClusterIP and no route points at it.
    new k8s.core.v1.Service(
      `${name}-kratos-admin`,
      {
        metadata: { name: kratosAdminService, namespace, labels },
        spec: {
          type: "ClusterIP",
          selector: labels,
          ports: [{ name: "http", port: kratosAdminPort, targetPort: "http-admin", protocol: "TCP" }],
        },
      },
      inCluster,
    );

    createDisruptionBudget(`${name}-kratos`, platform, namespace, labels, inCluster);
  }

  /**
   * Runs `kratos courier watch`, which sends queued mail. One replica with the Recreate strategy
   * keeps two couriers from ever sending the same message.
   */
  private createCourier(
    name: string,
    namespace: pulumi.Output<string>,
    kratos: KratosPodInputs,
    migration: k8s.batch.v1.Job,
    inCluster: pulumi.CustomResourceOptions,
  ): void {
    const labels = kratosLabels(name, "courier");
    const metricsPort = 4434;
    new k8s.apps.v1.Deployment(
      `${name}-courier`,
      {
        metadata: { namespace, labels },
        spec: {
          replicas: 1,
          strategy: { type: "Recreate" },
          selector: { matchLabels: labels },
          template: {
            metadata: { labels, annotations: { [configHashAnnotation]: kratos.hash } },
            spec: {
              ...kratosPodSpecBase(kratos),
              containers: [
                {
                  ...kratosContainerBase(kratos),
                  name: "courier",
                  // The courier has no health endpoint. Its metrics server (cmd/courier/watch.go)
                  // gives the probes something to call. It listens on the admin address with the
                  // port swapped (driver/config/config.go), here 0.0.0.0:4434. No Service exposes it.
                  args: ["courier", "watch", "--expose-metrics-port", String(metricsPort), ...kratosConfigArgs()],
                  ports: [{ name: "http-metrics", containerPort: metricsPort, protocol: "TCP" }],
                  resources: resourceRequirements(50, 128),
                  livenessProbe: { httpGet: { path: "/metrics/prometheus", port: "http-metrics" }, periodSeconds: 20, failureThreshold: 3 },
                  readinessProbe: { httpGet: { path: "/metrics/prometheus", port: "http-metrics" }, periodSeconds: 10 },
                },
              ],
            },
          },
        },
      },
      { ...inCluster, dependsOn: [migration] },
    );
  }
}

/** Inputs shared by every pod that runs the Kratos binary. */
interface KratosPodInputs {
  image: string;
  configMapName: pulumi.Output<string>;
  secretName: pulumi.Output<string>;
  /** Hash of both config files, the identity schema and the mapper. */
  hash: pulumi.Output<string>;
}

function kratosLabels(name: string, component: string): Record<string, string> {
  return { "app.kubernetes.io/name": "kratos", "app.kubernetes.io/instance": name, "app.kubernetes.io/component": component };
}

function kratosPodSpecBase(kratos: KratosPodInputs): k8s.types.input.core.v1.PodSpec {
  return {
    securityContext: restrictedPodSecurityContext(oryUserId),
    automountServiceAccountToken: false,
    containers: [],
    volumes: [
      { name: "config", configMap: { name: kratos.configMapName } },
      { name: "secrets", secret: { secretName: kratos.secretName } },
      { name: "tmp", emptyDir: {} },
    ],
  };
}

function kratosContainerBase(kratos: KratosPodInputs): k8s.types.input.core.v1.Container {
  return {
    name: "kratos",
    image: kratos.image,
    command: ["kratos"],
    securityContext: restrictedContainerSecurityContext(),
    volumeMounts: [
      { name: "config", mountPath: kratosConfigDirectory, readOnly: true },
      { name: "secrets", mountPath: kratosSecretsDirectory, readOnly: true },
      { name: "tmp", mountPath: "/tmp" },
    ],
  };
}

const emailAddress = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** Checks the plain args and throws one ResourceError that lists every problem. */
function validateIdentityProviderArgs(args: IdentityProviderArgs, parent: pulumi.Resource): void {
  const problems: string[] = [];

  for (const key of ["appHost", "adminHost"] as const) {
    if (!isHostname(args[key])) {
      problems.push(`${key} "${args[key]}" is invalid. Use a lower-case hostname such as app.example.com`);
    }
  }
  if (args.appHost === args.adminHost) {
    problems.push(
      `appHost and adminHost are both "${args.appHost}". Use two hosts, because every route on the admin host requires a client certificate`,
    );
  }

  for (const url of args.allowedReturnUrls) {
    const problem = httpsUrlProblem(url);
    if (problem !== undefined) {
      problems.push(`allowedReturnUrls entry "${url}" ${problem}`);
    }
  }
  if (args.defaultReturnUrl !== undefined) {
    const problem = httpsUrlProblem(args.defaultReturnUrl);
    if (problem !== undefined) {
      problems.push(`defaultReturnUrl "${args.defaultReturnUrl}" ${problem}`);
    }
  }

  if (args.cookieDomain !== undefined) {
    const domain = args.cookieDomain.replace(/^\./, "");
    if (!isHostname(domain) || !(args.appHost === domain || args.appHost.endsWith(`.${domain}`))) {
      problems.push(
        `cookieDomain "${args.cookieDomain}" does not cover appHost "${args.appHost}". Use appHost itself or one of its parent domains, or leave cookieDomain unset`,
      );
    }
  }

  if (args.google !== undefined && args.google.clientId.trim() === "") {
    problems.push("google.clientId is empty. Set the OAuth client ID from the Google Cloud console, or leave google unset");
  }
  if (args.mail.kind === "smtp" && !emailAddress.test(args.mail.fromAddress)) {
    problems.push(`mail.fromAddress "${args.mail.fromAddress}" is invalid. Use an email address such as no-reply@example.com`);
  }
  if (args.namespace !== undefined && !isDnsLabel(args.namespace)) {
    problems.push(`namespace "${args.namespace}" is invalid. Use a DNS-1123 label such as identity`);
  }

  if (problems.length > 0) {
    throw new pulumi.ResourceError(`Invalid IdentityProvider args:\n- ${problems.join("\n- ")}`, parent);
  }
}

/** Returns why a string is not an https URL without wildcards, or undefined when it is one. */
function httpsUrlProblem(value: string): string | undefined {
  if (value.includes("*")) {
    return "contains a wildcard. List each URL explicitly";
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "is not a URL. Use an https URL such as https://app.example.com/";
  }
  if (url.protocol !== "https:") {
    return "is not an https URL. Use an https URL such as https://app.example.com/";
  }
  return undefined;
}
