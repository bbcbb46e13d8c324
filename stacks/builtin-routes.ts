import type { Route } from "../components/routes";

/**
 * Routes every stack has, ahead of the application routes from config: the Traefik dashboard
 * and API on the admin host, and the identity routes.
 */
export function builtInRoutes(hosts: { appHost: string; adminHost: string; mailCatcher: boolean }): Route[] {
  // TODO: take the identity routes from the IdentityProvider once it exists.
  const identity: Route[] = [
    { name: "kratos-public", host: hosts.appHost, pathPrefix: "/.ory/kratos/public", access: "public", stripPrefix: true, backend: { kind: "service", namespace: "identity", service: "kratos-public", port: 4433 } },
    { name: "login-ui", host: hosts.appHost, pathPrefix: "/", access: "public", backend: { kind: "service", namespace: "identity", service: "kratos-ui", port: 4455 } },
    ...(hosts.mailCatcher
      ? [{ name: "mail-catcher", host: hosts.adminHost, pathPrefix: "/mail", access: "mtls", backend: { kind: "service", namespace: "identity", service: "mailpit", port: 8025 } } as Route]
      : []),
  ];
  return [
    // The dashboard page loads its data from /api, so both prefixes go to Traefik's api@internal.
    { name: "traefik-dashboard", host: hosts.adminHost, pathPrefix: "/dashboard", access: "mtls", backend: { kind: "traefik-api" } },
    { name: "traefik-api", host: hosts.adminHost, pathPrefix: "/api", access: "mtls", backend: { kind: "traefik-api" } },
    ...identity,
  ];
}
