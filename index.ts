/**
 * The API gateway pattern as one Pulumi program: Traefik in front, Kratos for identities,
 * Oathkeeper turning sessions into ID tokens, and mTLS for staff-only hosts. The stack config
 * picks the platform (kind or EKS), and the components never see which one it is.
 */
import * as pulumi from "@pulumi/pulumi";
import { AuthProxy } from "./components/auth-proxy";
import { Gateway } from "./components/gateway";
import { IdentityProvider } from "./components/identity-provider";
import { LocalCertificate } from "./components/local-certificate";
import { MtlsCA } from "./components/mtls-ca";
import { SampleApps } from "./components/sample-apps";
import { loadConfig } from "./stacks/config";
import { createPlatform } from "./stacks/platforms";

const config = loadConfig();
const { platform, publishHostnames, outputs: platformOutputs } = createPlatform(config);

const staffCa = new MtlsCA("staff", {
  staff: config.staff,
  clientValidityHours: config.mtls.clientValidityHours,
  caValidityHours: config.mtls.caValidityHours,
});

const identity = new IdentityProvider("identity", {
  platform,
  appHost: config.appHost,
  adminHost: config.adminHost,
  allowedReturnUrls: config.identity.allowedReturnUrls,
  ...(config.identity.cookieDomain !== undefined ? { cookieDomain: config.identity.cookieDomain } : {}),
  ...(config.identity.google !== undefined ? { google: config.identity.google } : {}),
  mail: config.identity.mail,
  images: config.images,
});

const authProxy = new AuthProxy("auth", {
  platform,
  routes: config.routes,
  sessionCheckUrl: identity.sessionCheckUrl,
  sessionCookieName: identity.sessionCookieName,
  loginUrl: identity.browserLoginUrl,
  // Backends check `iss` against this fixed URL, so it must not depend on which host a request used.
  issuerUrl: `https://${config.appHost}/`,
  audience: config.idToken.audience,
  tokenTtl: config.idToken.ttl,
  image: config.images.oathkeeper,
});

const hostnames = [...new Set(config.routes.map((route) => route.host))];

// No public CA issues certificates for .localhost hosts, so on kind the program signs one with a
// development CA of its own that the user trusts once.
const localCertificate =
  platform.publicCertificate.kind === "issued-by-program" ? new LocalCertificate("public", { dnsNames: hostnames }) : undefined;

const gateway = new Gateway("gateway", {
  platform,
  routes: config.routes,
  mtlsCaCertificatePem: staffCa.caCertificatePem,
  forwardAuthUrl: authProxy.decisionsUrl,
  ...(localCertificate !== undefined
    ? { defaultCertificate: { certificatePem: localCertificate.certificatePem, privateKeyPem: localCertificate.privateKeyPem } }
    : {}),
  image: config.images.traefik,
});

publishHostnames?.(hostnames, gateway.loadBalancerHostname);

if (config.sampleApps) {
  new SampleApps("samples", { platform, images: config.images });
}

const routeUrl = (host: string, pathPrefix: string): string => `https://${host}${pathPrefix === "/" ? "/" : `${pathPrefix}/`}`;

/** Browser URL of the self-service UI, where users register and log in. */
export const loginUrl = `https://${config.appHost}/login`;
/** URL of every route, keyed by route name. */
export const routeUrls = Object.fromEntries(config.routes.map((route) => [route.name, routeUrl(route.host, route.pathPrefix)]));
/** Staff CA certificate. Traefik requires client certificates signed by it on the admin host. */
export const staffCaCertificatePem = staffCa.caCertificatePem;
/** Client certificates and keys of every staff member, keyed by id. Secret. */
export const staffCertificates = staffCa.clientCertificates;
/** How to turn a staff certificate into a file a browser imports. */
export const staffCertificateCommands = Object.fromEntries(
  config.staff.map((person) => [
    person.id,
    [
      `pulumi stack output --show-secrets staffCertificates | jq -r '.["${person.id}"].certificatePem' > ${person.id}.crt`,
      `pulumi stack output --show-secrets staffCertificates | jq -r '.["${person.id}"].privateKeyPem' > ${person.id}.key`,
      `openssl pkcs12 -export -in ${person.id}.crt -inkey ${person.id}.key -out ${person.id}.p12 -name "${person.name}"`,
    ].join(" && "),
  ]),
);
/** Development CA that signed the public certificate on kind. Trust it in the browser once. */
export const localCaCertificatePem: pulumi.Output<string> | undefined = localCertificate?.caCertificatePem;
/** JWKS URL inside the cluster, where backends fetch the keys that verify ID tokens. */
export const jwksUrl = authProxy.jwksUrl;
/** Facts about the cluster the platform built, such as the EKS cluster name. Empty on kind. */
export const cluster = platformOutputs;
/** Issuer (`iss`) and audience (`aud`) that backends check in every ID token. */
export const idToken = { issuer: `https://${config.appHost}/`, audience: config.idToken.audience };
