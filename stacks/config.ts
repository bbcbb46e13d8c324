/**
 * Stack config: the only module that reads `pulumi.Config`. Every key is checked before any
 * resource is declared, and all problems come out in one error that names the key, the value and
 * the fix.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { findRouteProblems, isHostname, type Route } from "../components/routes";
import { defaultImages, type ImageVersions } from "../components/versions";
import { builtInRoutes } from "./builtin-routes";
import {
  eksConfigKey,
  eksConfigKeys,
  eksSettingsFromConfig,
  eksSettingsProblems,
  eksSettingsSchema,
  providedCertificateConfigKeys,
  type EksConfigKey,
  type EksSettings,
} from "./eks-config";
import { defaultKindNodeImage, type KindSettings } from "./kind";
import { parseRoute, parseStaff, type StaffEntry } from "./route-syntax";

export type PlatformName = "kind" | "eks";


/** Validated stack config, with defaults applied. */
export interface StackConfig {
  readonly platform: PlatformName;
  /** Browser-facing host: self-service UI, Kratos public API and the session routes. */
  readonly appHost: string;
  /** Staff-only host: every route on it requires a client certificate. */
  readonly adminHost: string;
  /** Routes from the `routes` key. */
  readonly applicationRoutes: Route[];
  /** Built-in routes (identity, dashboard, mail catcher) followed by the application routes. */
  readonly routes: Route[];
  readonly staff: StaffEntry[];
  readonly identity: IdentitySettings;
  readonly idToken: { readonly audience: string; readonly ttl: string };
  readonly mtls: { readonly clientValidityHours: number; readonly caValidityHours: number };
  readonly images: ImageVersions;
  /** Whether to deploy the sample SPA and echo API. */
  readonly sampleApps: boolean;
  /** Present when `platform` is `kind`. */
  readonly kind?: KindSettings;
  /** Present when `platform` is `eks`. */
  readonly eks?: EksSettings;
  /** Secret values the EKS platform needs, present when `platform` is `eks`. */
  readonly eksSecrets?: {
    readonly providedCertificate?: { readonly certificatePem: pulumi.Output<string>; readonly privateKeyPem: pulumi.Output<string> };
  };
}

export interface IdentitySettings {
  /** Domain attribute of Kratos cookies, or undefined for host-only cookies on the app host. */
  readonly cookieDomain?: string;
  /** URLs Kratos may redirect to after a flow. */
  readonly allowedReturnUrls: string[];
  readonly google?: { readonly clientId: string; readonly clientSecret: pulumi.Output<string> };
  readonly mail: { readonly kind: "catcher" } | { readonly kind: "smtp"; readonly connectionUri: pulumi.Output<string>; readonly fromAddress: string };
}

/**
 * Image config keys and the {@link ImageVersions} field each one overrides. Pulumi.yaml declares
 * the same keys with the defaults from components/versions.ts, and a test keeps them equal.
 */
export const imageConfigKeys: Record<string, keyof ImageVersions> = {
  traefikImage: "traefik",
  kratosImage: "kratos",
  kratosSelfServiceUiImage: "kratosSelfServiceUi",
  oathkeeperImage: "oathkeeper",
  postgresImage: "postgres",
  mailCatcherImage: "mailCatcher",
  staticSiteImage: "staticSite",
  echoApiImage: "echoApi",
};


// An image reference pinned by tag or digest. `latest` and untagged names are rejected because
// they make two deployments of one commit differ.
const pinnedImage = /^[a-z0-9.-]+(?::[0-9]+)?(?:\/[a-z0-9._-]+)+(?::[A-Za-z0-9._-]{1,128})?(?:@sha256:[a-f0-9]{64})?$/;
const ttlPattern = /^[1-9][0-9]*(s|m|h)$/;

function imageSchema(key: string) {
  return z.string().superRefine((image, context) => {
    const problem = imageProblem(image, key);
    if (problem !== undefined) {
      context.addIssue({ code: "custom", message: problem });
    }
  });
}

