import { expect, it } from "vitest";
import {
  buildIdentitySchema,
  buildKratosConfig,
  buildKratosSecretsConfig,
  googleClaimsMapper,
  kratosConfigArgs,
  mergeKratosConfigFiles,
  selfServiceUiPaths,
  type KratosConfigInput,
  type KratosSecretsInput,
} from "../components/kratos-config";
import { describeWithSchemas, validateIdentitySchema, validateKratosConfig } from "./schemas";

const baseInput: KratosConfigInput = {
  appHost: "app.gateway.localhost",
  namespace: "identity",
  allowedReturnUrls: ["https://app.gateway.localhost/", "https://api.gateway.localhost/docs"],
  defaultReturnUrl: "https://app.gateway.localhost/",
  fromAddress: "no-reply@example.com",
  googleEnabled: false,
};

const baseSecrets: KratosSecretsInput = {
  dsn: "postgres://kratos:pw@db.identity.svc.cluster.local:5432/kratos?sslmode=disable",
  cookieSecret: "c".repeat(32),
  cipherSecret: "x".repeat(32),
  defaultSecret: "d".repeat(32),
  smtpConnectionUri: "smtp://mailpit.identity.svc.cluster.local:1025/?disable_starttls=true",
};

function fullConfig(input: Partial<KratosConfigInput> = {}, secrets: Partial<KratosSecretsInput> = {}): any {
  return mergeKratosConfigFiles(buildKratosConfig({ ...baseInput, ...input }), buildKratosSecretsConfig({ ...baseSecrets, ...secrets }));
}

describeWithSchemas("Kratos config", () => {
  it("validates against Kratos schema", () => {
    expect(validateKratosConfig(fullConfig())).toEqual([]);
  });

  it("validates with Google and cookie domain", () => {
    const config = fullConfig(
      { googleEnabled: true, cookieDomain: "gateway.localhost" },
      { google: { clientId: "client.apps.googleusercontent.com", clientSecret: "google-secret" } },
    );
    expect(validateKratosConfig(config)).toEqual([]);
  });

  it("fails schema without secrets file", () => {
    // The ConfigMap file alone lacks `dsn`, which proves the secrets file is required.
    const problems = validateKratosConfig(buildKratosConfig(baseInput));
    expect(problems.join("\n")).toMatch(/dsn/);
  });

  it("schema rejects short cipher key", () => {
    const problems = validateKratosConfig(fullConfig({}, { cipherSecret: "x".repeat(31) }));
    expect(problems.join("\n")).toMatch(/secrets\/cipher\/0/);
  });

  it("identity schema passes meta-schema", () => {
    expect(validateIdentitySchema(buildIdentitySchema())).toEqual([]);
  });

  it("identity email drives password, verification, recovery", () => {
    const email = (buildIdentitySchema() as any).properties.traits.properties.email;
    expect(email["ory.sh/kratos"]).toEqual({
      credentials: { password: { identifier: true } },
      verification: { via: "email" },
      recovery: { via: "email" },
    });
    expect((buildIdentitySchema() as any).properties.traits.required).toEqual(["email"]);
  });
});

