import { describe, expect, it } from "vitest";
import { defineStackSuite } from "./stack-suite";

const prod = defineStackSuite("prod");

describe("prod stack specifics", () => {
  it("protects the identity database", () => {
    const database = prod.evaluation.resources.find((resource) => resource.type === "aws:rds/instance:Instance");
    expect(database!.inputs.multiAz).toBe(true);
    expect(database!.inputs.deletionProtection).toBe(true);
    expect(database!.inputs.backupRetentionPeriod).toBeGreaterThanOrEqual(7);
    expect(database!.inputs.skipFinalSnapshot).toBe(false);
    expect(database!.inputs.storageEncrypted).toBe(true);
  });

  it("deploys no sample apps", () => {
    expect(prod.evaluation.resources.some((resource) => resource.type === "apigw:index:SampleApps")).toBe(false);
  });

  it("spreads three replicas with budgets", () => {
    const budgets = prod.objects.filter((object) => object.kind === "PodDisruptionBudget");
    expect(budgets.length).toBeGreaterThanOrEqual(3);
    const traefik = prod.objects.find((object) => object.kind === "HorizontalPodAutoscaler");
    expect((traefik!.spec as { minReplicas: number; maxReplicas: number }).minReplicas).toBe(3);
    expect((traefik!.spec as { minReplicas: number; maxReplicas: number }).maxReplicas).toBe(10);
  });
});