/** Returns the first thing wrong with an image reference, or undefined when it is pinned. */
function imageProblem(image: string, key: string): string | undefined {
  if (!pinnedImage.test(image)) {
    return `must be an image reference such as docker.io/library/traefik:v3.7.11. Run: pulumi config rm ${key} to use the pinned default`;
  }
  const [name] = image.split("@");
  const hasTag = /:[A-Za-z0-9._-]+$/.test(name!.slice(name!.lastIndexOf("/")));
  if (!hasTag && !image.includes("@sha256:")) {
    return "must pin a version with a tag or a digest";
  }
  if (/:latest$/.test(name!)) {
    return 'must not use the "latest" tag. Pin a version';
  }
  return undefined;
}

const hostSchema = (key: string) =>
  z.string().refine(isHostname, { error: `must be a lower-case hostname such as app.example.com. Run: pulumi config set ${key} <hostname>` });

const rawSchema = z
  .object({
    platform: z.enum(["kind", "eks"], { error: "must be kind or eks. Run: pulumi config set platform kind" }),
    appHost: hostSchema("appHost"),
    adminHost: hostSchema("adminHost"),
    routes: z.array(z.string(), { error: "must be a list of route strings" }),
    staff: z.array(z.string(), { error: "must be a list of staff strings" }),
    cookieDomain: z.string(),
    allowedReturnUrls: z.array(
      z.url({ protocol: /^https$/, error: "must be an https URL such as https://app.example.com/" }),
      { error: "must be a list of https URLs" },
    ),
    googleClientId: z.string(),
    mail: z.enum(["catcher", "smtp"], { error: "must be catcher (an in-cluster mail catcher) or smtp. Run: pulumi config set mail catcher" }),
    mailFromAddress: z.email({ error: "must be an email address such as no-reply@example.com" }),
    idTokenAudience: z.string().min(1, { error: "must not be empty. Run: pulumi config set idTokenAudience <audience>" }),
    idTokenTtl: z.string().regex(ttlPattern, { error: "must be a duration in seconds, minutes or hours, such as 10m" }),
    staffCertificateValidityHours: z.number({ error: "must be a number of hours" }).int().positive({ error: "must be a positive number of hours" }),
    staffCaValidityHours: z.number({ error: "must be a number of hours" }).int().positive({ error: "must be a positive number of hours" }),
    sampleApps: z.boolean({ error: "must be true or false" }),
    kindMode: z.enum(["create", "existing"], { error: "must be create (the program runs kind) or existing (use kubeconfigContext)" }),
    kindClusterName: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/, { error: "must be a lower-case name of at most 32 characters" }),
    kindNodeImage: imageSchema("kindNodeImage"),
    kubeconfigContext: z.string(),
    ...Object.fromEntries(Object.keys(imageConfigKeys).map((key) => [key, imageSchema(key)])),
    // The EKS keys are checked together by eksSettingsSchema, and only on EKS stacks.
    ...Object.fromEntries(Object.keys(eksConfigKeys).map((key) => [key, z.unknown()])),
  })
  .strict();

type RawConfig = z.infer<typeof rawSchema>;

/** Default of every plain key. Pulumi.yaml declares the same values. */
export const configDefaults: Record<string, unknown> = {
  platform: "kind",
  appHost: "app.gateway.localhost",
  adminHost: "admin.gateway.localhost",
  routes: [],
  staff: [],
  cookieDomain: "",
  allowedReturnUrls: [],
  googleClientId: "",
  mail: "catcher",
  mailFromAddress: "no-reply@gateway.localhost",
  idTokenAudience: "apigw",
  idTokenTtl: "10m",
  staffCertificateValidityHours: 2160,
  staffCaValidityHours: 43800,
  sampleApps: true,
  kindMode: "create",
  kindClusterName: "apigw",
  kindNodeImage: defaultKindNodeImage,
  kubeconfigContext: "",
  ...Object.fromEntries(Object.entries(imageConfigKeys).map(([key, field]) => [key, defaultImages[field]])),
  ...Object.fromEntries(Object.entries(eksConfigKeys).map(([key, { default: value }]) => [key, value])),
};

/** Keys whose values are objects or lists, so they are read with `getObject`. */
const structuredKeys = new Set(
  Object.entries(configDefaults)
    .filter(([, value]) => typeof value !== "string")
    .map(([key]) => key),
);

/** Secret keys, read with `getSecret`. They are not declared in Pulumi.yaml, see the comment there. */
export const secretConfigKeys = [
  "googleClientSecret",
  "smtpConnectionUri",
  providedCertificateConfigKeys.certificate,
  providedCertificateConfigKeys.privateKey,
] as const;

