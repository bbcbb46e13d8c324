/**
 * Route 53 records that point every public and admin host at the gateway's Network Load Balancer.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * Creates one alias A record per host. Alias records also work at the zone apex, where a CNAME
 * is not allowed, and Route 53 resolves them without an extra lookup.
 */
export function createHostRecords(
  name: string,
  hostnames: readonly string[],
  hostedZoneId: pulumi.Input<string>,
  loadBalancerHostname: pulumi.Input<string>,
  parent: pulumi.Resource,
): aws.route53.Record[] {
  // The canonical hosted zone of Network Load Balancers in the stack's region.
  const loadBalancerZoneId = aws.lb.getHostedZoneIdOutput({ loadBalancerType: "network" }, { parent }).id;

  return [...new Set(hostnames)].sort().map(
    (host) =>
      // Keyed by host, so removing one host leaves the other records in place.
      new aws.route53.Record(
        `${name}-dns-${host}`,
        {
          zoneId: hostedZoneId,
          name: host,
          type: "A",
          aliases: [{ name: loadBalancerHostname, zoneId: loadBalancerZoneId, evaluateTargetHealth: true }],
        },
        { parent },
      ),
  );
}
