/**
 * A model of how Oathkeeper v26.2.0 picks an access rule for a decisions request, and checks that
 * the access rules built from a route list agree with the routes Traefik picks.
 *
 * Sources in ory/oathkeeper, read on its main branch (NOTE: not at the v26.2.0 tag itself):
 * - api/decision.go: the URL is `X-Forwarded-Proto://X-Forwarded-Host` plus X-Forwarded-Uri cut
 *   at the first `?`, assigned to `URL.Path` as it arrives, so it is never percent-decoded.
 * - rule/rule.go `IsMatching`: the method must equal one of `match.methods` ignoring case, then
 *   the pattern must match `scheme://host/path`.
 * - rule/engine_regexp.go: the `regexp` strategy compiles `match.url` with ory/ladon's
 *   compiler.CompileRegex (delimiters `<` and `>`) into a dlclark/regexp2 expression in RE2 mode.
 * - rule/repository_memory.go `Match`: no matching rule is a 404 and more than one is a 500.
 */
import { type Route, pathIsUnderPrefix, routeForRequest } from "../components/routes";

/** The parts of an access rule that decide which requests it matches. */
export interface MatchableRule {
  readonly id: string;
  readonly match: { readonly url: string; readonly methods: readonly string[] };
}

/** What Traefik's forwardAuth sends to the decisions endpoint about the original request. */
export interface ForwardedRequest {
  /** X-Forwarded-Method. */
  readonly method: string;
  /** X-Forwarded-Proto, `https` on Traefik's TLS entry point. */
  readonly scheme: string;
  /** X-Forwarded-Host, the Host header exactly as the client sent it. */
  readonly host: string;
  /** X-Forwarded-Uri, the request URI as the client sent it: escaped path and query. */
  readonly uri: string;
}

/**
 * Builds the URL that Oathkeeper matches rules against, from the forwarded headers.
 *
 * The path keeps the client's percent-encoding, so `/api%2Fx` stays `/api%2Fx`. When
 * X-Forwarded-Uri is empty, Oathkeeper uses the part of its own request path after `/decisions`.
 */
export function oathkeeperMatchUrl(request: ForwardedRequest, decisionsPathSuffix = ""): string {
  const path = request.uri.split("?")[0] || decisionsPathSuffix;
  return `${request.scheme}://${request.host}${path}`;
}

// Characters that Go's regexp.QuoteMeta escapes (src/regexp/regexp.go, `special`).
const goRegexpSpecials = new Set("\\.+*?()|[]{}^$");

/** Escapes a literal as Go's regexp.QuoteMeta does: a backslash before each special character. */
export function goQuoteMeta(literal: string): string {
  return [...literal].map((character) => (goRegexpSpecials.has(character) ? `\\${character}` : character)).join("");
}

/**
 * Splits a rule pattern into literal and expression parts at the outermost `<` and `>`, and
 * throws on unbalanced delimiters, as ladon's delimiterIndices does.
 */
function splitAtDelimiters(pattern: string): Array<{ literal: string; expression?: string }> {
  const parts: Array<{ literal: string; expression?: string }> = [];
  let depth = 0;
  let literalStart = 0;
  let expressionStart = 0;
  for (let index = 0; index < pattern.length; index++) {
    const character = pattern[index];
    if (character === "<") {
      depth++;
      if (depth === 1) {
        expressionStart = index;
      }
    } else if (character === ">") {
      depth--;
      if (depth === 0) {
        parts.push({ literal: pattern.slice(literalStart, expressionStart), expression: pattern.slice(expressionStart + 1, index) });
        literalStart = index + 1;
      } else if (depth < 0) {
        throw new Error(`unbalanced delimiters in pattern ${JSON.stringify(pattern)}`);
      }
    }
  }
  if (depth !== 0) {
    throw new Error(`unbalanced delimiters in pattern ${JSON.stringify(pattern)}`);
  }
  parts.push({ literal: pattern.slice(literalStart) });
  return parts;
}

/**
 * Builds the regular expression source that ladon's CompileRegex produces: `^`, each literal
 * quoted with QuoteMeta, each expression wrapped in a capture group, and `$`.
 */
export function ladonRegexSource(pattern: string): string {
  const body = splitAtDelimiters(pattern)
    .map((part) => goQuoteMeta(part.literal) + (part.expression === undefined ? "" : `(${part.expression})`))
    .join("");
  return `^${body}$`;
}

// RE2 character classes, which regexp2 in RE2 mode uses for \d, \s and \w (they are ASCII only).
const re2ClassEscapes: Record<string, string> = { d: "[0-9]", s: "[\\t\\n\\f\\r ]", w: "[0-9A-Za-z_]" };