/** Whether each secret key is set, so the checks never touch the secret values. */
export interface SecretPresence {
  readonly googleClientSecret: boolean;
  readonly smtpConnectionUri: boolean;
  /** Both the certificate and the key of a provided public certificate (EKS). */
  readonly providedCertificate?: boolean;
}

/** The validated config without secrets: what {@link checkConfig} returns. */
export type PlainStackConfig = Omit<StackConfig, "identity" | "eksSecrets"> & {
  readonly identity: Omit<IdentitySettings, "google" | "mail"> & {
    readonly googleClientId?: string;
    readonly mail: { readonly kind: "catcher" } | { readonly kind: "smtp"; readonly fromAddress: string };
  };
};

function describeValue(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) {
    return "(unset)";
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function valueAtPath(raw: Record<string, unknown>, path: readonly PropertyKey[]): unknown {
  let current: unknown = raw;
  for (const segment of path) {
    if (current === null || typeof current !== "object") {
      return undefined;
    }
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

function keyName(path: readonly PropertyKey[]): string {
  const [key, ...rest] = path;
  return `apigw:${String(key)}${rest.map((segment) => `[${String(segment)}]`).join("")}`;
}

/**
 * Checks raw config values (as read from the stack, before defaults) and returns either the
 * validated config or every problem found, each naming the key, the value and the fix.
 */
export function checkConfig(
  values: Record<string, unknown>,
  secrets: SecretPresence,
): { config: PlainStackConfig; problems: [] } | { config?: undefined; problems: string[] } {
  const raw = { ...configDefaults, ...values };
  const parsed = rawSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      if (issue.code === "unrecognized_keys") {
        return `${issue.keys.map((key) => `apigw:${key}`).join(", ")}: unknown key. Check the spelling against Pulumi.yaml`;
      }
      return `${keyName(issue.path)} = ${describeValue(valueAtPath(raw, issue.path))}: ${issue.message}`;
    });
    return { problems };
  }
  return checkParsedConfig(parsed.data, secrets);
}

