/**
 * The route model: one list that both the Gateway (Traefik IngressRoutes) and the AuthProxy
 * (Oathkeeper access rules) are built from, and the checks that keep the two consistent.
 */

/**
 * Access level of a route.
 *
 * - `public`: anyone, no authentication at the gateway.
 * - `session`: Traefik calls Oathkeeper, which needs a valid Kratos session and forwards an ID token.
 * - `mtls`: staff only. The host requires a client certificate signed by the staff CA.
 */
export type RouteAccess = "public" | "session" | "mtls";

export const routeAccessLevels: readonly RouteAccess[] = ["public", "session", "mtls"];

/** A Kubernetes Service that receives the route's traffic. */
export interface ServiceBackend {
  readonly kind: "service";
  /** Namespace of the Service. */
  readonly namespace: string;
  /** Name of the Service. */
  readonly service: string;
  /** Service port number. */
  readonly port: number;
}

/** Traefik's own API and dashboard, served by Traefik itself. */
export interface TraefikApiBackend {
  readonly kind: "traefik-api";
}

export type RouteBackend = ServiceBackend | TraefikApiBackend;

export interface Route {
  /** Unique name, a DNS-1123 label. It names the IngressRoute and the access rule. */
  readonly name: string;
  /** Hostname that the browser or API client uses, such as `app.example.com`. */
  readonly host: string;
  /**
   * Path prefix matched on whole segments: `/api` matches `/api` and `/api/x`, not `/apis`.
   * Starts with `/` and has no trailing `/`, except the root prefix `/` itself.
   */
  readonly pathPrefix: string;
  /** Destination of matching requests. */
  readonly backend: RouteBackend;
  /** Access level: who may reach the route. */
  readonly access: RouteAccess;
  /**
   * Remove the path prefix before forwarding, for backends that serve from `/`.
   * @default false
   */
  readonly stripPrefix?: boolean;
}

/**
 * Ports that must never be reachable from outside the cluster: the Kratos admin API and the
 * Oathkeeper API (decisions and JWKS). Config checks and tests both use this list.
 */
export const internalOnlyPorts: readonly number[] = [4434, 4456];

const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const hostname = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/;
// Characters that Traefik's rule parser and Oathkeeper's glob and regexp matchers treat literally.
const pathSegment = /^[A-Za-z0-9._~-]+$/;

/** Checks whether a string is a valid DNS-1123 label, as Kubernetes object names require. */
export function isDnsLabel(value: string): boolean {
  return dnsLabel.test(value);
}

/**
 * Checks whether a string is a lower-case hostname with at least two labels. A dotted IP address
 * is not one, because its last label has no letter.
 */
export function isHostname(value: string): boolean {
  return hostname.test(value) && /[a-z]/.test(value.slice(value.lastIndexOf(".") + 1));
}

/**
 * Checks whether a string is a DNS-1035 label, as Kubernetes Service names require: like a
 * DNS-1123 label, but starting with a letter.
 */
export function isServiceName(value: string): boolean {
  return isDnsLabel(value) && /^[a-z]/.test(value);
}

/** Checks whether a path prefix is `/` or `/segment(/segment)*` with literal characters only. */
export function isPathPrefix(value: string): boolean {
  if (value === "/") {
    return true;
  }
  if (!value.startsWith("/") || value.endsWith("/")) {
    return false;
  }
  return value
    .slice(1)
    .split("/")
    .every((segment) => pathSegment.test(segment) && segment !== "." && segment !== "..");
}

/**
 * Checks whether a request path falls under a prefix with whole-segment matching, which is the
 * matching the Traefik rule from {@link traefikMatchRule} performs.
 */
export function pathIsUnderPrefix(path: string, prefix: string): boolean {
  if (prefix === "/") {
    return path.startsWith("/");
  }
  return path === prefix || path.startsWith(`${prefix}/`);
}

/**
 * Builds the Traefik v3 rule for a route: the literal host and the path prefix on whole segments.
 *
 * Traefik's `PathPrefix` alone is a plain string prefix, so `PathPrefix(`/api`)` would also match
 * `/apis`. Matching `Path` or `PathPrefix` with a trailing slash keeps Traefik and Oathkeeper in
 * agreement on which requests belong to a route.
 */
