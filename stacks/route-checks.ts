/**
 * Checks that involve the route list as a whole: application routes against the built-in ones,
 * and session routes against the reach of the Kratos session cookie.
 */
import { kratosPublicPathPrefix, selfServiceUiPaths } from "../components/kratos-config";
import { pathIsUnderPrefix, type Route } from "../components/routes";
import { backendAlias } from "../components/traefik-config";

/** Checks whether `host` is `domain` or a subdomain of it, as cookie domain matching does. */
export function hostIsCovered(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}

/** Lists the app host and every host that carries a session route, as https origins with a trailing slash. */
export function defaultReturnUrls(appHost: string, routes: readonly Route[]): string[] {
  const hosts = new Set([appHost, ...routes.filter((route) => route.access === "session").map((route) => route.host)]);
  return [...hosts].map((host) => `https://${host}/`);
}

/**
 * Checks that every session route sits on a host the Kratos session cookie reaches. The browser
 * sends the cookie only to the host that set it, unless the cookie carries a Domain attribute, so
 * a session route on another host would never see a session.
 */
export function sessionCookieScopeProblems(applicationRoutes: readonly Route[], appHost: string, cookieDomain: string | undefined): string[] {
  const problems: string[] = [];
  for (const route of applicationRoutes.filter((candidate) => candidate.access === "session")) {
    const covered = cookieDomain === undefined ? route.host === appHost : hostIsCovered(route.host, cookieDomain);
    if (!covered) {
      problems.push(
        `apigw:routes entry "${route.name}": session route on host "${route.host}" would never receive the Kratos session cookie, ` +
          `which is scoped to ${cookieDomain === undefined ? `"${appHost}"` : `domain "${cookieDomain}"`}. ` +
          `Move the route to "${appHost}" or set apigw:cookieDomain to a domain that covers both hosts`,
      );
    }
  }
  return problems;
}

/** Namespaces the program deploys its own services into. Application routes may not point there. */
const programNamespaces = new Set(["gateway", "identity", "auth"]);

/**
 * Checks the application routes against the built-in ones. An application route must not reuse a
 * built-in name or point into the program's own namespaces, which only the built-in routes reach.
 * That keeps the Kratos admin API, the mail catcher and Oathkeeper's API off the public hosts. Its
 * prefix must not take over the login pages or Kratos's public API, and no two backends may share
 * one alias Service.
 */
export function applicationRouteProblems(applicationRoutes: readonly Route[], builtIn: readonly Route[], appHost: string): string[] {
  const problems: string[] = [];
  const builtInNames = new Set(builtIn.map((route) => route.name));
  const reservedPrefixes = [kratosPublicPathPrefix, "/.ory", ...Object.values(selfServiceUiPaths)];

  for (const route of applicationRoutes) {
    const entry = `apigw:routes entry "${route.name}"`;
    if (builtInNames.has(route.name)) {
      problems.push(`${entry}: the name is taken by a built-in route. Choose another name`);
    }
    if (route.backend.kind === "service" && programNamespaces.has(route.backend.namespace)) {
      problems.push(
        `${entry}: backend namespace "${route.backend.namespace}" belongs to the program's own services, which are routed only by the built-in routes. ` +
          "Deploy the backend in a namespace of its own",
      );
    }
    if (route.host === appHost && route.pathPrefix !== "/") {
      const shadowed = reservedPrefixes.find((prefix) => pathIsUnderPrefix(route.pathPrefix, prefix) || pathIsUnderPrefix(prefix, route.pathPrefix));
      if (shadowed !== undefined) {
        problems.push(`${entry}: path prefix "${route.pathPrefix}" overlaps "${shadowed}", which the login UI or Kratos serves on ${appHost}. Use another prefix`);
      }
    }
  }

  const backendsByAlias = new Map<string, string>();
  for (const route of [...builtIn, ...applicationRoutes]) {
    if (route.backend.kind !== "service") {
      continue;
    }
    const alias = backendAlias(route.backend);
    const backend = `${route.backend.namespace}/${route.backend.service}`;
    const previous = backendsByAlias.get(alias);
    if (previous !== undefined && previous !== backend) {
      problems.push(
        `apigw:routes entry "${route.name}": backend ${backend} and backend ${previous} would share the gateway alias Service "${alias}". ` +
          "Rename one of the Services or namespaces",
      );
    }
    backendsByAlias.set(alias, backend);
  }
  return problems;
}