function checkParsedConfig(
  raw: RawConfig,
  secrets: SecretPresence,
): { config: PlainStackConfig; problems: [] } | { config?: undefined; problems: string[] } {
  const problems: string[] = [];

  if (raw.appHost === raw.adminHost) {
    problems.push(
      `apigw:adminHost = "${raw.adminHost}": must differ from apigw:appHost, because every route on the admin host requires a client certificate`,
    );
  }

  const applicationRoutes: Route[] = [];
  raw.routes.forEach((entry, index) => {
    const result = parseRoute(entry);
    if (result.ok) {
      applicationRoutes.push(result.value);
    } else {
      for (const problem of result.problems) {
        problems.push(`apigw:routes[${index}] = ${describeValue(entry)}: ${problem}`);
      }
    }
  });

  const staff: StaffEntry[] = [];
  const staffIds = new Set<string>();
  raw.staff.forEach((entry, index) => {
    const result = parseStaff(entry);
    if (!result.ok) {
      for (const problem of result.problems) {
        problems.push(`apigw:staff[${index}] = ${describeValue(entry)}: ${problem}`);
      }
      return;
    }
    if (staffIds.has(result.value.id)) {
      problems.push(`apigw:staff[${index}] = ${describeValue(entry)}: id "${result.value.id}" appears twice. Give each person a unique id`);
    }
    staffIds.add(result.value.id);
    staff.push(result.value);
  });

  if (raw.staffCertificateValidityHours > raw.staffCaValidityHours) {
    problems.push(
      `apigw:staffCertificateValidityHours = ${raw.staffCertificateValidityHours}: must not exceed apigw:staffCaValidityHours (${raw.staffCaValidityHours}), ` +
        "because a client certificate cannot outlive its CA",
    );
  }

  const cookieDomain = raw.cookieDomain === "" ? undefined : raw.cookieDomain;
  if (cookieDomain !== undefined && !isHostname(cookieDomain)) {
    problems.push(`apigw:cookieDomain = "${cookieDomain}": must be a hostname such as example.com, or empty for host-only cookies`);
  }
  if (cookieDomain !== undefined && !hostIsCovered(raw.appHost, cookieDomain)) {
    problems.push(`apigw:cookieDomain = "${cookieDomain}": must be apigw:appHost ("${raw.appHost}") or a parent domain of it`);
  }

  // The browser sends the Kratos session cookie only to the host that set it, unless the cookie
  // carries a Domain attribute. A session route on another host would then never see a session.
  for (const route of applicationRoutes.filter((candidate) => candidate.access === "session")) {
    const covered = cookieDomain === undefined ? route.host === raw.appHost : hostIsCovered(route.host, cookieDomain);
    if (!covered) {
      problems.push(
        `apigw:routes entry "${route.name}": session route on host "${route.host}" would never receive the Kratos session cookie, ` +
          `which is scoped to ${cookieDomain === undefined ? `"${raw.appHost}"` : `domain "${cookieDomain}"`}. ` +
          `Move the route to "${raw.appHost}" or set apigw:cookieDomain to a domain that covers both hosts`,
      );
    }
  }

  if (raw.googleClientId !== "" && !secrets.googleClientSecret) {
    problems.push(
      `apigw:googleClientSecret is missing while apigw:googleClientId = "${raw.googleClientId}". Run: pulumi config set --secret googleClientSecret <secret>`,
    );
  }
  if (raw.mail === "smtp" && !secrets.smtpConnectionUri) {
    problems.push("apigw:smtpConnectionUri is missing while apigw:mail = \"smtp\". Run: pulumi config set --secret smtpConnectionUri smtps://user:password@host:465/");
  }

  let kind: KindSettings | undefined;
  if (raw.platform === "kind") {
    if (raw.kindMode === "existing" && raw.kubeconfigContext === "") {
      problems.push(
        'apigw:kubeconfigContext = "": must name a kubeconfig context when apigw:kindMode is "existing". Run: pulumi config set kubeconfigContext kind-apigw',
      );
    }
    kind =
      raw.kindMode === "create"
        ? { mode: "create", clusterName: raw.kindClusterName, nodeImage: raw.kindNodeImage }
        : { mode: "existing", kubeconfigContext: raw.kubeconfigContext };
  }

  const mailCatcher = raw.mail === "catcher";
  const routes = [...builtInRoutes({ appHost: raw.appHost, adminHost: raw.adminHost, mailCatcher }), ...applicationRoutes];
  for (const problem of findRouteProblems(routes)) {
    problems.push(`apigw:routes: ${problem}`);
  }

  let eks: EksSettings | undefined;
  if (raw.platform === "eks") {
    const eksValues = Object.fromEntries(
      Object.keys(eksConfigKeys).map((key) => [key, (raw as Record<string, unknown>)[key]]),
    ) as Record<EksConfigKey, unknown>;
    const parsedEks = eksSettingsSchema.safeParse(eksSettingsFromConfig(eksValues));
    if (parsedEks.success) {
      eks = parsedEks.data;
      const hostnames = [...new Set(routes.map((route) => route.host))];
      problems.push(
        ...eksSettingsProblems(eks, { hostnames, providedCertificateKeysSet: secrets.providedCertificate === true }),
      );
    } else {
      for (const issue of parsedEks.error.issues) {
        const path = issue.path.map((segment) => (typeof segment === "number" ? `[${segment}]` : `.${String(segment)}`)).join("").slice(1);
        const key = eksKeyForIssue(path);
        problems.push(`${key} = ${describeValue((raw as Record<string, unknown>)[key.replace(/^apigw:/, "").replace(/\[[0-9]+\]$/, "")])}: ${issue.message}`);
      }
    }
  }

  if (problems.length > 0) {
    return { problems };
  }

  const images = Object.fromEntries(
    Object.entries(imageConfigKeys).map(([key, field]) => [field, (raw as Record<string, unknown>)[key] as string]),
  ) as unknown as ImageVersions;

  return {
    problems: [],
    config: {
      platform: raw.platform,
      appHost: raw.appHost,
      adminHost: raw.adminHost,
      applicationRoutes,
      routes,
      staff,
      identity: {
        ...(cookieDomain !== undefined ? { cookieDomain } : {}),
        allowedReturnUrls: raw.allowedReturnUrls.length > 0 ? raw.allowedReturnUrls : defaultReturnUrls(raw.appHost, routes),
        ...(raw.googleClientId !== "" ? { googleClientId: raw.googleClientId } : {}),
        mail: mailCatcher ? { kind: "catcher" } : { kind: "smtp", fromAddress: raw.mailFromAddress },
      },
      idToken: { audience: raw.idTokenAudience, ttl: raw.idTokenTtl },
      mtls: { clientValidityHours: raw.staffCertificateValidityHours, caValidityHours: raw.staffCaValidityHours },
      images,
      sampleApps: raw.sampleApps,
      ...(kind !== undefined ? { kind } : {}),
      ...(eks !== undefined ? { eks } : {}),
    },
  };
}

