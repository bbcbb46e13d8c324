import { identityRoutes } from "../components/identity-provider";
import type { Route } from "../components/routes";

/**
 * Routes every stack has, ahead of the application routes from config: the Traefik dashboard
 * and API on the admin host, and the routes the IdentityProvider needs.
 */
export function builtInRoutes(hosts: { appHost: string; adminHost: string; mailCatcher: boolean }): Route[] {
  return [
    // The dashboard page loads its data from /api, so both prefixes go to Traefik's api@internal.
    { name: "traefik-dashboard", host: hosts.adminHost, pathPrefix: "/dashboard", access: "mtls", backend: { kind: "traefik-api" } },
    { name: "traefik-api", host: hosts.adminHost, pathPrefix: "/api", access: "mtls", backend: { kind: "traefik-api" } },
    ...identityRoutes(hosts),
  ];
}
