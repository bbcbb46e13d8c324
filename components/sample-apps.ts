import * as crypto from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Platform } from "./platform";
import { isDnsLabel, isPathPrefix } from "./routes";
import { defaultImages } from "./versions";
import {
  configHash,
  configHashAnnotation,
  resourceRequirements,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  createNamespace,
  zoneSpread,
} from "./workload";

/** Paths on the page's own host that the sample page links to or calls. */
export interface SamplePagePaths {
  /** Login page of the self-service UI. */
  readonly login: string;
  /** Registration page of the self-service UI. */
  readonly registration: string;
  /** Kratos's `whoami` endpoint, which returns the session or 401. */
  readonly sessionCheck: string;
  /** Session route to the echo API. */
  readonly echoApi: string;
}

/** The paths the local stack routes: UI at `/`, Kratos public API at `/.ory/kratos/public`. */
export const defaultSamplePagePaths: SamplePagePaths = {
  login: "/login",
  registration: "/registration",
  sessionCheck: "/.ory/kratos/public/sessions/whoami",
  echoApi: "/api/echo",
};

export interface SampleAppsArgs {
  /** Cluster that the sample apps run in. */
  platform: Platform;
  /**
   * Namespace to create for the apps. Routes name it, such as `apps/echo:8080`.
   * @default "apps"
   */
  namespace?: string;
  /**
   * Images of the static file server and the echo API.
   * @default defaultImages.staticSite and defaultImages.echoApi from components/versions.ts
   */
  images?: { staticSite?: string; echoApi?: string };
  /**
   * Paths the page links to and calls, each on the page's own host.
   * @default defaultSamplePagePaths
   */
  pagePaths?: Partial<SamplePagePaths>;
}

/** A Service that a route can send traffic to. */
export interface SampleService {
  readonly name: string;
  readonly port: number;
}

/** Port that both apps listen on and that both Services expose. */
const servicePort = 8080;
// User and group 101 are the nginx user that the nginx-unprivileged image creates and runs as.
const nginxUserId = 101;
// whoami is a static binary in a scratch image with no user of its own, so any unused id works.
const echoUserId = 65532;

/**
 * Sample workloads behind the gateway: a single-page app that shows the login state and calls the
 * echo API, and the echo API (traefik/whoami), which returns the request headers it received,
 * including the ID token that Oathkeeper forwards.
 */
export class SampleApps extends pulumi.ComponentResource {
  /** Namespace that contains the apps. */
  public readonly namespace: pulumi.Output<string>;
  /** Services for routes: `spa` serves the page and `echo` the echo API. */
  public readonly services: { readonly spa: SampleService; readonly echo: SampleService };