/**
 * Returns the config key for an issue in the EKS settings. An issue on a whole group (such as a
 * union mismatch on `tls`) names the group's first key.
 */
function eksKeyForIssue(path: string): string {
  try {
    return eksConfigKey(path);
  } catch {
    const group = Object.values(eksConfigKeys).find((entry) => entry.path.startsWith(`${path}.`));
    return group !== undefined ? eksConfigKey(group.path) : "apigw:eks*";
  }
}

/** Checks whether `host` is `domain` or a subdomain of it, as cookie domain matching does. */
function hostIsCovered(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}

/** The app host and every host that carries a session route, as https origins with a trailing slash. */
function defaultReturnUrls(appHost: string, routes: readonly Route[]): string[] {
  const hosts = new Set([appHost, ...routes.filter((route) => route.access === "session").map((route) => route.host)]);
  return [...hosts].map((host) => `https://${host}/`);
}

/**
 * Reads and checks the stack config. Throws one `pulumi.RunError` listing every problem, before
 * the program declares any resource.
 */
export function loadConfig(config: pulumi.Config = new pulumi.Config()): StackConfig {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const key of Object.keys(configDefaults)) {
    try {
      const value = structuredKeys.has(key) ? config.getObject<unknown>(key) : config.get(key);
      if (value !== undefined) {
        values[key] = value;
      }
    } catch (error) {
      // getObject throws when the stored value is not JSON, for example a route list written as
      // one string instead of a YAML list.
      problems.push(`apigw:${key}: ${error instanceof Error ? error.message : String(error)}. Write it as a YAML list or value in Pulumi.<stack>.yaml`);
    }
  }

  // Keys Pulumi.yaml does not declare are usually typos, which would otherwise fall back to a
  // default without a word.
  const knownKeys = new Set([...Object.keys(configDefaults), ...secretConfigKeys]);
  for (const fullKey of Object.keys(pulumi.runtime.allConfig())) {
    const [namespace, key] = fullKey.split(":");
    if (namespace === config.name && key !== undefined && !knownKeys.has(key)) {
      problems.push(`${fullKey}: unknown key. Check the spelling against the keys declared in Pulumi.yaml`);
    }
  }

  const googleClientSecret = config.getSecret("googleClientSecret");
  const smtpConnectionUri = config.getSecret("smtpConnectionUri");
  const providedCertificatePem = config.getSecret(providedCertificateConfigKeys.certificate);
  const providedPrivateKeyPem = config.getSecret(providedCertificateConfigKeys.privateKey);
  const result = checkConfig(values, {
    googleClientSecret: googleClientSecret !== undefined,
    smtpConnectionUri: smtpConnectionUri !== undefined,
    providedCertificate: providedCertificatePem !== undefined && providedPrivateKeyPem !== undefined,
  });
  problems.push(...result.problems);
  if (result.config === undefined || problems.length > 0) {
    throw new pulumi.RunError(`Invalid stack config:\n- ${problems.join("\n- ")}`);
  }

  const plain = result.config;
  const { googleClientId, mail, ...identity } = plain.identity;
  return {
    ...plain,
    identity: {
      ...identity,
      ...(googleClientId !== undefined && googleClientSecret !== undefined ? { google: { clientId: googleClientId, clientSecret: googleClientSecret } } : {}),
      mail: mail.kind === "catcher" ? mail : { ...mail, connectionUri: smtpConnectionUri! },
    },
    ...(plain.eks !== undefined
      ? {
          eksSecrets:
            providedCertificatePem !== undefined && providedPrivateKeyPem !== undefined
              ? { providedCertificate: { certificatePem: providedCertificatePem, privateKeyPem: providedPrivateKeyPem } }
              : {},
        }
      : {}),
  };
}
