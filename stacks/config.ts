/**
 * Stack config: the only module that reads `pulumi.Config`. Every key is checked before any
 * resource is declared, and all problems come out in one error that names the key, the value and
 * the fix.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { audiencePattern } from "../components/auth-proxy";
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
import { defaultKindNodeImage, kindClusterNamePattern, kindNodeImagePattern, type KindSettings } from "./kind";
import { applicationRouteProblems, defaultReturnUrls, hostIsCovered, sessionCookieScopeProblems } from "./route-checks";
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
const googleClientIdPattern = /^[A-Za-z0-9._-]+$/;
/** Longest ID token lifetime accepted, in seconds. A stolen token stays valid this long. */
const maxTokenTtlSeconds = 24 * 3600;
/**
 * Maximum staff CA validity, in hours (20 years). Go durations, which the TLS provider
 * uses for validity, overflow above about 2.5 million hours.
 */
const maxCaValidityHours = 175_200;

/** Converts a duration such as `10m` to seconds. */
function ttlSeconds(ttl: string): number {
  const amount = Number(ttl.slice(0, -1));
  return amount * { s: 1, m: 60, h: 3600 }[ttl.slice(-1) as "s" | "m" | "h"];
}

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
  z.string({ error: `must be a hostname. Run: pulumi config set ${key} <hostname>` }).refine(isHostname, {
    error: `must be a lower-case hostname such as app.example.com (internationalized names in punycode, such as xn--bcher-kva.example). Run: pulumi config set ${key} <hostname>`,
  });

