import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { stringify } from "yaml";
import {
  type AccessRule,
  accessRuleUrlPattern,
  accessRulesFileName,
  buildAccessRules,
  buildOathkeeperConfig,
  buildSigningKeySet,
  configDirectory,
  configFileName,
  keySetDirectory,
  keySetFileName,
  oathkeeperApiPort,
  publicKeySetOf,
} from "./oathkeeper-config";
import type { Platform } from "./platform";
import { type Route, findRouteProblems, isDnsLabel } from "./routes";
import { defaultImages } from "./versions";
import {
  configHash,
  configHashAnnotation,
  resourceRequirements,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  createNamespace,
  zoneSpread,
  createDisruptionBudget,
} from "./workload";

export interface AuthProxyArgs {
  /** Cluster that Oathkeeper runs in. */
  platform: Platform;
  /** The full route list. The AuthProxy makes one access rule per `session` route. */
  routes: Route[];
  /** In-cluster Kratos whoami URL, such as `http://kratos-public.identity.svc.cluster.local:4433/sessions/whoami`. */
  sessionCheckUrl: pulumi.Input<string>;
  /** Kratos session cookie name, such as `ory_kratos_session`. */
  sessionCookieName: string;
  /** Browser URL that starts a Kratos login flow. Browsers without a session are redirected there with `return_to`. */
  loginUrl: string;
  /** `iss` of the ID tokens, a fixed https URL such as `https://app.gateway.localhost/`. */
  issuerUrl: string;
  /** `aud` claim of the ID tokens. */
  audience: string;
  /**
   * Lifetime of an ID token, as a whole number with the unit ns, us, ms, s, m or h.
   * @default "10m"
   */
  tokenTtl?: string;
  /**
   * Oathkeeper container image.
   * @default defaultImages.oathkeeper
   */
  image?: string;
  /**
   * Namespace that the AuthProxy creates for Oathkeeper.
   * @default "auth"
   */
  namespace?: string;
}

/**
 * Name of Oathkeeper's API Service. Traefik's forwardAuth address and the backends' JWKS URL
 * contain it, so it is fixed.
 */
export const oathkeeperApiServiceName = "oathkeeper-api";

/**
 * User and group that Oathkeeper runs as: 65532, the `nonroot` user of the distroless base image
 * in ory/oathkeeper's .docker/Dockerfile-build. The Alpine variant (.docker/Dockerfile-alpine)
 * declares a user by name instead, which `runAsNonRoot` cannot verify, so the uid is set here.
 */
export const oathkeeperUserId = 65532;

// RFC 6265 cookie-name characters (a token in RFC 9110 terms).
const cookieNamePattern = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// The audience goes into a Go template and a JSON string, so braces, quotes and spaces are excluded.
export const audiencePattern = /^[A-Za-z0-9._:/-]{1,256}$/;
// The pattern that `mutators.id_token.config.ttl` must match in Oathkeeper's config schema.
const ttlPattern = /^[0-9]+(ns|us|ms|s|m|h)$/;

/**
 * Ory Oathkeeper in decision mode. Traefik's forwardAuth sends every request to a `session` route
 * to its `/decisions` endpoint first. Oathkeeper checks the Kratos session cookie and responds
 * with an ID token, which Traefik forwards to the backend in `Authorization`.
 */
export class AuthProxy extends pulumi.ComponentResource {
  /** Namespace that contains Oathkeeper. */
  public readonly namespace: pulumi.Output<string>;
  /** Address for Traefik's forwardAuth: the decisions endpoint on the in-cluster API Service. */
  public readonly decisionsUrl: pulumi.Output<string>;
  /** In-cluster URL of the public keys that verify the ID tokens. */
  public readonly jwksUrl: pulumi.Output<string>;
  /** Access rules that Oathkeeper loads, one per `session` route. */
  public readonly accessRules: AccessRule[];
  /** JWKS with the private signing key, as stored in the Kubernetes Secret. Secret. */
  public readonly signingKeySet: pulumi.Output<string>;
  /** JWKS with only the public signing key, as `/.well-known/jwks.json` serves it. */
  public readonly publicKeySet: pulumi.Output<string>;