describeWithSchemas("Kratos config contents", () => {
  it("uses external public base URL", () => {
    const config = fullConfig();
    expect(config.serve.public.base_url).toBe("https://app.gateway.localhost/.ory/kratos/public/");
    expect(config.serve.admin.base_url).toBe("http://kratos-admin.identity.svc.cluster.local:4434/");
  });

  it("puts every flow UI on appHost", () => {
    const flows = fullConfig().selfservice.flows;
    const expected = {
      login: selfServiceUiPaths.login,
      registration: selfServiceUiPaths.registration,
      recovery: selfServiceUiPaths.recovery,
      verification: selfServiceUiPaths.verification,
      settings: selfServiceUiPaths.settings,
      error: selfServiceUiPaths.error,
    };
    for (const [flow, path] of Object.entries(expected)) {
      expect(flows[flow].ui_url, flow).toBe(`https://app.gateway.localhost${path}`);
    }
    expect(flows.logout.after.default_browser_return_url).toBe("https://app.gateway.localhost/");
  });

  it("lists return URLs exactly", () => {
    const selfservice = fullConfig().selfservice;
    expect(selfservice.allowed_return_urls).toEqual(baseInput.allowedReturnUrls);
    expect(selfservice.default_browser_return_url).toBe("https://app.gateway.localhost/");
  });

  it("enables password and code recovery", () => {
    const selfservice = fullConfig().selfservice;
    expect(selfservice.methods.password.enabled).toBe(true);
    expect(selfservice.flows.recovery).toMatchObject({ enabled: true, use: "code" });
    expect(selfservice.flows.verification).toMatchObject({ enabled: true, use: "code" });
    expect(selfservice.methods.code).toMatchObject({ enabled: true, passwordless_enabled: false });
  });

  it("keeps cookies host-only by default", () => {
    const config = fullConfig();
    expect(config.cookies).toEqual({ same_site: "Lax", path: "/" });
    expect(config.session.cookie).toEqual({ name: "ory_kratos_session", same_site: "Lax", path: "/" });
  });

  it("sets cookie domain when given", () => {
    const config = fullConfig({ cookieDomain: "gateway.localhost" });
    expect(config.cookies.domain).toBe("gateway.localhost");
    expect(config.session.cookie.domain).toBe("gateway.localhost");
  });

  it("encrypts with XChaCha20-Poly1305", () => {
    expect(fullConfig().ciphers).toEqual({ algorithm: "xchacha20-poly1305" });
  });

  it("keeps secrets out of main file", () => {
    const text = JSON.stringify(
      buildKratosConfig({ ...baseInput, googleEnabled: true }),
    );
    for (const value of [baseSecrets.dsn, baseSecrets.cookieSecret, baseSecrets.cipherSecret, baseSecrets.defaultSecret, baseSecrets.smtpConnectionUri]) {
      expect(text).not.toContain(value);
    }
  });

  it("adds Google provider only when given", () => {
    expect(fullConfig().selfservice.methods.oidc).toEqual({ enabled: false });

    const config = fullConfig({ googleEnabled: true }, { google: { clientId: "id-1", clientSecret: "secret-1" } });
    expect(config.selfservice.methods.oidc.enabled).toBe(true);
    expect(config.selfservice.methods.oidc.config.providers).toEqual([
      {
        id: "google",
        provider: "google",
        client_id: "id-1",
        client_secret: "secret-1",
        mapper_url: "file:///etc/config/kratos/oidc.google.jsonnet",
        scope: ["openid", "email"],
      },
    ]);
  });
});

it("merge replaces lists and merges maps", () => {
  const merged = mergeKratosConfigFiles(
    { a: { b: 1, c: [1, 2] }, d: "x" },
    { a: { c: [3], e: true }, d: "y" },
  );
  expect(merged).toEqual({ a: { b: 1, c: [3], e: true }, d: "y" });
});

it("loads secrets file after main file", () => {
  expect(kratosConfigArgs()).toEqual([
    "--config",
    "/etc/config/kratos/kratos.yml",
    "--config",
    "/etc/secrets/kratos/secrets.yml",
  ]);
});

it("mapper copies email only when verified", () => {
  // NOTE: no Jsonnet evaluator is installed, so this checks the mapper's text. The npm package
  // @hanazuki/node-jsonnet could evaluate it, but it compiles a native addon on install.
  expect(googleClaimsMapper).toContain("std.extVar('claims')");
  expect(googleClaimsMapper).toMatch(/emailVerified = std\.objectHas\(claims, 'email_verified'\) && claims\.email_verified == true;/);
  expect(googleClaimsMapper).toMatch(/traits: if emailVerified && std\.objectHas\(claims, 'email'\) then \{ email: claims\.email \} else \{\}/);
});
