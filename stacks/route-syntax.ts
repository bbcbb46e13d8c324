/**
 * The one-line syntax for routes and staff members in stack config.
 *
 * Pulumi project config can declare strings, numbers, booleans and arrays of them, but not
 * objects, so each route and each staff member is one string:
 *
 *   routes:  "<name> <access> <host><pathPrefix> -> <namespace>/<service>:<port> [strip-prefix]"
 *            "echo session app.gateway.localhost/api/echo -> apps/echo:8080"
 *   staff:   "<id>: <name> [<email>]"
 *            "alice: Alice Example <alice@example.com>"
 */
import { isDnsLabel, isHostname, isPathPrefix, isServiceName, routeAccessLevels, type Route, type RouteAccess } from "../components/routes";

/** One staff member who gets an mTLS client certificate. */
export interface StaffEntry {
  readonly id: string;
  readonly name: string;
  readonly email?: string;
}

export const routeSyntax = "<name> <public|session|mtls> <host>/<path> -> <namespace>/<service>:<port> [strip-prefix]";
export const staffSyntax = "<id>: <name> [<email>]";

// Fields are separated by ASCII spaces only, so a tab or a non-breaking space pasted from a document
// shows up as a syntax error instead of being read differently.
const routePattern =
  /^(?<name>\S+) +(?<access>\S+) +(?<host>[^/\s]+)(?<path>\/\S*) +-> +(?<namespace>[^/\s]+)\/(?<service>[^:\s]+):(?<port>\S+)(?<flags>(?: +\S+)*) *$/;
const staffPattern = /^(?<id>[^:\s]+):\s*(?<name>[^<>]*?)\s*(?:<(?<email>[^<>\s]+)>)?\s*$/;
const emailPattern = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
// Letters of any script, digits, spaces and the punctuation of personal names. The name goes into
// a certificate subject and into the shell commands of a stack output, so quotes, `$`, backticks
// and backslashes are excluded.
const staffNamePattern = /^[\p{L}\p{M}\p{N} .,'()-]+$/u;

/** Result of parsing one entry: the value, or the problems found in it. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/** Parses one route entry. Problems describe the part that is wrong, without the config key. */
export function parseRoute(entry: string): Parsed<Route> {
  const match = routePattern.exec(entry.replace(/^ +| +$/g, ""));
  if (match?.groups === undefined) {
    return { ok: false, problems: [`does not follow the route syntax "${routeSyntax}"`] };
  }
  const { name, access, host, path, namespace, service, port, flags } = match.groups as Record<string, string>;
  const problems: string[] = [];

  if (!isDnsLabel(name!)) {
    problems.push(`name "${name}" must be a DNS-1123 label (lower-case letters, digits and "-", at most 63 characters)`);
  }
  if (!routeAccessLevels.includes(access as RouteAccess)) {
    problems.push(`access "${access}" must be one of ${routeAccessLevels.join(", ")}`);
  }
  if (!isHostname(host!)) {
    problems.push(`host "${host}" must be a lower-case hostname such as app.example.com`);
  }
  if (!isPathPrefix(path!)) {
    problems.push(
      `path prefix "${path}" must be "/" or "/segment[/segment...]" without a trailing "/", using only letters, digits and "._~-"`,
    );
  }
  if (!isDnsLabel(namespace!)) {
    problems.push(`namespace "${namespace}" must be a DNS-1123 label`);
  }
  if (!isServiceName(service!)) {
    problems.push(`service "${service}" must be a Kubernetes Service name (lower-case letters, digits and "-", starting with a letter)`);
  }
  const portNumber = /^[0-9]{1,5}$/.test(port!) ? Number(port) : Number.NaN;
  if (!Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535) {
    problems.push(`port "${port}" must be an integer from 1 to 65535`);
  }
  const flagList = (flags ?? "").trim().split(/\s+/).filter((flag) => flag !== "");
  const unknownFlags = flagList.filter((flag) => flag !== "strip-prefix");
  if (unknownFlags.length > 0) {
    problems.push(`unknown option(s) ${unknownFlags.map((flag) => `"${flag}"`).join(", ")}; the only option is "strip-prefix"`);
  }

  if (problems.length > 0) {
    return { ok: false, problems };
  }
  return {
    ok: true,
    value: {
      name: name!,
      host: host!,
      pathPrefix: path!,
      access: access as RouteAccess,
      backend: { kind: "service", namespace: namespace!, service: service!, port: portNumber },
      stripPrefix: flagList.includes("strip-prefix"),
    },
  };
}

/** Parses one staff entry. Problems describe the part that is wrong, without the config key. */
export function parseStaff(entry: string): Parsed<StaffEntry> {
  const match = staffPattern.exec(entry.trim());
  if (match?.groups === undefined) {
    return { ok: false, problems: [`does not follow the staff syntax "${staffSyntax}"`] };
  }
  const { id, name, email } = match.groups as Record<string, string | undefined>;
  const problems: string[] = [];
  if (!isDnsLabel(id!)) {
    problems.push(`id "${id}" must be a DNS-1123 label, because it names the certificate resources`);
  }
  if (name === undefined || name === "") {
    problems.push(`name is missing after "${id}:"`);
  } else if (!staffNamePattern.test(name)) {
    problems.push(`name "${name}" may contain only letters, digits, spaces and . , ' ( ) -`);
  }
  if (email !== undefined && !emailPattern.test(email)) {
    problems.push(`email "${email}" is not an email address`);
  }
  if (problems.length > 0) {
    return { ok: false, problems };
  }
  return { ok: true, value: { id: id!, name: name!, ...(email !== undefined ? { email } : {}) } };
}