  constructor(name: string, args: AuthProxyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("apigw:index:AuthProxy", name, {}, opts);
    validateAuthProxyArgs(args, this);

    const namespaceName = args.namespace ?? "auth";
    const tokenTtl = args.tokenTtl ?? "10m";
    const image = args.image ?? defaultImages.oathkeeper;
    const { replicas } = args.platform.availability;
    const inCluster = { parent: this, provider: args.platform.kubernetesProvider };
    const labels = { "app.kubernetes.io/name": "oathkeeper", "app.kubernetes.io/instance": name };

    // The decisions and JWKS URLs contain the namespace name.
    const namespace = createNamespace(`${name}-ns`, namespaceName, inCluster);

    // ECDSA P-256 (ES256) rather than RSA: signatures of 64 bytes keep the Authorization header
    // short, and signing is cheaper on every request that misses the token cache.
    const signingKey = new tls.PrivateKey(`${name}-signing-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
    this.signingKeySet = pulumi.secret(signingKey.privateKeyPem.apply(buildSigningKeySet));
    this.publicKeySet = pulumi.unsecret(this.signingKeySet.apply(publicKeySetOf));

    const keySetSecret = new k8s.core.v1.Secret(
      `${name}-jwks`,
      {
        // The Deployment mounts the Secret by this name.
        metadata: { name: "oathkeeper-jwks", namespace: namespace.metadata.name, labels },
        type: "Opaque",
        stringData: { [keySetFileName]: this.signingKeySet },
      },
      inCluster,
    );

    this.accessRules = buildAccessRules(args.routes);
    const accessRulesJson = JSON.stringify(this.accessRules, undefined, 2);
    const configYaml = pulumi.output(args.sessionCheckUrl).apply((sessionCheckUrl) =>
      stringify(
        buildOathkeeperConfig({
          sessionCheckUrl,
          sessionCookieName: args.sessionCookieName,
          loginUrl: args.loginUrl,
          issuerUrl: args.issuerUrl,
          audience: args.audience,
          tokenTtl,
        }),
      ),
    );

    // The config and the rules hold no secrets. The signing key lives only in the Secret above.
    const configMap = new k8s.core.v1.ConfigMap(
      `${name}-config`,
      {
        // The Deployment mounts the ConfigMap by this name.
        metadata: { name: "oathkeeper-config", namespace: namespace.metadata.name, labels },
        data: { [configFileName]: configYaml, [accessRulesFileName]: accessRulesJson },
      },
      inCluster,
    );

    const podSpec: k8s.types.input.core.v1.PodSpec = {
      // Oathkeeper never calls the Kubernetes API.
      automountServiceAccountToken: false,
      securityContext: restrictedPodSecurityContext(oathkeeperUserId),
      containers: [
        {
          name: "oathkeeper",
          image,
          args: ["serve", "--config", `${configDirectory}/${configFileName}`],
          ports: [{ name: "api", containerPort: oathkeeperApiPort, protocol: "TCP" }],
          securityContext: restrictedContainerSecurityContext(),
          // NOTE: 128 MiB is an estimate that leaves room for the id_token mutator's in-memory
          // token cache. No load test backs it.
          resources: resourceRequirements(50, 128),
          livenessProbe: { httpGet: { path: "/health/alive", port: "api" }, periodSeconds: 10, timeoutSeconds: 2 },
          // Ready only after the first load of the access rules (rule/readiness/rule_readiness.go).
          readinessProbe: { httpGet: { path: "/health/ready", port: "api" }, periodSeconds: 5, timeoutSeconds: 2 },
          volumeMounts: [
            { name: "config", mountPath: configDirectory, readOnly: true },
            { name: "jwks", mountPath: keySetDirectory, readOnly: true },
          ],
        },
      ],
      volumes: [
        { name: "config", configMap: { name: configMap.metadata.name } },
        // Group-readable, because the files belong to root and the pod's fsGroup.
        { name: "jwks", secret: { secretName: keySetSecret.metadata.name, defaultMode: 0o440 } },
      ],
      ...zoneSpread(args.platform, labels),
    };

    new k8s.apps.v1.Deployment(
      `${name}-oathkeeper`,
      {
        metadata: { namespace: namespace.metadata.name, labels },
        spec: {
          replicas,
          selector: { matchLabels: labels },
          template: {
            metadata: {
              labels,
              // Covers the key set too, so a rotated key reaches every pod through a rollout.
              annotations: { [configHashAnnotation]: configHash(configYaml, accessRulesJson, this.signingKeySet) },
            },
            spec: podSpec,
          },
        },
      },
      inCluster,
    );

    createDisruptionBudget(`${name}-oathkeeper`, args.platform, namespace.metadata.name, labels, inCluster);

    // ClusterIP only, and no route leads here, because the decisions endpoint trusts the
    // X-Forwarded-* headers of any caller.
    // NOTE: every pod in the cluster can still reach it. A NetworkPolicy that admits only Traefik
    // (decisions) and the backends (JWKS) would narrow that.
    const service = new k8s.core.v1.Service(
      `${name}-api`,
      {
        metadata: { name: oathkeeperApiServiceName, namespace: namespace.metadata.name, labels },
        spec: {
          type: "ClusterIP",
          selector: labels,
          ports: [{ name: "api", port: oathkeeperApiPort, targetPort: "api", protocol: "TCP" }],
        },
      },
      inCluster,
    );

    const apiOrigin = pulumi.interpolate`http://${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local:${oathkeeperApiPort}`;
    this.namespace = namespace.metadata.name;
    this.decisionsUrl = pulumi.interpolate`${apiOrigin}/decisions`;
    this.jwksUrl = pulumi.interpolate`${apiOrigin}/.well-known/jwks.json`;
    this.registerOutputs({
      namespace: this.namespace,
      decisionsUrl: this.decisionsUrl,
      jwksUrl: this.jwksUrl,
      accessRules: this.accessRules,
      publicKeySet: this.publicKeySet,
    });
  }
}

/**
 * Checks the plain args and throws one ResourceError that lists every problem, so a caller fixes
 * them in one pass.
 */
function validateAuthProxyArgs(args: AuthProxyArgs, parent: pulumi.Resource): void {
  const problems: string[] = [];

  if (!isHttpsUrl(args.issuerUrl)) {
    problems.push(
      `issuerUrl "${args.issuerUrl}" is invalid. Use an absolute https URL such as https://app.example.com/, which backends compare with the iss claim.`,
    );
  }
  if (!isHttpsUrl(args.loginUrl)) {
    problems.push(
      `loginUrl "${args.loginUrl}" is invalid. Use the absolute https URL that starts a Kratos browser login flow, ` +
        "such as https://app.example.com/.ory/kratos/public/self-service/login/browser.",
    );
  }
  if (typeof args.sessionCheckUrl === "string" && !isHttpUrl(args.sessionCheckUrl)) {
    problems.push(
      `sessionCheckUrl "${args.sessionCheckUrl}" is invalid. Use the absolute URL of Kratos's whoami endpoint, ` +
        "such as http://kratos-public.identity.svc.cluster.local:4433/sessions/whoami.",
    );
  }
  if (!cookieNamePattern.test(args.sessionCookieName)) {
    problems.push(`sessionCookieName "${args.sessionCookieName}" is invalid. Use the Kratos session cookie name, such as ory_kratos_session.`);
  }
  if (!audiencePattern.test(args.audience)) {
    problems.push(`audience "${args.audience}" is invalid. Use 1 to 256 letters, digits or the characters . _ : / -, such as apigw.`);
  }
  if (args.tokenTtl !== undefined && !ttlPattern.test(args.tokenTtl)) {
    problems.push(`tokenTtl "${args.tokenTtl}" is invalid. Use a whole number with the unit ns, us, ms, s, m or h, such as 10m.`);
  }
  if (args.namespace !== undefined && !isDnsLabel(args.namespace)) {
    problems.push(`namespace "${args.namespace}" is invalid. Use a DNS-1123 label such as auth.`);
  }

  // No session route is allowed: a new stack may start with public routes only, and Oathkeeper
  // then has an empty rule file and denies every decision request.
  const sessionRoutes = args.routes.filter((route) => route.access === "session");
  for (const route of sessionRoutes) {
    try {
      accessRuleUrlPattern(route);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  problems.push(...findRouteProblems(args.routes));

  if (problems.length > 0) {
    throw new pulumi.ResourceError(`Invalid AuthProxy args:\n- ${problems.join("\n- ")}`, parent);
  }
}

function isHttpsUrl(value: string): boolean {
  return parsedUrl(value)?.protocol === "https:";
}

function isHttpUrl(value: string): boolean {
  const protocol = parsedUrl(value)?.protocol;
  return protocol === "http:" || protocol === "https:";
}

function parsedUrl(value: string): URL | undefined {
  try {
    const url = new URL(value);
    return url.hostname === "" ? undefined : url;
  } catch {
    return undefined;
  }
}
