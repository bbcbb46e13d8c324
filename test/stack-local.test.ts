import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { type StackConfig, loadConfig } from "../stacks/config";
import { checkRuleProperties } from "./oathkeeper-matcher";
import { describeWithSchemas } from "./schemas";
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

let evaluation: StackEvaluation;
let objects: KubernetesObject[];
let config: StackConfig;
let program: Record<string, unknown>;

beforeAll(async () => {
  evaluation = await evaluateStack("local", async () => {
    program = await import("../index");
    return program;
  });
  objects = kubernetesObjects(evaluation.resources);
  config = loadConfig(new pulumi.Config("apigw"));
});

describe("local stack", () => {
  it("declares every component", () => {
    const components = evaluation.resources.filter((resource) => resource.type.startsWith("apigw:index:")).map((resource) => resource.type);
    expect(components.sort()).toEqual(
      [
        "apigw:index:AuthProxy",
        "apigw:index:Gateway",
        "apigw:index:IdentityProvider",
        "apigw:index:LocalCertificate",
        "apigw:index:MtlsCA",
        "apigw:index:Postgres",
        "apigw:index:SampleApps",
      ].sort(),
    );
  });

  it("creates the kind cluster", () => {
    const commands = evaluation.resources.filter((resource) => resource.type === "command:local:Command");
    expect(commands.some((command) => String(command.inputs.create).includes("kind create cluster"))).toBe(true);
  });

  it("puts every object on the platform provider", () => {
    const provider = evaluation.resources.find((resource) => resource.type === "pulumi:providers:kubernetes");
    expect(provider).toBeDefined();
    const kubernetes = evaluation.resources.filter((resource) => resource.type.startsWith("kubernetes:") && resource.custom);
    for (const resource of kubernetes) {
      expect(resource.provider ?? "", resource.name).toContain(`::${provider!.name}::`);
    }
  });

  it("routes match the route list", () => {
    expect(routingProblems(objects, config.routes)).toEqual([]);
  });

  it("rules match Traefik's routing", () => {
    expect(checkRuleProperties(config.routes, accessRules(objects))).toEqual([]);
  });

  it("keeps secrets out of ConfigMaps and outputs", () => {
    const { staffCertificates, ...plainOutputs } = evaluation.outputs;
    void staffCertificates;
    const { problems, secretCount } = secretLeakProblems(evaluation.resources, objects, plainOutputs);
    expect(problems).toEqual([]);
    // Passwords, private keys and Secret values: enough that the scan above means something.
    expect(secretCount).toBeGreaterThan(10);
  });

  it("marks staff certificates secret", async () => {
    expect(await pulumi.isSecret(program.staffCertificates as pulumi.Output<unknown>)).toBe(true);
    expect(await pulumi.isSecret(program.staffCaCertificatePem as pulumi.Output<unknown>)).toBe(false);
  });

  it("locks down every pod", () => {
    expect(podSecurityProblems(objects)).toEqual([]);
  });

  it("outputs URLs for every route", () => {
    const urls = evaluation.outputs.routeUrls as Record<string, string>;
    expect(urls.echo).toBe("https://app.gateway.localhost/api/echo/");
    expect(urls["traefik-dashboard"]).toBe("https://admin.gateway.localhost/dashboard/");
    expect(evaluation.outputs.loginUrl).toBe("https://app.gateway.localhost/login");
  });

  it("outputs the local CA that signed the server certificate", () => {
    const ca = new crypto.X509Certificate(evaluation.outputs.localCaCertificatePem as string);
    const defaultCertificate = objects.find((object) => object.kind === "Secret" && object.type === "kubernetes.io/tls");
    const server = new crypto.X509Certificate((defaultCertificate!.stringData as Record<string, string>)["tls.crt"]!);
    expect(server.verify(ca.publicKey)).toBe(true);
    for (const host of ["app.gateway.localhost", "admin.gateway.localhost"]) {
      expect(server.checkHost(host), host).toBe(host);
    }
  });

  it("outputs certificate commands per staff member", () => {
    const commands = evaluation.outputs.staffCertificateCommands as Record<string, string>;
    expect(Object.keys(commands).sort()).toEqual(["alice", "bob"]);
    expect(commands.alice).toContain("openssl pkcs12 -export");
  });
});

describeWithSchemas("local stack documents", () => {
  it("validate against upstream schemas", () => {
    const report = documentValidationProblems(objects);
    expect(report.problems).toEqual([]);
    expect(report.validated).toBe(report.generated);
    // Every Kubernetes object plus the Kratos config, identity schema, Oathkeeper config and rules.
    expect(report.generated).toBe(objects.length + 4);
  });
});
