/**
 * Pure builders for the Ory Kratos configuration: the main config file, the file that carries
 * every secret, the identity schema and the Google claims mapper. Nothing here creates a
 * resource, so the tests validate the output against Kratos's own schemas.
 *
 * Facts about Kratos below were checked against ory/kratos at tag v26.2.0
 * (`embedx/config.schema.json`, `oryx/configx/provider.go`, `cmd/migrate/sql.go`).
 */

/** Port of the Kratos public API (self-service flows, `/sessions/whoami`). */
export const kratosPublicPort = 4433;
/** Port of the Kratos admin API, which never leaves the cluster. */
export const kratosAdminPort = 4434;
/** Path prefix on the app host under which Traefik serves the Kratos public API. */
export const kratosPublicPathPrefix = "/.ory/kratos/public";
/** Name of the session cookie that this config sets, which is also the Kratos default. */
export const kratosSessionCookieName = "ory_kratos_session";

/** Folder where the ConfigMap (config file, identity schema, mapper) is mounted. */
export const kratosConfigDirectory = "/etc/config/kratos";
/** Folder where the Secret with `secrets.yml` is mounted. */
export const kratosSecretsDirectory = "/etc/secrets/kratos";
/** Keys of the Kratos ConfigMap and Secret. Each one becomes a file in the mounted folder. */
export const kratosFiles = {
  config: "kratos.yml",
  identitySchema: "identity.schema.json",
  googleMapper: "oidc.google.jsonnet",
  secrets: "secrets.yml",
} as const;

/**
 * Page paths of the self-service UI (oryd/kratos-selfservice-ui-node), as registered in its
 * `src/routes/*.ts`. Kratos redirects the browser to these pages during each flow.
 */
export const selfServiceUiPaths = {
  login: "/login",
  registration: "/registration",
  recovery: "/recovery",
  verification: "/verification",
  settings: "/settings",
  error: "/error",
} as const;

/**
 * Command-line arguments (after the `kratos` binary) that load both config files.
 *
 * Kratos loads `--config` files in the given order, and later files override keys of earlier
 * ones: maps merge key by key, while a list replaces the earlier list whole.
 */
export function kratosConfigArgs(): string[] {
  return [
    "--config",
    `${kratosConfigDirectory}/${kratosFiles.config}`,
    "--config",
    `${kratosSecretsDirectory}/${kratosFiles.secrets}`,
  ];
}

/** Plain settings for {@link buildKratosConfig}. None of them is secret. */
export interface KratosConfigInput {
  /** Browser-facing host of the self-service UI and the Kratos public API. */
  appHost: string;
  /** Namespace of the Kratos Services, for the in-cluster admin URL. */
  namespace: string;
  /** URLs Kratos may redirect to after a flow. Listed as given, without wildcards. */
  allowedReturnUrls: readonly string[];
  /** URL the browser lands on after a flow without `return_to`. */
  defaultReturnUrl: string;
  /** Domain attribute of the session and CSRF cookies, or undefined for host-only cookies. */
  cookieDomain?: string;
  /** Sender address of recovery and verification mail. */
  fromAddress: string;
  /** Whether Google login is on. The provider itself comes from {@link buildKratosSecretsConfig}. */
  googleEnabled: boolean;
}

/** Returns the external base URL of the Kratos public API, with a trailing slash. */
export function kratosPublicBaseUrl(appHost: string): string {
  return `https://${appHost}${kratosPublicPathPrefix}/`;
}

/** Returns the in-cluster base URL of the Kratos admin API, with a trailing slash. */
export function kratosAdminBaseUrl(namespace: string): string {
  return `http://kratos-admin.${namespace}.svc.cluster.local:${kratosAdminPort}/`;
}

/** Returns the in-cluster base URL of the Kratos public API, with a trailing slash. */
export function kratosInClusterPublicUrl(namespace: string): string {
  return `http://kratos-public.${namespace}.svc.cluster.local:${kratosPublicPort}/`;
}

/**
 * Builds the main Kratos config file. It contains no secret, so it goes into a ConfigMap, and
 * it is not valid alone: `dsn` and the secrets come from {@link buildKratosSecretsConfig}.
 */
