/**
 * Pure builders for the Gateway: Traefik's static configuration (command-line arguments) and
 * the specs of the Traefik custom resources. Facts about Traefik cite the file in the
 * traefik/traefik repository they come from.
 */
import * as crypto from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { type Route, traefikMatchRule } from "./routes";

/** Container ports. Traefik runs as a non-root user, so it listens above 1024. */
export const traefikPorts = {
  /** Plain HTTP, which only redirects to HTTPS. */
  web: 8000,
  /** HTTPS for every route. */
  websecure: 8443,
  /** `/ping` for probes and `/metrics`. The Service does not expose it. */
  traefik: 9000,
} as const;

/** Service ports that clients and load balancers connect to. */
export const servicePorts = { http: 80, https: 443 } as const;

/** Name of the TLSOption that requires a staff client certificate. */
export const mtlsTlsOptionName = "mtls";

/** Name of the forwardAuth Middleware that sends every `session` request to Oathkeeper. */
export const forwardAuthMiddlewareName = "forward-auth";

/**
 * Name of the TLSOption and TLSStore that Traefik applies when a router names none
 * (buildTLSOptions and buildTLSStores in pkg/provider/kubernetes/crd/kubernetes.go).
 */
export const defaultTlsResourceName = "default";

/**
 * Label that every Traefik custom resource of a Gateway carries. Traefik reads only the custom
 * resources that match it, so an unlabeled object in its namespace is ignored.
 */
export const gatewayLabelKey = "apigw.dev/gateway";

/** Settings that decide Traefik's static configuration. */
export interface TraefikStaticSettings {
  /** Namespace that contains Traefik and all of its custom resources. */
  readonly namespace: string;
  /** Source ranges whose PROXY protocol header Traefik trusts, or undefined for none. */
  readonly proxyProtocolTrustedIPs?: readonly string[];
}

/**
 * Builds Traefik's command-line arguments, which are its whole static configuration.
 *
 * NOTE: the keys were checked against Traefik's docs, source and release notes, never against a
 * running Traefik. Traefik refuses to start on a key it does not know, so a typo here takes the
 * gateway down at deploy time.
 */
export function traefikArguments(settings: TraefikStaticSettings): string[] {
  const entryPointNames = Object.keys(traefikPorts) as Array<keyof typeof traefikPorts>;

  const args = [
    // No calls from the cluster to Traefik Labs.
    "--global.checkNewVersion=false",
    "--global.sendAnonymousUsage=false",
    "--log.format=json",
    "--log.level=INFO",
    "--accesslog=true",
    "--accesslog.format=json",
    // Request headers carry session cookies and ID tokens, so access logs never record them.
    // NOTE: RequestPath still includes the query string, which may carry a Kratos recovery or
    // verification code. Newer Traefik releases document an option to drop query parameters from
    // the access log; it was not confirmed for v3.7.13.
    "--accesslog.fields.headers.defaultMode=drop",
    // The dashboard is reached only through an mtls IngressRoute to api@internal. `api.insecure`
    // would serve it without authentication on the traefik entry point.
    "--api.dashboard=true",
    "--ping=true",
    "--ping.entryPoint=traefik",
    "--metrics.prometheus=true",
    "--metrics.prometheus.entryPoint=traefik",
  ];

  for (const entryPoint of entryPointNames) {
    args.push(`--entryPoints.${entryPoint}.address=:${traefikPorts[entryPoint]}`);
    // Many backends read `X_Auth`, `X.Auth` and `X-Auth` as one header, but Traefik's middlewares
    // only overwrite the dash form, so a client could smuggle a value past them. `reject` responds
    // with 400 to any header name with a character other than a letter, digit or dash. The option exists
    // from v3.7.12 and replaces `underscoreHeadersStrategy` (docs/content/security/header-aliases.md).
    args.push(`--entryPoints.${entryPoint}.http.aliasHeadersStrategy=reject`);
  }

  // Redirect to the external port 443, not to the websecure entry point, because its port 8443 is
  // only the container port. `to` takes an entry point name or a port
  // (docs/content/reference/install-configuration/entrypoints.md).
  args.push(
    `--entryPoints.web.http.redirections.entryPoint.to=:${servicePorts.https}`,
    "--entryPoints.web.http.redirections.entryPoint.scheme=https",
    "--entryPoints.web.http.redirections.entryPoint.permanent=true",
  );

  // Since v3.6.7 Traefik allows these encoded characters in paths by default. A backend that decodes
  // them could see a different path than the one Traefik and Oathkeeper matched, so reject them
  // (docs/content/security/request-path.md).
  // NOTE: a backend that needs one of them in its paths, such as `%2F` inside a path segment,
  // needs the matching option set back to true.
  for (const option of [
    "allowEncodedSlash",
    "allowEncodedBackSlash",
    "allowEncodedNullCharacter",
    "allowEncodedSemicolon",
    "allowEncodedPercent",
    "allowEncodedQuestionMark",
    "allowEncodedHash",
  ]) {
    args.push(`--entryPoints.websecure.http.encodedCharacters.${option}=false`);
  }

  // Traefik trusts client-sent X-Forwarded-* headers only from forwardedHeaders.trustedIPs or with
  // forwardedHeaders.insecure (entrypoints.md), so neither is set. PROXY protocol is the one way a
  // load balancer passes the client address.
  if (settings.proxyProtocolTrustedIPs !== undefined) {
    const ranges = settings.proxyProtocolTrustedIPs.join(",");
    args.push(`--entryPoints.web.proxyProtocol.trustedIPs=${ranges}`, `--entryPoints.websecure.proxyProtocol.trustedIPs=${ranges}`);
  }

  args.push(
    "--providers.kubernetescrd=true",
    // Traefik reads routing objects, Services and Secrets only in its own namespace, so it never
    // has read access to the Secrets of the identity or application namespaces. Backends in
    // other namespaces are reached through ExternalName Services there (see backendAlias).
    `--providers.kubernetescrd.namespaces=${settings.namespace}`,
    "--providers.kubernetescrd.allowExternalNameServices=true",
    `--providers.kubernetescrd.labelSelector=${gatewayLabelKey}=${settings.namespace}`,
    // No Node or IngressClass lookups, so Traefik needs no cluster-wide read access.
    "--providers.kubernetescrd.disableClusterScopeResources=true",
  );

  return args;
}

