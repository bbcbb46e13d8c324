import { describe, expect, it } from "vitest";
import { buildAccessRules } from "../components/oathkeeper-config";
import { type Route, findRouteProblems, routeForRequest } from "../components/routes";
import {
  type ForwardedRequest,
  checkRuleProperties,
  compileRulePattern,
  decodedRequestPath,
  ladonRegexSource,
  matchingRuleIds,
  oathkeeperMatchUrl,
  probeRequests,
  toJavaScriptRegExp,
} from "./oathkeeper-matcher";

const service = { kind: "service", namespace: "apps", service: "backend", port: 8080 } as const;

// Several hosts, a public root with session routes inside it, a public route nested in a session
// route, a session root with a public route inside it, and sibling prefixes that share a string
// prefix but no whole segment.
const routes: Route[] = [
  { name: "login-ui", host: "app.example.com", pathPrefix: "/", access: "public", backend: service },
  { name: "kratos-public", host: "app.example.com", pathPrefix: "/.ory/kratos/public", access: "public", backend: service },
  { name: "api", host: "app.example.com", pathPrefix: "/api", access: "session", backend: service },
  { name: "api-docs", host: "app.example.com", pathPrefix: "/api/docs", access: "public", backend: service },
  { name: "account", host: "app.example.com", pathPrefix: "/account", access: "session", backend: service },
  { name: "data", host: "data.example.com", pathPrefix: "/", access: "session", backend: service },
  { name: "data-health", host: "data.example.com", pathPrefix: "/health", access: "public", backend: service },
  { name: "v1", host: "api.example.org", pathPrefix: "/v1", access: "session", backend: service },
  { name: "v1beta", host: "api.example.org", pathPrefix: "/v1beta", access: "session", backend: service },
  { name: "dashboard", host: "admin.example.com", pathPrefix: "/dashboard", access: "mtls", backend: { kind: "traefik-api" } },
];

const rules = buildAccessRules(routes);

function request(url: string, method = "GET"): ForwardedRequest {
  const match = /^([a-z]+):\/\/([^/]+)(\/.*)$/.exec(url);
  if (match === null) {
    throw new Error(`not an absolute URL with a path: ${url}`);
  }
  return { method, scheme: match[1]!, host: match[2]!, uri: match[3]! };
}

function rulesFor(url: string, method = "GET"): string[] {
  return matchingRuleIds(rules, request(url, method));
}

describe("access rule matching", () => {
  it("uses a consistent route table", () => {
    expect(findRouteProblems(routes)).toEqual([]);
  });

  it.each([
    ["https://app.example.com/api", "api"],
    ["https://app.example.com/api/", "api"],
    ["https://app.example.com/api/orders/42", "api"],
    ["https://app.example.com/api/orders.json", "api"],
    ["https://app.example.com/account", "account"],
    ["https://app.example.com/account/settings/", "account"],
    ["https://data.example.com/", "data"],
    ["https://data.example.com/reports/2024", "data"],
    ["https://api.example.org/v1", "v1"],
    ["https://api.example.org/v1/items", "v1"],
    ["https://api.example.org/v1beta", "v1beta"],
    ["https://api.example.org/v1beta/items", "v1beta"],
  ])("session URL %s matches only %s", (url, ruleId) => {
    expect(rulesFor(url)).toEqual([ruleId]);
    const { host, uri } = request(url);
    expect(routeForRequest(routes, host, uri)?.name).toBe(ruleId);
  });

  it.each([
    "https://app.example.com/apis",
    "https://app.example.com/api-v2/x",
    "https://app.example.com/api.json",
    "https://app.example.com/accounts",
    "https://api.example.org/v1x",
    "https://api.example.org/v",
    "https://api.example.org/",
  ])("prefix %s crosses no segment", (url) => {
    expect(rulesFor(url)).toEqual([]);
  });

  it.each([
    ["https://app.example.com/", "login-ui"],
    ["https://app.example.com/login", "login-ui"],
    ["https://app.example.com/.ory/kratos/public/sessions/whoami", "kratos-public"],
  ])("public URL %s matches no rule", (url, routeName) => {
    const { host, uri } = request(url);
    expect(routeForRequest(routes, host, uri)?.name).toBe(routeName);
    expect(rulesFor(url)).toEqual([]);
  });

  // Traefik sends these to the nested public route, which has no forwardAuth, so Oathkeeper
  // receives no request. The session rule around them still matches the URL.
  it.each([
    ["https://app.example.com/api/docs", "api-docs", "api"],
    ["https://app.example.com/api/docs/index.html", "api-docs", "api"],
    ["https://data.example.com/health", "data-health", "data"],
  ])("nested public URL %s skips Oathkeeper", (url, routeName, enclosingRule) => {
    const { host, uri } = request(url);
    const picked = routeForRequest(routes, host, uri);
    expect(picked?.name).toBe(routeName);
    expect(picked?.access).toBe("public");
    expect(rulesFor(url)).toEqual([enclosingRule]);
  });

  it.each([
    "http://app.example.com/api/orders",
    "http://data.example.com/",
    "https://app.example.com.evil.test/api/orders",
    "https://evil.test/app.example.com/api",
    "https://xapp.example.com/api",
    "https://appxexample.com/api",
    "https://app.example.comx/api",
    "https://APP.EXAMPLE.COM/api",
    "https://app.example.com:443/api",
    "https://admin.example.com/dashboard",
  ])("foreign URL %s matches no rule", (url) => {
    expect(rulesFor(url)).toEqual([]);
  });

  it("query string is ignored", () => {
    expect(rulesFor("https://app.example.com/api?return_to=/account")).toEqual(["api"]);
    expect(rulesFor("https://app.example.com/apis?x=/api/")).toEqual([]);
    expect(oathkeeperMatchUrl(request("https://app.example.com/api/x?y=/z"))).toBe("https://app.example.com/api/x");
  });

  it("every standard method matches", () => {
    for (const method of ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]) {
      expect(rulesFor("https://app.example.com/api/x", method)).toEqual(["api"]);
    }
    // Oathkeeper compares methods with strings.EqualFold.
    expect(rulesFor("https://app.example.com/api/x", "post")).toEqual(["api"]);
    expect(rulesFor("https://app.example.com/api/x", "PROPFIND")).toEqual([]);
  });

  it("encoded slash fails closed", () => {
    const encoded = request("https://app.example.com/api%2Forders");
    // Traefik routes by the decoded path, so the request goes to the session route...
    expect(decodedRequestPath(encoded.uri)).toBe("/api/orders");
    expect(routeForRequest(routes, encoded.host, "/api/orders")?.name).toBe("api");
    // ...but Oathkeeper matches the path as the client encoded it, finds no rule and returns 404,
    // which Traefik's forwardAuth turns into a denial.
    expect(oathkeeperMatchUrl(encoded)).toBe("https://app.example.com/api%2Forders");
    expect(matchingRuleIds(rules, encoded)).toEqual([]);
  });

  it("encoded dot segments stay inside", () => {
    const encoded = request("https://app.example.com/api/%2e%2e/account");
    expect(decodedRequestPath(encoded.uri)).toBe("/api/../account");
    expect(oathkeeperMatchUrl(encoded)).toBe("https://app.example.com/api/%2e%2e/account");
    // The encoded text is still under /api/, so the api rule requires a session as usual.
    expect(matchingRuleIds(rules, encoded)).toEqual(["api"]);
    // An encoded path that only decodes into /api matches no rule, so it is denied.
    expect(rulesFor("https://app.example.com/%61pi/orders")).toEqual([]);
  });

  it("rules satisfy all route properties", () => {
    expect(checkRuleProperties(routes, rules)).toEqual([]);
  });

  it("probe table covers every route", () => {
    const probes = probeRequests(routes);
    for (const route of routes) {
      expect(probes.some((probe) => probe.host === route.host && probe.uri === route.pathPrefix)).toBe(true);
    }
  });
});