export function buildKratosConfig(input: KratosConfigInput): Record<string, unknown> {
  const uiUrl = (path: string) => `https://${input.appHost}${path}`;
  const cookieDomain = input.cookieDomain === undefined ? {} : { domain: input.cookieDomain };

  return {
    serve: {
      public: {
        // Kratos builds every browser-facing link (flow actions, OIDC callbacks) from this URL.
        // Traefik strips the path prefix before the request reaches Kratos.
        base_url: kratosPublicBaseUrl(input.appHost),
        port: kratosPublicPort,
        // The UI and the API share one origin, so browsers send no cross-origin requests.
        cors: { enabled: false },
        request_log: { disable_for_health: true },
      },
      admin: {
        base_url: kratosAdminBaseUrl(input.namespace),
        port: kratosAdminPort,
        request_log: { disable_for_health: true },
      },
    },
    selfservice: {
      default_browser_return_url: input.defaultReturnUrl,
      allowed_return_urls: [...input.allowedReturnUrls],
      methods: {
        password: { enabled: true },
        // The code method sends the one-time codes of recovery and verification. Login and
        // registration by code alone stay off.
        code: { enabled: true, passwordless_enabled: false, mfa_enabled: false },
        oidc: { enabled: input.googleEnabled },
      },
      flows: {
        error: { ui_url: uiUrl(selfServiceUiPaths.error) },
        settings: { ui_url: uiUrl(selfServiceUiPaths.settings), privileged_session_max_age: "15m" },
        recovery: { enabled: true, ui_url: uiUrl(selfServiceUiPaths.recovery), use: "code" },
        verification: { enabled: true, ui_url: uiUrl(selfServiceUiPaths.verification), use: "code" },
        logout: { after: { default_browser_return_url: input.defaultReturnUrl } },
        login: { ui_url: uiUrl(selfServiceUiPaths.login), lifespan: "10m" },
        registration: {
          enabled: true,
          ui_url: uiUrl(selfServiceUiPaths.registration),
          lifespan: "10m",
          // Sign the person in right after registration instead of sending them to login.
          after: {
            password: { hooks: [{ hook: "session" }] },
            oidc: { hooks: [{ hook: "session" }] },
          },
        },
      },
    },
    identity: {
      default_schema_id: "default",
      schemas: [{ id: "default", url: `file://${kratosConfigDirectory}/${kratosFiles.identitySchema}` }],
    },
    courier: { smtp: { from_address: input.fromAddress } },
    session: {
      cookie: { name: kratosSessionCookieName, same_site: "Lax", path: "/", ...cookieDomain },
    },
    // Lax lets the session cookie travel on top-level redirects back from Google and from the
    // protected apps, and blocks it on cross-site subrequests. Kratos sets the Secure flag
    // because it runs without --dev.
    cookies: { same_site: "Lax", path: "/", ...cookieDomain },
    // The schema's default cipher is `noop`, which would store OIDC tokens in clear text.
    // XChaCha20-Poly1305 takes the 32-character `secrets.cipher` key.
    ciphers: { algorithm: "xchacha20-poly1305" },
    hashers: { algorithm: "bcrypt", bcrypt: { cost: 12 } },
    log: { level: "info", format: "json", leak_sensitive_values: false },
  };
}

/** Secret values for {@link buildKratosSecretsConfig}. Every field is secret. */
export interface KratosSecretsInput {
  /** Postgres DSN. */
  dsn: string;
  /** Key that signs session and CSRF cookies, at least 16 characters. */
  cookieSecret: string;
  /** Key of the configured cipher, exactly 32 characters. */
  cipherSecret: string;
  /** Key for everything else Kratos signs or encrypts, at least 16 characters. */
  defaultSecret: string;
  /** SMTP URI of the courier, such as `smtp://host:1025/?disable_starttls=true`. */
  smtpConnectionUri: string;
  /** Google OAuth client, when Google login is on. */
  google?: { clientId: string; clientSecret: string };
}

/**
 * Builds the config file that carries every secret. It goes into a Kubernetes Secret and is
 * loaded after {@link buildKratosConfig}, so its keys win.
 *
 * One file is used instead of environment variables because the Google provider sits in a
 * list, and an environment variable can only replace that list as a JSON string.
 */
export function buildKratosSecretsConfig(input: KratosSecretsInput): Record<string, unknown> {
  const config: Record<string, unknown> = {
    dsn: input.dsn,
    // The first key of each list signs or encrypts. Append an old key after it to rotate.
    secrets: {
      cookie: [input.cookieSecret],
      cipher: [input.cipherSecret],
      default: [input.defaultSecret],
    },
    courier: { smtp: { connection_uri: input.smtpConnectionUri } },
  };
  if (input.google !== undefined) {
    config.selfservice = {
      methods: {
        oidc: {
          config: {
            providers: [
              {
                id: "google",
                provider: "google",
                client_id: input.google.clientId,
                client_secret: input.google.clientSecret,
                mapper_url: `file://${kratosConfigDirectory}/${kratosFiles.googleMapper}`,
                scope: ["openid", "email"],
              },
            ],
          },
        },
      },
    };
  }
  return config;
}

/**
 * Merges config files the way Kratos loads several `--config` files: nested maps merge key by
 * key, and any other value, lists included, replaces the earlier one.
 */
export function mergeKratosConfigFiles(...files: Record<string, unknown>[]): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const file of files) {
    for (const [key, value] of Object.entries(file)) {
      const previous = merged[key];
      merged[key] = isPlainObject(previous) && isPlainObject(value) ? mergeKratosConfigFiles(previous, value) : value;
    }
  }
  return merged;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * Builds the identity schema: an email address that is the password identifier and the address
 * for verification and recovery codes.
 */
export function buildIdentitySchema(): Record<string, unknown> {
  return {
    $id: "https://schemas.apigw.dev/identity/default.schema.json",
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "Person",
    type: "object",
    properties: {
      traits: {
        type: "object",
        properties: {
          email: {
            type: "string",
            format: "email",
            title: "Email address",
            minLength: 3,
            maxLength: 320,
            "ory.sh/kratos": {
              credentials: { password: { identifier: true } },
              verification: { via: "email" },
              recovery: { via: "email" },
            },
          },
        },
        required: ["email"],
        additionalProperties: false,
      },
    },
  };
}

/**
 * Jsonnet mapper from Google's ID token claims to identity traits.
 *
 * Kratos passes the claims as `std.extVar('claims')`. Google sets `email_verified`, and the
 * mapper copies the address only when that claim is `true`. Otherwise the trait stays empty,
 * so the identity schema check fails and Kratos shows the registration form, where the person
 * enters an address that the verification flow then confirms.
 */
export const googleClaimsMapper = `local claims = std.extVar('claims');
local emailVerified = std.objectHas(claims, 'email_verified') && claims.email_verified == true;

{
  identity: {
    traits: if emailVerified && std.objectHas(claims, 'email') then { email: claims.email } else {},
  },
}
`;
