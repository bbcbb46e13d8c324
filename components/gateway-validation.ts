import * as pulumi from "@pulumi/pulumi";
import type { GatewayArgs } from "./gateway";
import { findRouteProblems, isDnsLabel, isHostname, isPathPrefix } from "./routes";

/**
 * Checks the plain Gateway args and throws one ResourceError that lists every problem, each with
 * the value and the fix.
 */
export function validateGatewayArgs(args: GatewayArgs, resource: pulumi.Resource): void {
  const problems = [...findRouteProblems(args.routes)];

  for (const route of args.routes) {
    if (!isDnsLabel(route.name)) {
      problems.push(`route name "${route.name}" is invalid. Use a DNS-1123 label such as "orders-api".`);
    }
    if (!isHostname(route.host)) {
      problems.push(`route "${route.name}" has invalid host "${route.host}". Use a lower-case hostname such as "app.example.com".`);
    }
    if (!isPathPrefix(route.pathPrefix)) {
      problems.push(
        `route "${route.name}" has invalid pathPrefix "${route.pathPrefix}". Use "/" or "/segment" with no trailing "/".`,
      );
    }
    if (route.backend.kind === "service" && !isDnsLabel(route.backend.namespace)) {
      problems.push(`route "${route.name}" has invalid backend namespace "${route.backend.namespace}". Use a DNS-1123 label.`);
    }
    // api@internal is Traefik's dashboard and API, which show the whole routing configuration.
    if (route.backend.kind === "traefik-api" && route.access !== "mtls") {
      problems.push(
        `route "${route.name}" exposes the Traefik dashboard with access "${route.access}". Set access to "mtls".`,
      );
    }
  }

  const namespace = args.namespace ?? "gateway";
  if (!isDnsLabel(namespace)) {
    problems.push(`namespace "${namespace}" is invalid. Use a DNS-1123 label such as "gateway".`);
  }
  if (args.image !== undefined && args.image.trim() === "") {
    problems.push(`image is empty. Leave it unset for the pinned default or give a full image reference.`);
  }

  const certificateSource = args.platform.publicCertificate.kind;
  if (certificateSource === "issued-by-program" && args.defaultCertificate === undefined) {
    problems.push(
      `defaultCertificate is missing, but the platform's public certificate is issued by the program. ` +
        `Pass the certificate and key that the program signs for the public hostnames.`,
    );
  }
  if (certificateSource === "secret" && args.defaultCertificate !== undefined) {
    problems.push(
      `defaultCertificate is set, but the platform serves the public certificate from a Secret. ` +
        `Remove defaultCertificate, because Traefik would serve only one of the two.`,
    );
  }

  const { replicas, gatewayMaxReplicas } = args.platform.availability;
  if (!Number.isInteger(replicas) || replicas < 1) {
    problems.push(`platform.availability.replicas is ${replicas}. Use a whole number of at least 1.`);
  }
  if (gatewayMaxReplicas !== undefined && (!Number.isInteger(gatewayMaxReplicas) || gatewayMaxReplicas < replicas)) {
    problems.push(
      `platform.availability.gatewayMaxReplicas is ${gatewayMaxReplicas}, below replicas ${replicas}. ` +
        `Use a whole number of at least ${replicas}, or leave it unset for a fixed replica count.`,
    );
  }

  const trustedRanges = args.platform.gatewayExposure.proxyProtocolTrustedIPs;
  if (trustedRanges !== undefined && trustedRanges.length === 0) {
    problems.push(
      `platform.gatewayExposure.proxyProtocolTrustedIPs is empty. List the load balancer's source ranges, or leave it unset when it sends no PROXY protocol.`,
    );
  }
  // The ranges become one comma-separated command-line value, so a comma or space inside one would
  // split it or add another flag.
  for (const range of trustedRanges ?? []) {
    if (!/^[0-9A-Fa-f:.]+(\/[0-9]{1,3})?$/.test(range)) {
      problems.push(
        `platform.gatewayExposure.proxyProtocolTrustedIPs contains "${range}". Use an IP address or CIDR range such as "10.0.0.0/16".`,
      );
    }
  }

  if (problems.length > 0) {
    throw new pulumi.ResourceError(`Invalid Gateway arguments:\n- ${problems.join("\n- ")}`, resource);
  }
}