const rawSchema = z
  .object({
    platform: z.enum(["kind", "eks"], { error: "must be kind or eks. Run: pulumi config set platform kind" }),
    appHost: hostSchema("appHost"),
    adminHost: hostSchema("adminHost"),
    routes: z.array(z.string({ error: "must be a route string, see the routes key in Pulumi.yaml" }), { error: "must be a list of route strings" }),
    staff: z.array(z.string({ error: 'must be a staff string such as "alice: Alice Example <alice@example.com>"' }), {
      error: "must be a list of staff strings",
    }),
    cookieDomain: z.string({ error: "must be a string" }),
    allowedReturnUrls: z.array(
      z
        .url({ protocol: /^https$/, error: "must be an https URL such as https://app.example.com/" })
        .refine((url) => !url.includes("*"), { error: "must not contain a wildcard. List each URL explicitly" }),
      { error: "must be a list of https URLs" },
    ),
    googleClientId: z
      .string({ error: "must be a string" })
      .refine((id) => id === "" || googleClientIdPattern.test(id), {
        error: "must be the OAuth client ID from the Google Cloud console, such as 123-abc.apps.googleusercontent.com, or empty",
      }),
    mail: z.enum(["catcher", "smtp"], { error: "must be catcher (an in-cluster mail catcher) or smtp. Run: pulumi config set mail catcher" }),
    mailFromAddress: z.email({ error: "must be an email address such as no-reply@example.com" }),
    idTokenAudience: z
      .string({ error: "must be a string" })
      .regex(audiencePattern, { error: "must be 1 to 256 letters, digits or the characters . _ : / -, such as apigw" }),
    idTokenTtl: z
      .string({ error: "must be a string" })
      .regex(ttlPattern, { error: "must be a duration in seconds, minutes or hours, such as 10m" })
      .refine((ttl) => !ttlPattern.test(ttl) || ttlSeconds(ttl) <= maxTokenTtlSeconds, { error: "must be at most 24h, because a stolen ID token stays valid that long" }),
    staffCertificateValidityHours: z
      .number({ error: "must be a number of hours" })
      .int({ error: "must be a whole number of hours" })
      .positive({ error: "must be a positive number of hours" })
      .max(maxCaValidityHours, { error: `must be at most ${maxCaValidityHours} hours (20 years)` }),
    staffCaValidityHours: z
      .number({ error: "must be a number of hours" })
      .int({ error: "must be a whole number of hours" })
      .positive({ error: "must be a positive number of hours" })
      .max(maxCaValidityHours, { error: `must be at most ${maxCaValidityHours} hours (20 years)` }),
    sampleApps: z.boolean({ error: "must be true or false" }),
    kindMode: z.enum(["create", "existing"], { error: "must be create (the program runs kind) or existing (use kubeconfigContext)" }),
    kindClusterName: z.string({ error: "must be a string" }).regex(kindClusterNamePattern, {
      error: "must be 1 to 32 lower-case letters, digits or '-', starting and ending with a letter or digit. Run: pulumi config set kindClusterName apigw",
    }),
    kindNodeImage: z.string({ error: "must be a string" }).regex(kindNodeImagePattern, {
      error:
        "must be a kindest/node image pinned by digest (kindest/node:vX.Y.Z@sha256:...), because kind supports only node images built " +
        "for its own release. Copy one from the release notes of your kind version, or run: pulumi config rm kindNodeImage",
    }),
    kubeconfigContext: z.string({ error: "must be a string" }),
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
    problems.push(
      `apigw:cookieDomain = "${cookieDomain}": must be a hostname such as example.com, without a leading dot, or empty for host-only cookies`,
    );
  } else if (cookieDomain !== undefined && !hostIsCovered(raw.appHost, cookieDomain)) {
    problems.push(`apigw:cookieDomain = "${cookieDomain}": must be apigw:appHost ("${raw.appHost}") or a parent domain of it`);
  }
  // NOTE: a public suffix such as co.uk passes this check, and browsers would drop the cookie.
  // Checking it needs the Public Suffix List.

  problems.push(...sessionCookieScopeProblems(applicationRoutes, raw.appHost, cookieDomain));

  if (raw.platform === "eks") {
    for (const [key, host] of [["appHost", raw.appHost], ["adminHost", raw.adminHost]] as const) {
      if (host.endsWith(".localhost")) {
        problems.push(`apigw:${key} = "${host}": .localhost names resolve to the user's own machine, so nobody could reach an EKS stack there. Use a host under your domain`);
      }
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
    if (raw.kindMode === "existing" && raw.kubeconfigContext.trim() === "") {
      problems.push(
        `apigw:kubeconfigContext = ${describeValue(raw.kubeconfigContext)}: must name a kubeconfig context when apigw:kindMode is "existing". ` +
          "Run: pulumi config set kubeconfigContext kind-apigw",
      );
    }
    kind =
      raw.kindMode === "create"
        ? { mode: "create", clusterName: raw.kindClusterName, nodeImage: raw.kindNodeImage }
        : { mode: "existing", kubeconfigContext: raw.kubeconfigContext };
  }

  const mailCatcher = raw.mail === "catcher";
  const builtIn = builtInRoutes({ appHost: raw.appHost, adminHost: raw.adminHost, mailCatcher });
  problems.push(...applicationRouteProblems(applicationRoutes, builtIn, raw.appHost));
  const routes = [...builtIn, ...applicationRoutes];
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
        const [flatKey, index] = key.replace(/^apigw:/, "").split(/[[\]]/);
        const value = (raw as Record<string, unknown>)[flatKey!];
        const shown = index !== undefined && Array.isArray(value) ? value[Number(index)] : value;
        problems.push(`${key} = ${describeValue(shown)}: ${issue.message}`);
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
    } else if (namespace !== undefined && namespace !== config.name && looksLikeTypoOf(namespace, config.name)) {
      problems.push(`${fullKey}: unknown namespace "${namespace}". This project's keys start with "${config.name}:"`);
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

/**
 * Checks whether a config namespace is a near miss of the project's, such as `apgw` or `Apigw`
 * for `apigw`: equal ignoring case, or one edit away. Keys of other packages (`aws:region`) pass.
 */
function looksLikeTypoOf(namespace: string, project: string): boolean {
  const a = namespace.toLowerCase();
  const b = project.toLowerCase();
  if (a === b) {
    return true;
  }
  if (Math.abs(a.length - b.length) > 1) {
    return false;
  }
  // One insertion, deletion or substitution, found by skipping the first differing character.
  let index = 0;
  while (index < Math.min(a.length, b.length) && a[index] === b[index]) {
    index += 1;
  }
  return a.slice(index + 1) === b.slice(index + 1) || a.slice(index) === b.slice(index + 1) || a.slice(index + 1) === b.slice(index);
}