/** A Service in another namespace that a route sends traffic to. */
export interface BackendService {
  readonly namespace: string;
  readonly service: string;
}

/**
 * Returns the name of the ExternalName Service in the gateway namespace that stands for a backend
 * Service in another namespace. Both parts are DNS-1123 labels, and a name longer than 63
 * characters is shortened with a hash so two backends never share one.
 */
export function backendAlias(backend: BackendService): string {
  // Service names must start with a letter, and a namespace such as "2fa" starts with a digit.
  const name = /^[a-z]/.test(backend.namespace) ? `${backend.namespace}-${backend.service}` : `ns-${backend.namespace}-${backend.service}`;
  if (name.length <= 63) {
    return name;
  }
  const digest = crypto.createHash("sha256").update(name).digest("hex").slice(0, 8);
  return `${name.slice(0, 54).replace(/-+$/, "")}-${digest}`;
}

/** Returns the cluster DNS name of a backend Service, which its ExternalName alias points to. */
export function backendDnsName(backend: BackendService): string {
  return `${backend.service}.${backend.namespace}.svc.cluster.local`;
}

/** Returns the name of the StripPrefix Middleware of a route. */
export function stripPrefixMiddlewareName(route: Pick<Route, "name">): string {
  return `strip-prefix-${route.name}`;
}

/** A reference from an IngressRoute to a Middleware. */
interface MiddlewareReference {
  name: string;
  namespace: string;
}

/**
 * Builds the spec of a route's IngressRoute.
 *
 * `priority` stays unset, so Traefik orders routers by rule length, which `routeForRequest` in
 * routes.ts relies on.
 */
export function ingressRouteSpec(route: Route, namespace: string): Record<string, unknown> {
  const middlewares: MiddlewareReference[] = [];
  // forwardAuth runs before StripPrefix, so Oathkeeper receives the full path its rules match.
  if (route.access === "session") {
    middlewares.push({ name: forwardAuthMiddlewareName, namespace });
  }
  if (route.stripPrefix === true) {
    middlewares.push({ name: stripPrefixMiddlewareName(route), namespace });
  }

  const service =
    route.backend.kind === "service"
      ? { kind: "Service", name: backendAlias(route.backend), port: route.backend.port }
      : { kind: "TraefikService", name: "api@internal" };

  const routeRule: Record<string, unknown> = { kind: "Rule", match: traefikMatchRule(route), services: [service] };
  if (middlewares.length > 0) {
    routeRule.middlewares = middlewares;
  }

  return {
    entryPoints: ["websecure"],
    routes: [routeRule],
    // `tls: {}` serves the default certificate from the TLSStore named `default`.
    tls: route.access === "mtls" ? { options: { name: mtlsTlsOptionName, namespace } } : {},
  };
}

/** Builds the spec of the StripPrefix Middleware for a route with `stripPrefix: true`. */
export function stripPrefixMiddlewareSpec(route: Pick<Route, "pathPrefix">): Record<string, unknown> {
  return { stripPrefix: { prefixes: [route.pathPrefix] } };
}

/**
 * Limit for the body of an Oathkeeper decision response, in bytes. Oathkeeper sends a short JSON
 * error or an empty body, so 1 MiB is an estimate with wide margin that still stops a runaway one.
 */
export const forwardAuthMaxResponseBodyBytes = 1024 * 1024;

/** Builds the spec of the forwardAuth Middleware that sends every session request to Oathkeeper. */
export function forwardAuthMiddlewareSpec(address: pulumi.Input<string>): Record<string, unknown> {
  return {
    forwardAuth: {
      address,
      // Traefik deletes the client's Authorization header and copies Oathkeeper's in its place, even
      // when Oathkeeper sends none (pkg/middlewares/auth/forward.go), so a client cannot
      // forge the ID token and no separate header-removing middleware is needed.
      authResponseHeaders: ["Authorization"],
      // false makes Traefik set X-Forwarded-Method, -Host, -Uri and -Proto from the request it
      // received, so a client cannot make Oathkeeper judge a URL other than the one routed. Set
      // explicitly because Traefik warns when it is unset (docs/content/migrate/v3.md, v3.6.14).
      trustForwardHeader: false,
      maxResponseBodySize: forwardAuthMaxResponseBodyBytes,
    },
  };
}

/**
 * Key of the CA certificate in the client CA Secret. getCABlocks in
 * pkg/provider/kubernetes/crd/kubernetes.go reads `tls.ca` in old and new v3 sources, and only
 * newer ones also accept `ca.crt`.
 */
export const clientCaSecretKey = "tls.ca";

/** Builds the spec of a TLSOption with TLS 1.2 as the minimum version. */
export function tlsOptionSpec(clientCaSecretName?: string): Record<string, unknown> {
  const spec: Record<string, unknown> = { minVersion: "VersionTLS12" };
  if (clientCaSecretName !== undefined) {
    spec.clientAuth = { clientAuthType: "RequireAndVerifyClientCert", secretNames: [clientCaSecretName] };
  }
  return spec;
}
