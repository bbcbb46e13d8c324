import { describe, expect, it } from "vitest";
import { defineStackSuite } from "./stack-suite";

const dev = defineStackSuite("dev");

describe("dev stack specifics", () => {
  it("runs on EKS with RDS", () => {
    const types = new Set(dev.evaluation.resources.map((resource) => resource.type));
    expect(types.has("eks:index:Cluster")).toBe(true);
    expect(types.has("aws:rds/instance:Instance")).toBe(true);
    expect(types.has("apigw:index:Postgres")).toBe(false);
    expect(types.has("apigw:index:LocalCertificate")).toBe(false);
  });

  it("exposes Traefik through an NLB", () => {
    const service = dev.objects.find((object) => object.kind === "Service" && object.metadata.name === "traefik");
    const spec = service!.spec as { type: string };
    expect(spec.type).toBe("LoadBalancer");
    const annotations = service!.metadata.annotations as Record<string, string>;
    expect(annotations["service.beta.kubernetes.io/aws-load-balancer-type"]).toBe("external");
    expect(annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"]).toBe("internet-facing");
  });

  it("points DNS at the load balancer", () => {
    const records = dev.evaluation.resources.filter((resource) => resource.type === "aws:route53/record:Record");
    expect(records.map((record) => record.inputs.name).sort()).toEqual(["admin.dev.example.com", "app.dev.example.com"]);
    for (const record of records) {
      expect(JSON.stringify(record.inputs)).toContain(".elb.");
    }
  });

  it("runs two replicas of each gateway part", () => {
    for (const name of ["kratos", "oathkeeper"]) {
      const deployment = dev.objects.find((object) => object.kind === "Deployment" && String(object.resourceName).includes(name) && !String(object.resourceName).includes("courier"));
      expect((deployment!.spec as { replicas: number }).replicas, name).toBe(2);
    }
    expect(dev.objects.some((object) => object.kind === "HorizontalPodAutoscaler")).toBe(true);
  });

  it("keeps the courier single", () => {
    const courier = dev.objects.find((object) => object.kind === "Deployment" && String(object.resourceName).includes("courier"));
    expect((courier!.spec as { replicas: number }).replicas).toBe(1);
  });
});