  constructor(name: string, args: SampleAppsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("apigw:index:SampleApps", name, {}, opts);

    const namespaceName = args.namespace ?? "apps";
    const pagePaths = { ...defaultSamplePagePaths, ...args.pagePaths };
    const staticSiteImage = args.images?.staticSite ?? defaultImages.staticSite;
    const echoApiImage = args.images?.echoApi ?? defaultImages.echoApi;
    validateSampleAppsArgs(namespaceName, pagePaths, [staticSiteImage, echoApiImage], this);

    const inCluster = { parent: this, provider: args.platform.kubernetesProvider };
    const availability = args.platform.availability;

    // Routes refer to the namespace by name.
    const namespace = createNamespace(`${name}-ns`, namespaceName, inCluster);
    const namespaceOutput = namespace.metadata.name;

    const page = buildSamplePage(pagePaths);
    const nginxConfig = buildNginxConfig(page.contentSecurityPolicy);
    const siteFiles = new k8s.core.v1.ConfigMap(
      `${name}-spa-files`,
      { metadata: { namespace: namespaceOutput }, data: { "index.html": page.html, "nginx.conf": nginxConfig } },
      inCluster,
    );

    const spaLabels = { "app.kubernetes.io/name": "spa", "app.kubernetes.io/part-of": "apigw-sample-apps" };
    new k8s.apps.v1.Deployment(
      `${name}-spa`,
      {
        metadata: { namespace: namespaceOutput, labels: spaLabels },
        spec: {
          replicas: availability.replicas,
          selector: { matchLabels: spaLabels },
          template: {
            metadata: {
              labels: spaLabels,
              // subPath mounts never see ConfigMap updates, so a changed page or config rolls the pods.
              annotations: { [configHashAnnotation]: configHash(page.html, nginxConfig) },
            },
            spec: {
              automountServiceAccountToken: false,
              securityContext: restrictedPodSecurityContext(nginxUserId),
              ...zoneSpread(args.platform, spaLabels),
              containers: [
                {
                  name: "nginx",
                  image: staticSiteImage,
                  // Starting nginx directly skips the image's entrypoint scripts, which try to
                  // rewrite files under /etc/nginx and cannot on a read-only root filesystem.
                  command: ["nginx", "-g", "daemon off;"],
                  ports: [{ name: "http", containerPort: servicePort }],
                  securityContext: restrictedContainerSecurityContext(),
                  resources: resourceRequirements(10, 32),
                  readinessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 10 },
                  livenessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 20, failureThreshold: 3 },
                  volumeMounts: [
                    { name: "site", mountPath: "/etc/nginx/nginx.conf", subPath: "nginx.conf", readOnly: true },
                    { name: "site", mountPath: "/srv/spa/index.html", subPath: "index.html", readOnly: true },
                    // nginx writes its pid file and request buffers here, because the root
                    // filesystem is read-only.
                    { name: "tmp", mountPath: "/tmp" },
                  ],
                },
              ],
              volumes: [
                { name: "site", configMap: { name: siteFiles.metadata.name } },
                { name: "tmp", emptyDir: { sizeLimit: "16Mi" } },
              ],
            },
          },
        },
      },
      inCluster,
    );
    createService(name, "spa", namespaceOutput, spaLabels, inCluster);

    const echoLabels = { "app.kubernetes.io/name": "echo", "app.kubernetes.io/part-of": "apigw-sample-apps" };
    // NOTE: whoami does not verify the ID token, so any pod in the cluster can call it with a
    // forged Authorization header. A real backend verifies the token against Oathkeeper's JWKS.
    new k8s.apps.v1.Deployment(
      `${name}-echo`,
      {
        metadata: { namespace: namespaceOutput, labels: echoLabels },
        spec: {
          replicas: availability.replicas,
          selector: { matchLabels: echoLabels },
          template: {
            metadata: { labels: echoLabels },
            spec: {
              automountServiceAccountToken: false,
              securityContext: restrictedPodSecurityContext(echoUserId),
              ...zoneSpread(args.platform, echoLabels),
              containers: [
                {
                  name: "whoami",
                  image: echoApiImage,
                  // whoami listens on port 80 by default. A port above 1023 needs no capability on
                  // any container runtime, and every capability is dropped here.
                  args: ["--port", String(servicePort)],
                  ports: [{ name: "http", containerPort: servicePort }],
                  securityContext: restrictedContainerSecurityContext(),
                  resources: resourceRequirements(10, 32),
                  // GET /health returns 200 until someone POSTs another status code to it
                  // (traefik/whoami app.go), so a route to this Service must not strip its prefix,
                  // or callers could fail the probes.
                  readinessProbe: { httpGet: { path: "/health", port: "http" }, periodSeconds: 10 },
                  livenessProbe: { httpGet: { path: "/health", port: "http" }, periodSeconds: 20, failureThreshold: 3 },
                },
              ],
            },
          },
        },
      },
      inCluster,
    );
    createService(name, "echo", namespaceOutput, echoLabels, inCluster);

    this.namespace = namespaceOutput;
    this.services = {
      spa: { name: "spa", port: servicePort },
      echo: { name: "echo", port: servicePort },
    };
    this.registerOutputs({ namespace: this.namespace, services: this.services });
  }

}

function createService(
  name: string,
  role: "spa" | "echo",
  namespace: pulumi.Output<string>,
  selector: Record<string, string>,
  options: pulumi.CustomResourceOptions,
): void {
  new k8s.core.v1.Service(
    `${name}-${role}`,
    {
      // Routes refer to the Service by name, so the name is fixed.
      metadata: { name: role, namespace },
      spec: {
        type: "ClusterIP",
        selector,
        ports: [{ name: "http", port: servicePort, targetPort: "http", protocol: "TCP" }],
      },
    },
    options,
  );
}

function validateSampleAppsArgs(namespace: string, pagePaths: SamplePagePaths, images: string[], component: pulumi.Resource): void {
  if (!isDnsLabel(namespace)) {
    throw new pulumi.ResourceError(`SampleApps namespace "${namespace}" is invalid. Use a DNS-1123 label such as "apps".`, component);
  }
  for (const [key, value] of Object.entries(pagePaths)) {
    if (!isPathPrefix(value)) {
      throw new pulumi.ResourceError(
        `SampleApps pagePaths.${key} "${value}" is invalid. Use an absolute path such as "/login", without a trailing "/".`,
        component,
      );
    }
  }
  for (const image of images) {
    if (image.trim() === "") {
      throw new pulumi.ResourceError("SampleApps got an empty image name. Set images.staticSite and images.echoApi or leave them out.", component);
    }
  }
}

/** The sample page and the Content-Security-Policy that allows exactly its inline script and style. */
export interface SamplePage {
  readonly html: string;
  readonly contentSecurityPolicy: string;
}

const pageStyle = `
body { font-family: system-ui, sans-serif; max-width: 48rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; }
pre { background: #f4f4f4; padding: 0.75rem; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
button { font-size: 1rem; padding: 0.4rem 1rem; }
`;