/**
 * Translates a regexp2 expression (RE2 mode, no other options) into an equivalent JavaScript
 * RegExp, for the syntax that access rules here use. Anything outside that subset throws rather
 * than being matched with different semantics.
 *
 * Differences handled: regexp2's `.` matches everything except `\n`, while JavaScript's also
 * excludes `\r`, U+2028 and U+2029. `$` in RE2 mode matches only at the end of the input, which
 * is what JavaScript's `$` does without the `m` flag.
 */
export function toJavaScriptRegExp(regexp2Source: string): RegExp {
  let translated = "";
  let inClass = false;
  for (let index = 0; index < regexp2Source.length; index++) {
    const character = regexp2Source[index]!;
    if (character === "\\") {
      const escaped = regexp2Source[index + 1];
      if (escaped === undefined) {
        throw new Error(`pattern ends with a backslash: ${regexp2Source}`);
      }
      index++;
      if (/[A-Za-z0-9]/.test(escaped)) {
        const replacement = re2ClassEscapes[escaped];
        if (replacement === undefined || inClass) {
          throw new Error(`escape \\${escaped} is outside the supported subset: ${regexp2Source}`);
        }
        translated += replacement;
      } else {
        translated += `\\${escaped}`;
      }
      continue;
    }
    if (inClass) {
      translated += character;
      inClass = character !== "]";
      continue;
    }
    if (character === "[") {
      inClass = true;
      translated += character;
    } else if (character === ".") {
      translated += "[^\\n]";
    } else if (character === "(" && regexp2Source[index + 1] === "?") {
      if (regexp2Source[index + 2] !== ":") {
        throw new Error(`group syntax "(?${regexp2Source[index + 2] ?? ""}" is outside the supported subset: ${regexp2Source}`);
      }
      translated += "(?:";
      index += 2;
    } else {
      translated += character;
    }
  }
  return new RegExp(translated, "u");
}

const compiledPatterns = new Map<string, RegExp>();

/** Compiles a rule's `match.url` as Oathkeeper's regexp matching strategy does. */
export function compileRulePattern(pattern: string): RegExp {
  let compiled = compiledPatterns.get(pattern);
  if (compiled === undefined) {
    compiled = toJavaScriptRegExp(ladonRegexSource(pattern));
    compiledPatterns.set(pattern, compiled);
  }
  return compiled;
}

/** Checks whether one rule matches a method and a match URL, as `Rule.IsMatching` does. */
export function ruleMatches(rule: MatchableRule, method: string, matchUrl: string): boolean {
  // Go's strings.EqualFold. Method names are ASCII, so upper-casing both sides is equivalent.
  if (!rule.match.methods.some((allowed) => allowed.toUpperCase() === method.toUpperCase())) {
    return false;
  }
  return compileRulePattern(rule.match.url).test(matchUrl);
}

/** Returns the ids of every rule that matches a forwarded request. Oathkeeper accepts exactly one. */
export function matchingRuleIds(rules: readonly MatchableRule[], request: ForwardedRequest): string[] {
  const matchUrl = oathkeeperMatchUrl(request);
  return rules.filter((rule) => ruleMatches(rule, request.method, matchUrl)).map((rule) => rule.id);
}

/**
 * Decodes the path of a request URI as Go's url.Parse does for `URL.Path`, which Traefik's
 * Path and PathPrefix matchers read. Returns undefined for an invalid escape, which Go rejects.
 */
