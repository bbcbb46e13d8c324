import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { defaultImages } from "../components/versions";
import { checkConfig, configDefaults, imageConfigKeys, loadConfig } from "../stacks/config";

const noSecrets = { googleClientSecret: false, smtpConnectionUri: false };

function problemsFor(values: Record<string, unknown>, secrets = noSecrets): string[] {
  return checkConfig(values, secrets).problems;
}

describe("checkConfig", () => {
  it("accepts defaults alone", () => {
    const result = checkConfig({}, noSecrets);
    expect(result.problems).toEqual([]);
    expect(result.config?.platform).toBe("kind");
  });

  it.each([
    [{ platform: "gke" }, 'apigw:platform = "gke": must be kind or eks. Run: pulumi config set platform kind'],
    [
      { appHost: "App.Example.com" },
      'apigw:appHost = "App.Example.com": must be a lower-case hostname such as app.example.com (internationalized names in punycode, such as xn--bcher-kva.example). Run: pulumi config set appHost <hostname>',
    ],
    [
      { appHost: "127.0.0.1" },
      'apigw:appHost = "127.0.0.1": must be a lower-case hostname such as app.example.com (internationalized names in punycode, such as xn--bcher-kva.example). Run: pulumi config set appHost <hostname>',
    ],
    [{ idTokenTtl: "99h" }, 'apigw:idTokenTtl = "99h": must be at most 24h, because a stolen ID token stays valid that long'],
    [{ idTokenAudience: "{{ .Subject }}" }, 'apigw:idTokenAudience = "{{ .Subject }}": must be 1 to 256 letters, digits or the characters . _ : / -, such as apigw'],
    [{ staffCaValidityHours: 3000000 }, "apigw:staffCaValidityHours = 3000000: must be at most 175200 hours (20 years)"],
    [{ allowedReturnUrls: ["https://*.gateway.localhost/"] }, 'apigw:allowedReturnUrls[0] = "https://*.gateway.localhost/": must not contain a wildcard. List each URL explicitly'],
    [{ googleClientId: "  " }, 'apigw:googleClientId = "  ": must be the OAuth client ID from the Google Cloud console, such as 123-abc.apps.googleusercontent.com, or empty'],
    [
      { kindNodeImage: "kindest/node:v1.35.0" },
      'apigw:kindNodeImage = "kindest/node:v1.35.0": must be a kindest/node image pinned by digest (kindest/node:vX.Y.Z@sha256:...), because kind supports only node images built ' +
        "for its own release. Copy one from the release notes of your kind version, or run: pulumi config rm kindNodeImage",
    ],
    [{ idTokenTtl: "10 minutes" }, 'apigw:idTokenTtl = "10 minutes": must be a duration in seconds, minutes or hours, such as 10m'],
    [{ staffCaValidityHours: 0 }, "apigw:staffCaValidityHours = 0: must be a positive number of hours"],
    [{ traefikImage: "traefik:latest" }, 'apigw:traefikImage = "traefik:latest": must be an image reference such as docker.io/library/traefik:v3.7.11. Run: pulumi config rm traefikImage to use the pinned default'],
    [{ kratosImage: "docker.io/oryd/kratos:latest" }, 'apigw:kratosImage = "docker.io/oryd/kratos:latest": must not use the "latest" tag. Pin a version'],
    [{ kratosImage: "docker.io/oryd/kratos" }, 'apigw:kratosImage = "docker.io/oryd/kratos": must pin a version with a tag or a digest'],
    [{ allowedReturnUrls: ["http://app.example.com/"] }, 'apigw:allowedReturnUrls[0] = "http://app.example.com/": must be an https URL such as https://app.example.com/'],
    [{ mail: "sendmail" }, 'apigw:mail = "sendmail": must be catcher (an in-cluster mail catcher) or smtp. Run: pulumi config set mail catcher'],
  ])("rejects bad value %j", (values, message) => {
    expect(problemsFor(values)).toEqual([message]);
  });

  it("reports every problem at once", () => {
    const problems = problemsFor({ platform: "gke", idTokenTtl: "forever", mail: "pigeon" });
    expect(problems).toHaveLength(3);
  });

  it("rejects malformed route entry", () => {
    expect(problemsFor({ routes: ["echo session app.gateway.localhost/api/echo apps/echo:8080"] })).toEqual([
      'apigw:routes[0] = "echo session app.gateway.localhost/api/echo apps/echo:8080": does not follow the route syntax ' +
        '"<name> <public|session|mtls> <host>/<path> -> <namespace>/<service>:<port> [strip-prefix]"',
    ]);
  });

  it("names each bad route field", () => {
    const problems = problemsFor({ routes: ["Echo private app.gateway.localhost/api/ -> apps/echo:70000 gzip"] });
    expect(problems).toEqual([
      expect.stringContaining('name "Echo" must be a DNS-1123 label'),
      expect.stringContaining('access "private" must be one of public, session, mtls'),
      expect.stringContaining('path prefix "/api/" must be "/" or "/segment[/segment...]"'),
      expect.stringContaining('port "70000" must be an integer from 1 to 65535'),
      expect.stringContaining('unknown option(s) "gzip"'),
    ]);
  });

  it("rejects mtls and public routes sharing a host", () => {
    const problems = problemsFor({ routes: ["status public admin.gateway.localhost/status -> apps/status:8080"] });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^apigw:routes: host "admin\.gateway\.localhost" carries mtls route\(s\) .* and non-mtls route\(s\) "status"/);
  });

  it("rejects routes to internal ports", () => {
    const problems = problemsFor({ routes: ["oathkeeper public app.gateway.localhost/decide -> security/oathkeeper:4456"] });
    expect(problems).toEqual([expect.stringContaining('route "oathkeeper" sends traffic to port 4456')]);
  });

  it("rejects routes into program namespaces", () => {
    expect(problemsFor({ routes: ["mail public app.gateway.localhost/mail -> identity/mailpit:8025"] })).toEqual([
      'apigw:routes entry "mail": backend namespace "identity" belongs to the program\'s own services, which are routed only by the built-in routes. ' +
        "Deploy the backend in a namespace of its own",
    ]);
  });

  it("rejects reused built-in names", () => {
    expect(problemsFor({ routes: ["login-ui public app.gateway.localhost/other -> apps/other:80"] })).toEqual([
      'apigw:routes entry "login-ui": the name is taken by a built-in route. Choose another name',
      expect.stringContaining('route name "login-ui" appears twice'),
    ]);
  });

  it("rejects routes over the login pages", () => {
    expect(problemsFor({ routes: ["l session app.gateway.localhost/login -> apps/x:80"] })).toEqual([
      'apigw:routes entry "l": path prefix "/login" overlaps "/login", which the login UI or Kratos serves on app.gateway.localhost. Use another prefix',
    ]);
    expect(problemsFor({ routes: ["o public app.gateway.localhost/.ory -> apps/x:80"] })).toEqual([
      expect.stringContaining('path prefix "/.ory" overlaps "/.ory/kratos/public"'),
    ]);
  });

  it("rejects backends sharing an alias", () => {
    expect(problemsFor({ routes: ["a public app.gateway.localhost/a -> apps-echo/api:80", "b session app.gateway.localhost/b -> apps/echo-api:80"] })).toEqual([
      'apigw:routes entry "b": backend apps/echo-api and backend apps-echo/api would share the gateway alias Service "apps-echo-api". Rename one of the Services or namespaces',
    ]);
  });

  it("rejects staff names that break commands", () => {
    expect(problemsFor({ staff: ['eve: $(touch /tmp/x) "; echo'] })).toEqual([
      expect.stringContaining("may contain only letters, digits, spaces and . , ' ( ) -"),
    ]);
    expect(problemsFor({ staff: ["jose: José O'Brien-Núñez (Ops)"] })).toEqual([]);
  });

  it("rejects route fields split by tabs", () => {
    expect(problemsFor({ routes: ["echo\tsession app.gateway.localhost/api/echo -> apps/echo:8080"] })).toEqual([
      expect.stringContaining("does not follow the route syntax"),
    ]);
  });

  it("rejects nested session routes", () => {
    const problems = problemsFor({
      routes: ["api session app.gateway.localhost/api -> apps/api:8080", "echo session app.gateway.localhost/api/echo -> apps/echo:8080"],
    });
    expect(problems).toEqual([expect.stringContaining('session routes "api" (/api) and "echo" (/api/echo) on host "app.gateway.localhost" overlap')]);
  });

  it("rejects session route beyond cookie scope", () => {
    const problems = problemsFor({ routes: ["search session search.gateway.localhost/ -> apps/search:8080"] });
    expect(problems).toEqual([
      'apigw:routes entry "search": session route on host "search.gateway.localhost" would never receive the Kratos session cookie, ' +
        'which is scoped to "app.gateway.localhost". Move the route to "app.gateway.localhost" or set apigw:cookieDomain to a domain that covers both hosts',
    ]);
  });

  it("accepts session route under cookie domain", () => {
    const result = checkConfig(
      { cookieDomain: "gateway.localhost", routes: ["search session search.gateway.localhost/ -> apps/search:8080"] },
      noSecrets,
    );
    expect(result.problems).toEqual([]);
    expect(result.config?.identity.allowedReturnUrls).toEqual(["https://app.gateway.localhost/", "https://search.gateway.localhost/"]);
  });

  it("rejects cookie domain not covering app host", () => {
    expect(problemsFor({ cookieDomain: "example.com" })).toEqual([
      'apigw:cookieDomain = "example.com": must be apigw:appHost ("app.gateway.localhost") or a parent domain of it',
    ]);
  });

  it("rejects duplicate staff ids", () => {
    expect(problemsFor({ staff: ["alice: Alice", "alice: Alice Again"] })).toEqual([
      'apigw:staff[1] = "alice: Alice Again": id "alice" appears twice. Give each person a unique id',
    ]);
  });

  it("requires google secret with client id", () => {
    expect(problemsFor({ googleClientId: "123.apps.googleusercontent.com" })).toEqual([
      'apigw:googleClientSecret is missing while apigw:googleClientId = "123.apps.googleusercontent.com". Run: pulumi config set --secret googleClientSecret <secret>',
    ]);
    expect(problemsFor({ googleClientId: "123.apps.googleusercontent.com" }, { ...noSecrets, googleClientSecret: true })).toEqual([]);
  });

  it("requires smtp uri for smtp mail", () => {
    expect(problemsFor({ mail: "smtp" })).toEqual([
      'apigw:smtpConnectionUri is missing while apigw:mail = "smtp". Run: pulumi config set --secret smtpConnectionUri smtps://user:password@host:465/',
    ]);
  });

  it("drops mail catcher route with smtp", () => {
    const result = checkConfig({ mail: "smtp" }, { ...noSecrets, smtpConnectionUri: true });
    expect(result.config?.routes.map((route) => route.name)).not.toContain("mail-catcher");
  });

  it("requires context for existing cluster", () => {
    expect(problemsFor({ kindMode: "existing" })).toEqual([
      'apigw:kubeconfigContext = "": must name a kubeconfig context when apigw:kindMode is "existing". Run: pulumi config set kubeconfigContext kind-apigw',
    ]);
  });
});