// The script reads the paths from data attributes, so its text and hash stay the same for any
// paths. It writes only through textContent, so nothing from a response is parsed as HTML.
const pageScript = `
"use strict";
const paths = document.body.dataset;

async function showSession() {
  const output = document.getElementById("session");
  try {
    const response = await fetch(paths.sessionCheck, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (response.status === 401) {
      output.textContent = "Not logged in.";
      return;
    }
    if (!response.ok) {
      output.textContent = "Session check failed with HTTP " + response.status + ".";
      return;
    }
    const session = await response.json();
    const traits = (session.identity && session.identity.traits) || {};
    output.textContent = "Logged in as " + (traits.email || session.identity.id) + ".";
  } catch (error) {
    output.textContent = "Session check failed: " + error.message;
  }
}

function decodeJwtClaims(token) {
  const payload = token.split(".")[1];
  if (payload === undefined) {
    throw new Error("the token has no payload part");
  }
  const base64 = payload.replace(/-/g, "+").replace(/_/g, "/");
  const bytes = Uint8Array.from(atob(base64), (character) => character.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

async function callEchoApi() {
  const header = document.getElementById("authorization");
  const claims = document.getElementById("claims");
  header.textContent = "Calling " + paths.echoApi + " ...";
  claims.textContent = "";
  try {
    const response = await fetch(paths.echoApi, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const body = await response.text();
    if (!response.ok) {
      header.textContent = "HTTP " + response.status + ": " + body;
      return;
    }
    // whoami echoes the request it received as HTTP/1.1 text, one header per line.
    const match = /^Authorization:[ \\t]*(.*)$/im.exec(body);
    if (match === null) {
      header.textContent = "The echo API received no Authorization header.";
      return;
    }
    const value = match[1].trim();
    header.textContent = "Authorization: " + value;
    const token = value.replace(/^Bearer[ ]+/i, "");
    claims.textContent = JSON.stringify(decodeJwtClaims(token), null, 2);
  } catch (error) {
    header.textContent = "Calling the echo API failed: " + error.message;
  }
}

document.getElementById("call-echo").addEventListener("click", callEchoApi);
showSession();
`;

function sha256Source(text: string): string {
  return `'sha256-${crypto.createHash("sha256").update(text, "utf8").digest("base64")}'`;
}

function escapeHtmlAttribute(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * Builds the sample page: login state, links to login and registration, and a button that calls
 * the echo API and shows the forwarded Authorization header and the decoded ID token claims.
 */
export function buildSamplePage(paths: SamplePagePaths): SamplePage {
  const attribute = (value: string) => `"${escapeHtmlAttribute(value)}"`;
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API gateway sample</title>
<style>${pageStyle}</style>
</head>
<body data-session-check=${attribute(paths.sessionCheck)} data-echo-api=${attribute(paths.echoApi)}>
<h1>API gateway sample</h1>
<p id="session">Checking the session ...</p>
<p><a href=${attribute(paths.login)}>Log in</a> | <a href=${attribute(paths.registration)}>Register</a></p>
<p><button id="call-echo" type="button">Call ${escapeHtmlAttribute(paths.echoApi)}</button></p>
<h2>Authorization header received by the API</h2>
<pre id="authorization">Not called yet.</pre>
<h2>ID token claims</h2>
<pre id="claims"></pre>
<script>${pageScript}</script>
</body>
</html>
`;
  const contentSecurityPolicy = [
    "default-src 'none'",
    `script-src ${sha256Source(pageScript)}`,
    `style-src ${sha256Source(pageStyle)}`,
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
  return { html, contentSecurityPolicy };
}

/**
 * Builds nginx.conf for the page: every path returns index.html, so the page works with or
 * without a stripped route prefix, and `/healthz` serves the probes.
 */
export function buildNginxConfig(contentSecurityPolicy: string): string {
  return `# Generated by the SampleApps component.
worker_processes 1;
pid /tmp/nginx.pid;
error_log /dev/stderr notice;

events {
  worker_connections 256;
}

http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log /dev/stdout;
  server_tokens off;

  client_body_temp_path /tmp/client_temp;
  proxy_temp_path /tmp/proxy_temp;
  fastcgi_temp_path /tmp/fastcgi_temp;
  uwsgi_temp_path /tmp/uwsgi_temp;
  scgi_temp_path /tmp/scgi_temp;

  server {
    listen ${servicePort};
    root /srv/spa;

    location = /healthz {
      access_log off;
      default_type text/plain;
      return 200 "ok\\n";
    }

    location / {
      add_header Content-Security-Policy "${contentSecurityPolicy}" always;
      add_header X-Content-Type-Options "nosniff" always;
      add_header Referrer-Policy "no-referrer" always;
      add_header Cache-Control "no-store" always;
      try_files /index.html =404;
    }
  }
}
`;
}
