/**
 * The checks every stack gets, as one vitest suite: evaluate the stack from its stack file, then
 * test routing, rule matching, secrets, pod security and upstream schemas on what it declared.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { type StackConfig, loadConfig } from "../stacks/config";
import { checkRuleProperties } from "./oathkeeper-matcher";
import { describeWithSchemas, schemasFromDownloadCache, validateKubernetesObject } from "./schemas";
import {
  accessRules,
  documentValidationProblems,
  kubernetesObjects,
  podSecurityProblems,
  routingProblems,
  secretLeakProblems,
  type KubernetesObject,
} from "./stack-checks";
import { evaluateStack, type StackEvaluation } from "./stack-harness";

/** What a stack suite evaluated, for the stack-specific tests next to it. */
export interface EvaluatedStack {
  evaluation: StackEvaluation;
  objects: KubernetesObject[];
  config: StackConfig;
  /** The program's exports as they are, so tests can ask `pulumi.isSecret`. */
  program: Record<string, unknown>;
}

/** Stack outputs that are secret by design and so skipped by the plain-output leak scan. */
const secretOutputs = new Set(["staffCertificates", "cluster"]);

/**
 * Evaluates the stack once in `beforeAll` and declares the shared checks. Returns an object whose
 * fields are filled in before the first test runs.
 */
export function defineStackSuite(stack: string): EvaluatedStack {
  const evaluated = {} as EvaluatedStack;

  beforeAll(async () => {
    evaluated.evaluation = await evaluateStack(stack, async () => {
      evaluated.program = await import("../index");
      return evaluated.program;
    });
    evaluated.objects = kubernetesObjects(evaluated.evaluation.resources);
    evaluated.config = loadConfig(new pulumi.Config("apigw"));
  });

  describe(`${stack} stack`, () => {
    it("declares every core component", () => {
      const components = new Set(evaluated.evaluation.resources.map((resource) => resource.type));
      for (const type of ["apigw:index:Gateway", "apigw:index:IdentityProvider", "apigw:index:AuthProxy", "apigw:index:MtlsCA"]) {
        expect(components.has(type), type).toBe(true);
      }
    });

    it("puts cluster objects on platform provider", () => {
      const providers = evaluated.evaluation.resources.filter((resource) => resource.type === "pulumi:providers:kubernetes");
      expect(providers.length).toBeGreaterThan(0);
      const kubernetes = evaluated.evaluation.resources.filter((resource) => resource.type.startsWith("kubernetes:") && resource.custom);
      for (const resource of kubernetes) {
        const provider = resource.provider ?? "";
        expect(providers.some((candidate) => provider.includes(`::${candidate.name}::`)), `${resource.type} ${resource.name}`).toBe(true);
      }
    });

    it("routes match the route list", () => {
      expect(routingProblems(evaluated.objects, evaluated.config.routes)).toEqual([]);
    });

    it("rules match Traefik's routing", () => {
      expect(checkRuleProperties(evaluated.config.routes, accessRules(evaluated.objects))).toEqual([]);
    });

    it("keeps secrets out of ConfigMaps and outputs", () => {
      const plainOutputs = Object.fromEntries(Object.entries(evaluated.evaluation.outputs).filter(([name]) => !secretOutputs.has(name)));
      const { problems, secretCount } = secretLeakProblems(evaluated.evaluation.resources, evaluated.objects, plainOutputs);
      expect(problems).toEqual([]);
      // Passwords, private keys and Secret values: enough that the scan above means something.
      expect(secretCount).toBeGreaterThan(8);
    });

    it("marks staff certificates secret", async () => {
      expect(await pulumi.isSecret(evaluated.program.staffCertificates as pulumi.Output<unknown>)).toBe(true);
      expect(await pulumi.isSecret(evaluated.program.staffCaCertificatePem as pulumi.Output<unknown>)).toBe(false);
    });

    it("component namespaces enforce restricted pods", () => {
      const namespaces = evaluated.objects.filter((object) => object.kind === "Namespace" && ["gateway", "identity", "auth", "apps"].includes(object.metadata.name ?? ""));
      expect(namespaces.length).toBeGreaterThanOrEqual(3);
      for (const namespace of namespaces) {
        expect((namespace.metadata.labels as Record<string, string>)["pod-security.kubernetes.io/enforce"], namespace.metadata.name).toBe("restricted");
      }
    });

    it("locks down every pod", () => {
      expect(podSecurityProblems(evaluated.objects)).toEqual([]);
    });

    // kubernetes-models ships the Kubernetes OpenAPI schema, so this check needs no schema folder.
    it("built-in objects match Kubernetes schema", () => {
      const builtIn = evaluated.objects.filter((object) => !object.apiVersion.startsWith("traefik.io/"));
      expect(builtIn.length).toBeGreaterThan(10);
      for (const object of builtIn) {
        const { resourceName, ...manifest } = object;
        expect(validateKubernetesObject(manifest), `${object.kind} ${resourceName}`).toEqual([]);
      }
    });

    it("outputs a URL for every route", () => {
      const urls = evaluated.evaluation.outputs.routeUrls as Record<string, string>;
      expect(Object.keys(urls).sort()).toEqual(evaluated.config.routes.map((route) => route.name).sort());
      for (const route of evaluated.config.routes) {
        expect(urls[route.name]!.startsWith(`https://${route.host}${route.pathPrefix}`), route.name).toBe(true);
      }
    });
  });

  describeWithSchemas(`${stack} stack documents`, () => {
    it("validate against upstream schemas", () => {
      const report = documentValidationProblems(evaluated.objects);
      expect(report.problems).toEqual([]);
      for (const reason of report.skipped) {
        console.warn(`NOTICE: not validated: ${reason}`);
      }
      // Under CI every schema must be present, so nothing may be skipped there, except the
      // access-rule schema when the schemas come from the download cache, which cannot hold it.
      const mustBeComplete = process.env.CI === "true" && !schemasFromDownloadCache();
      expect(mustBeComplete ? report.skipped : []).toEqual([]);
      expect(report.validated + report.skipped.length).toBe(report.generated);
      // Every Kubernetes object plus the Kratos config, identity schema, Oathkeeper config and rules.
      expect(report.generated).toBe(evaluated.objects.length + 4);
    });
  });

  return evaluated;
}