describe("checkRuleProperties", () => {
  it("reports a rule without segment boundary", () => {
    const loose = rules.map((rule) => (rule.id === "v1" ? { ...rule, match: { ...rule.match, url: "https://api.example.org/v1<.*>" } } : rule));
    const problems = checkRuleProperties(routes, loose);
    expect(problems).toContain("GET https://api.example.org/v1beta matches 2 rules: v1, v1beta");
    expect(problems.some((problem) => problem.startsWith("GET https://api.example.org/v1x matches rule(s) [v1]"))).toBe(true);
  });

  it("reports a rule across hosts", () => {
    const anyHost = rules.map((rule) => (rule.id === "account" ? { ...rule, match: { ...rule.match, url: "https://<.*>/account<(/.*)?>" } } : rule));
    const problems = checkRuleProperties(routes, anyHost);
    expect(problems.some((problem) => problem.includes("app.example.com.evil.test") && problem.includes("[account]"))).toBe(true);
  });

  it("reports a missing rule", () => {
    const problems = checkRuleProperties(routes, rules.filter((rule) => rule.id !== "data"));
    expect(problems[0]).toBe(
      "rule ids [api, account, v1, v1beta] differ from the session routes [api, account, data, v1, v1beta]",
    );
  });
});

describe("regexp strategy model", () => {
  it("quotes literals like ladon", () => {
    expect(ladonRegexSource("https://app.example.com/api<(/.*)?>")).toBe("^https://app\\.example\\.com/api((/.*)?)$");
    expect(ladonRegexSource("https://a.test/<.*>/b+c")).toBe("^https://a\\.test/(.*)/b\\+c$");
  });

  it("keeps dots in hosts literal", () => {
    const pattern = compileRulePattern("https://a.example.com/<.*>");
    expect(pattern.test("https://a.example.com/x")).toBe(true);
    expect(pattern.test("https://aXexample.com/x")).toBe(false);
  });

  it("dot never matches newline", () => {
    expect(compileRulePattern("https://a.test/<.*>").test("https://a.test/x\ny")).toBe(false);
    expect(compileRulePattern("https://a.test/<.*>").test("https://a.test/x\ry")).toBe(true);
  });

  it("rejects delimiters out of balance", () => {
    expect(() => ladonRegexSource("https://a.test/<.*")).toThrow('unbalanced delimiters in pattern "https://a.test/<.*"');
    expect(() => ladonRegexSource("https://a.test/.*>")).toThrow('unbalanced delimiters in pattern "https://a.test/.*>"');
  });

  it("rejects syntax outside the subset", () => {
    expect(() => toJavaScriptRegExp("^(?<=a)b$")).toThrow('group syntax "(?<" is outside the supported subset: ^(?<=a)b$');
    expect(() => toJavaScriptRegExp("^\\Ab$")).toThrow("escape \\A is outside the supported subset: ^\\Ab$");
  });
});