export function traefikMatchRule(route: Pick<Route, "host" | "pathPrefix">): string {
  const host = `Host(\`${route.host}\`)`;
  if (route.pathPrefix === "/") {
    return `${host} && PathPrefix(\`/\`)`;
  }
  return `${host} && (Path(\`${route.pathPrefix}\`) || PathPrefix(\`${route.pathPrefix}/\`))`;
}

/**
 * Picks the route Traefik sends a request to, or undefined when none matches.
 *
 * Traefik orders routers by priority, which defaults to the length of the rule, so among the
 * routes on one host the longest path prefix wins.
 */
export function routeForRequest(routes: readonly Route[], host: string, path: string): Route | undefined {
  const candidates = routes.filter(
    (route) => route.host === host.toLowerCase() && pathIsUnderPrefix(path, route.pathPrefix),
  );
  candidates.sort((a, b) => traefikMatchRule(b).length - traefikMatchRule(a).length);
  return candidates[0];
}

/**
 * Checks a route list for conflicts and returns one message per problem, each naming the routes
 * involved and the fix. An empty list means the routes are consistent.
 */
export function findRouteProblems(routes: readonly Route[]): string[] {
  const problems: string[] = [];

  const seenNames = new Set<string>();
  const seenMatches = new Map<string, string>();
  for (const route of routes) {
    if (seenNames.has(route.name)) {
      problems.push(`route name "${route.name}" appears twice. Give every route a unique name.`);
    }
    seenNames.add(route.name);

    const match = `${route.host}${route.pathPrefix}`;
    const previous = seenMatches.get(match);
    if (previous !== undefined) {
      problems.push(
        `routes "${previous}" and "${route.name}" both match host "${route.host}" and path prefix "${route.pathPrefix}". ` +
          `Remove one or change its pathPrefix.`,
      );
    }
    seenMatches.set(match, route.name);

    if (route.backend.kind === "service" && internalOnlyPorts.includes(route.backend.port)) {
      problems.push(
        `route "${route.name}" sends traffic to port ${route.backend.port}, which is the Kratos admin API or the Oathkeeper API ` +
          `and must stay inside the cluster. Remove the route.`,
      );
    }
  }

  // Traefik applies the TLS options of the first router it finds for a host, and falls back to the
  // default options for the others, so an mTLS host must carry nothing but mTLS routes.
  const accessByHost = new Map<string, Route[]>();
  for (const route of routes) {
    accessByHost.set(route.host, [...(accessByHost.get(route.host) ?? []), route]);
  }
  for (const [host, hostRoutes] of accessByHost) {
    const mtls = hostRoutes.filter((route) => route.access === "mtls");
    const other = hostRoutes.filter((route) => route.access !== "mtls");
    if (mtls.length > 0 && other.length > 0) {
      problems.push(
        `host "${host}" carries mtls route(s) ${quoteNames(mtls)} and non-mtls route(s) ${quoteNames(other)}. ` +
          `Move the mtls routes to a host of their own, because Traefik would serve some of them without a client certificate.`,
      );
    }
  }

  // Oathkeeper rejects a request that matches more than one access rule, so session routes on one
  // host must not nest. A public route may nest inside a session route, because Traefik sends its
  // requests to the longer prefix and never calls Oathkeeper for them.
  const sessionRoutes = routes.filter((route) => route.access === "session");
  for (const [index, outer] of sessionRoutes.entries()) {
    for (const inner of sessionRoutes.slice(index + 1)) {
      if (outer.host !== inner.host) {
        continue;
      }
      if (pathIsUnderPrefix(inner.pathPrefix, outer.pathPrefix) || pathIsUnderPrefix(outer.pathPrefix, inner.pathPrefix)) {
        problems.push(
          `session routes "${outer.name}" (${outer.pathPrefix}) and "${inner.name}" (${inner.pathPrefix}) on host "${outer.host}" overlap, ` +
            `so Oathkeeper would find two access rules for one request. Merge them into one route or give them disjoint prefixes.`,
        );
      }
    }
  }

  return problems;
}

function quoteNames(routes: readonly Route[]): string {
  return routes.map((route) => `"${route.name}"`).join(", ");
}
