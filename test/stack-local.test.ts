import * as crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { defineStackSuite } from "./stack-suite";

const local = defineStackSuite("local");

describe("local stack specifics", () => {
  it("declares the local extras", () => {
    const types = new Set(local.evaluation.resources.map((resource) => resource.type));
    expect(types.has("apigw:index:LocalCertificate")).toBe(true);
    expect(types.has("apigw:index:SampleApps")).toBe(true);
    expect(types.has("apigw:index:Postgres")).toBe(true);
  });

  it("creates the kind cluster", () => {
    const commands = local.evaluation.resources.filter((resource) => resource.type === "command:local:Command");
    expect(commands.some((command) => String(command.inputs.create).includes("kind create cluster"))).toBe(true);
  });

  it("exposes Traefik on kind node ports", () => {
    const service = local.objects.find((object) => object.kind === "Service" && object.metadata.name === "traefik");
    const spec = service!.spec as { type: string; ports: Array<{ port: number; nodePort?: number }> };
    expect(spec.type).toBe("NodePort");
    expect(spec.ports.map((port) => [port.port, port.nodePort])).toEqual([
      [80, 30080],
      [443, 30443],
    ]);
  });

  it("outputs the planned URLs", () => {
    const urls = local.evaluation.outputs.routeUrls as Record<string, string>;
    expect(urls.echo).toBe("https://app.gateway.localhost/api/echo/");
    expect(urls["traefik-dashboard"]).toBe("https://admin.gateway.localhost/dashboard/");
    expect(local.evaluation.outputs.loginUrl).toBe("https://app.gateway.localhost/login");
  });

  it("outputs the local CA that signed the server certificate", () => {
    const ca = new crypto.X509Certificate(local.evaluation.outputs.localCaCertificatePem as string);
    const defaultCertificate = local.objects.find((object) => object.kind === "Secret" && object.type === "kubernetes.io/tls");
    const server = new crypto.X509Certificate((defaultCertificate!.stringData as Record<string, string>)["tls.crt"]!);
    expect(server.verify(ca.publicKey)).toBe(true);
    for (const host of ["app.gateway.localhost", "admin.gateway.localhost"]) {
      expect(server.checkHost(host), host).toBe(host);
    }
  });

  it("outputs certificate commands per staff member", () => {
    const commands = local.evaluation.outputs.staffCertificateCommands as Record<string, string>;
    expect(Object.keys(commands).sort()).toEqual(["alice", "bob"]);
    expect(commands.alice).toContain("openssl pkcs12 -export");
  });
});