export function decodedRequestPath(uri: string): string | undefined {
  const rawPath = uri.split("?")[0] ?? "";
  const bytes: number[] = [];
  for (let index = 0; index < rawPath.length; index++) {
    const character = rawPath[index]!;
    if (character === "%") {
      const hex = rawPath.slice(index + 1, index + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) {
        return undefined;
      }
      bytes.push(Number.parseInt(hex, 16));
      index += 2;
    } else {
      bytes.push(...Buffer.from(character, "utf8"));
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

/** Returns the host that Traefik routes by: lower case and without a port (its request decorator). */
export function traefikRoutingHost(host: string): string {
  return host.replace(/:[0-9]*$/, "").toLowerCase();
}

/**
 * Builds requests that probe every route: the prefix itself, with a trailing slash, deeper paths,
 * a sibling that shares the prefix as a string, a query string, encoded paths, other schemes and
 * look-alike hosts.
 */
export function probeRequests(routes: readonly Route[]): ForwardedRequest[] {
  const requests: ForwardedRequest[] = [];
  const hosts = [...new Set(routes.map((route) => route.host))];
  for (const route of routes) {
    const base = route.pathPrefix === "/" ? "" : route.pathPrefix;
    const paths = [
      route.pathPrefix,
      `${base}/`,
      `${base}/deeper/path`,
      `${base}/file.json`,
      `${base}x`,
      `${base}-other/x`,
      `${base}?return_to=/elsewhere`,
      `${base}/x?next=${base}`,
      `${base}%2Fx`,
      `${base}/%2e%2e/x`,
      `${base}/%2E%2E%2F..%2Fother`,
    ];
    for (const uri of paths) {
      requests.push({ method: "GET", scheme: "https", host: route.host, uri });
    }
    const uri = `${base}/deeper`;
    requests.push({ method: "GET", scheme: "http", host: route.host, uri });
    requests.push({ method: "POST", scheme: "https", host: route.host, uri });
    requests.push({ method: "delete", scheme: "https", host: route.host, uri });
    requests.push({ method: "GET", scheme: "https", host: route.host.toUpperCase(), uri });
    requests.push({ method: "GET", scheme: "https", host: `${route.host}:443`, uri });
    requests.push({ method: "GET", scheme: "https", host: `${route.host}.evil.test`, uri });
    requests.push({ method: "GET", scheme: "https", host: `x${route.host}`, uri });
    requests.push({ method: "GET", scheme: "https", host: route.host.replace(".", "x"), uri });
  }
  for (const host of hosts) {
    requests.push({ method: "GET", scheme: "https", host, uri: "/" });
    requests.push({ method: "GET", scheme: "https", host, uri: "/unrouted/path" });
  }
  return requests;
}

/** Checks whether Oathkeeper matches on the same host and path that Traefik routes by. */
function isCanonical(request: ForwardedRequest): boolean {
  const path = request.uri.split("?")[0] ?? "";
  return request.host === traefikRoutingHost(request.host) && !path.includes("%");
}

/**
 * Checks access rules against the routes they were built from, over the probe requests (or the
 * given ones), and returns one message per violation. An empty list means all of these are true:
 *
 * 1. There is exactly one rule per `session` route, with the route name as id, and no other rule.
 * 2. No URL matches more than one rule, so Oathkeeper never returns 500 for an overlap.
 * 3. A URL with a scheme other than https matches no rule.
 * 4. For an https request whose host and path reach Oathkeeper in the form Traefik routes by
 *    (lower-case host without port, no percent-encoding), the matching rules are exactly the session routes whose
 *    Traefik rule accepts the request. So when Traefik picks session route R, only R's rule
 *    matches. When Traefik picks a public or mtls route, forwardAuth is not on that router and
 *    Oathkeeper receives no request. A rule can still match that URL, but only the rule of a session
 *    route on the same host whose prefix contains the picked route's prefix.
 * 5. For any other request (encoded path, upper-case host, explicit port), every matching rule
 *    belongs to a session route that Traefik's rule accepts for the decoded request. Such a request
 *    may match no rule, so Oathkeeper returns 404 and Traefik denies it (fail closed).
 */
export function checkRuleProperties(
  routes: readonly Route[],
  rules: readonly MatchableRule[],
  requests: readonly ForwardedRequest[] = probeRequests(routes),
): string[] {
  const problems: string[] = [];

  const sessionNames = routes.filter((route) => route.access === "session").map((route) => route.name);
  const ruleIds = rules.map((rule) => rule.id);
  if (JSON.stringify([...ruleIds].sort()) !== JSON.stringify([...sessionNames].sort())) {
    problems.push(`rule ids [${ruleIds.join(", ")}] differ from the session routes [${sessionNames.join(", ")}]`);
  }

  for (const request of requests) {
    const url = oathkeeperMatchUrl(request);
    const matched = matchingRuleIds(rules, request);
    if (matched.length > 1) {
      problems.push(`${request.method} ${url} matches ${matched.length} rules: ${matched.join(", ")}`);
    }
    if (request.scheme !== "https") {
      if (matched.length > 0) {
        problems.push(`${request.method} ${url} uses scheme ${request.scheme} but matches rule(s) ${matched.join(", ")}`);
      }
      continue;
    }

    const host = traefikRoutingHost(request.host);
    const path = decodedRequestPath(request.uri);
    if (path === undefined) {
      // Go rejects the request URI, so the request reaches neither Traefik's routers nor Oathkeeper.
      continue;
    }
    const accepting = routes
      .filter((route) => route.access === "session" && route.host === host && pathIsUnderPrefix(path, route.pathPrefix))
      .map((route) => route.name);
    const picked = routeForRequest(routes, host, path);

    if (isCanonical(request)) {
      if (JSON.stringify([...matched].sort()) !== JSON.stringify([...accepting].sort())) {
        problems.push(
          `${request.method} ${url} matches rule(s) [${matched.join(", ")}] but the session routes that accept it are [${accepting.join(", ")}]`,
        );
      }
      if (picked?.access === "session" && (matched.length !== 1 || matched[0] !== picked.name)) {
        problems.push(`${request.method} ${url} goes to session route "${picked.name}" but matches rule(s) [${matched.join(", ")}]`);
      }
      continue;
    }

    const foreign = matched.filter((id) => !accepting.includes(id));
    if (foreign.length > 0) {
      problems.push(
        `${request.method} ${url} (routed as ${host}${path}) matches rule(s) [${foreign.join(", ")}] of routes that do not accept it`,
      );
    }
  }
  return problems;
}
