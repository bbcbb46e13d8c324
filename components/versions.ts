/**
 * Pinned container images and upstream artifacts. Every entry names where its version came from,
 * so an upgrade is one reviewed change here. Stack config may override the image tags.
 */

export interface ImageVersions {
  /** Traefik Proxy, the API gateway. */
  readonly traefik: string;
  /** Ory Kratos, the identity provider. */
  readonly kratos: string;
  /** Ory's reference self-service UI for Kratos (login, registration, recovery, settings). */
  readonly kratosSelfServiceUi: string;
  /** Ory Oathkeeper, the decision API behind Traefik's forwardAuth. */
  readonly oathkeeper: string;
  /** Postgres for Kratos when the platform runs the database in the cluster. */
  readonly postgres: string;
  /** Mail catcher that receives Kratos's courier mail on development stacks. */
  readonly mailCatcher: string;
  /** Static file server for the sample single-page app. */
  readonly staticSite: string;
  /** Sample API that echoes request headers, so the forwarded ID token is visible. */
  readonly echoApi: string;
}

export const defaultImages: ImageVersions = {
  // Traefik v3.7.13, the newest v3.7 patch release in Traefik's release notes. The Gateway needs at
  // least v3.7.12 for the aliasHeadersStrategy entry point option. Its CRDs are applied from the
  // same tag, see traefikCrdUrl below.
  traefik: "docker.io/library/traefik:v3.7.13",
  // Kratos and Oathkeeper v26.2.0, the release whose config schemas the tests validate against.
  kratos: "docker.io/oryd/kratos:v26.2.0",
  // The self-service UI tag that matches Kratos v26.2.0. NOTE: the tag comes from public projects
  // that pin it next to oryd/kratos:v26.2.0, and was not checked against Docker Hub itself.
  kratosSelfServiceUi: "docker.io/oryd/kratos-selfservice-ui-node:v26.2.0",
  oathkeeper: "docker.io/oryd/oathkeeper:v26.2.0",
  // PostgreSQL 17.6, Alpine variant of the official image. Postgres runs as the image's uid 70.
  postgres: "docker.io/library/postgres:17.6-alpine",
  // Mailpit v1.27.7, a release tag of axllent/mailpit. The IdentityProvider sets its MP_WEBROOT
  // and MP_DISABLE_VERSION_CHECK variables.
  mailCatcher: "docker.io/axllent/mailpit:v1.27.7",
  // nginx 1.28.0 from the stable branch of nginx/docker-nginx-unprivileged. SampleApps ships its own
  // nginx.conf, so the image's default config does not matter.
  staticSite: "docker.io/nginxinc/nginx-unprivileged:1.28.0-alpine",
  // traefik/whoami v1.11.0, a release tag of traefik/whoami. SampleApps relies on its --port flag and
  // its /health endpoint (app.go).
  echoApi: "docker.io/traefik/whoami:v1.11.0",
};

/**
 * Tag of the Traefik release whose CustomResourceDefinitions the cluster gets.
 *
 * NOTE: the tests validate the Traefik custom resources against the CRDs of v3.7.9, the pinned
 * copy they have. A field added to the CRDs between v3.7.9 and this tag would be rejected there,
 * and a field removed would pass.
 */
export const traefikCrdRelease = "v3.7.13";

/** Upstream URL of Traefik's CRD bundle for {@link traefikCrdRelease}, applied as is. */
export const traefikCrdUrl =
  `https://raw.githubusercontent.com/traefik/traefik/${traefikCrdRelease}` +
  "/docs/content/reference/dynamic-configuration/kubernetes-crd-definition-v1.yml";