describe("loadConfig", () => {
  it("throws one RunError listing problems", () => {
    pulumi.runtime.setAllConfig({ "apigw:platform": "gke", "apigw:idTokenTtl": "soon", "apigw:sampelApps": "true" });
    let error: unknown;
    try {
      loadConfig(new pulumi.Config("apigw"));
    } catch (caught) {
      error = caught;
    }
    expect(pulumi.RunError.isInstance(error)).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain("Invalid stack config:");
    expect(message).toContain("apigw:sampelApps: unknown key");
    expect(message).toContain('apigw:platform = "gke"');
    expect(message).toContain('apigw:idTokenTtl = "soon"');
  });

  it("rejects misspelt namespaces", () => {
    pulumi.runtime.setAllConfig({ "apgw:routes": "[]", "Apigw:sampleApps": "true", "aws:region": "us-east-1" });
    let message = "";
    try {
      loadConfig(new pulumi.Config("apigw"));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('apgw:routes: unknown namespace "apgw". This project\'s keys start with "apigw:"');
    expect(message).toContain('Apigw:sampleApps: unknown namespace "Apigw"');
    expect(message).not.toContain("aws:region");
  });

  it("keeps secret values out of errors", () => {
    pulumi.runtime.setAllConfig(
      { "apigw:googleClientId": "x.apps.googleusercontent.com", "apigw:googleClientSecret": "hunter2-do-not-print", "apigw:mail": "pigeon" },
      ["apigw:googleClientSecret"],
    );
    expect(() => loadConfig(new pulumi.Config("apigw"))).toThrow(/apigw:mail/);
    try {
      loadConfig(new pulumi.Config("apigw"));
    } catch (error) {
      expect((error as Error).message).not.toContain("hunter2");
    }
  });

  it("wraps google secret as secret", async () => {
    pulumi.runtime.setAllConfig(
      { "apigw:googleClientId": "x.apps.googleusercontent.com", "apigw:googleClientSecret": "s3cret" },
      ["apigw:googleClientSecret"],
    );
    const config = loadConfig(new pulumi.Config("apigw"));
    expect(config.identity.google?.clientId).toBe("x.apps.googleusercontent.com");
    expect(await pulumi.isSecret(config.identity.google!.clientSecret)).toBe(true);
  });
});

describe("Pulumi.yaml", () => {
  const project = parse(fs.readFileSync(path.join(__dirname, "..", "Pulumi.yaml"), "utf8")) as {
    config: Record<string, { type: string; default: unknown }>;
  };

  it("declares every key with its default", () => {
    const declared = Object.fromEntries(Object.entries(project.config).map(([key, value]) => [key, value.default]));
    expect(declared).toEqual(configDefaults);
  });

  it("declares types matching defaults", () => {
    for (const [key, declaration] of Object.entries(project.config)) {
      const value = configDefaults[key];
      let expected: string = typeof value;
      if (Array.isArray(value)) {
        expected = "array";
      } else if (typeof value === "number") {
        expected = "integer";
      }
      expect({ key, type: declaration.type }).toEqual({ key, type: expected });
    }
  });

  it("keeps image defaults pinned in code", () => {
    for (const [key, field] of Object.entries(imageConfigKeys)) {
      expect({ key, image: project.config[key]?.default }).toEqual({ key, image: defaultImages[field] });
    }
  });
});
