import "reflect-metadata";
import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as x509 from "@peculiar/x509";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { LocalCertificate } from "../components/local-certificate";
import { MtlsCA } from "../components/mtls-ca";
import { named, resetRecords, resolved, useMocks } from "./mocks";

const serverAuthOid = "1.3.6.1.5.5.7.3.1";
const clientAuthOid = "1.3.6.1.5.5.7.3.2";

describe("LocalCertificate", () => {
  beforeAll(() => useMocks());
  beforeEach(resetRecords);

  it("covers every DNS name", async () => {
    const local = new LocalCertificate("public", { dnsNames: ["app.localtest.me", "*.localtest.me"] });
    const certificate = new crypto.X509Certificate(await resolved(local.certificatePem));

    expect(certificate.subjectAltName).toBe("DNS:app.localtest.me, DNS:*.localtest.me");
    expect(certificate.checkHost("api.localtest.me")).toBe("*.localtest.me");
    expect(certificate.checkHost("app.localtest.me")).toBe("app.localtest.me");
    expect(certificate.checkHost("example.com")).toBeUndefined();
  });

  it("issues a serverAuth-only certificate", async () => {
    const local = new LocalCertificate("public", { dnsNames: ["app.localtest.me"] });
    const certificate = new x509.X509Certificate(await resolved(local.certificatePem));

    const usages = certificate.getExtension(x509.ExtendedKeyUsageExtension)?.usages;
    expect(usages).toEqual([serverAuthOid]);
    expect(usages).not.toContain(clientAuthOid);
    expect(certificate.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(false);
    expect(named("public-server").inputs.allowedUses).toEqual(["server_auth", "digital_signature"]);
  });

  it("signs with its own CA", async () => {
    const local = new LocalCertificate("public", { dnsNames: ["app.localtest.me"] });
    const ca = new crypto.X509Certificate(await resolved(local.caCertificatePem));
    const server = new crypto.X509Certificate(await resolved(local.certificatePem));

    expect(ca.ca).toBe(true);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.checkPrivateKey(crypto.createPrivateKey(await resolved(local.privateKeyPem)))).toBe(true);
    expect(ca.subject).toBe("O=API gateway development\nCN=API gateway development CA (test)");
  });

  it("stays apart from the staff CA", async () => {
    const local = new LocalCertificate("public", { dnsNames: ["app.localtest.me"] });
    const staff = new MtlsCA("staff", { staff: [{ id: "alice", name: "Alice" }] });
    const localCa = new crypto.X509Certificate(await resolved(local.caCertificatePem));
    const staffCa = new crypto.X509Certificate(await resolved(staff.caCertificatePem));
    const alice = new crypto.X509Certificate((await resolved(staff.clientCertificates)).alice!.certificatePem);
    // The server certificate is not asserted on, but must finish registering inside this test.
    await resolved(local.certificatePem);

    expect(localCa.publicKey.equals(staffCa.publicKey)).toBe(false);
    expect(alice.verify(localCa.publicKey)).toBe(false);
  });

  it("defaults to one year", async () => {
    const local = new LocalCertificate("public", { dnsNames: ["app.localtest.me"] });
    const certificate = new crypto.X509Certificate(await resolved(local.certificatePem));

    const lifetimeHours = (Date.parse(certificate.validTo) - Date.parse(certificate.validFrom)) / 3_600_000;
    expect(lifetimeHours).toBe(8760);
    expect(named("public-server").inputs.earlyRenewalHours).toBe(720);
  });

  it("shortens renewal for short lifetimes", async () => {
    const local = new LocalCertificate("short", { dnsNames: ["app.localtest.me"], validityHours: 48 });
    await resolved(local.certificatePem);

    expect(named("short-server").inputs.validityPeriodHours).toBe(48);
    expect(named("short-server").inputs.earlyRenewalHours).toBe(12);
  });

  it("keeps only the key secret", async () => {
    const local = new LocalCertificate("public", { dnsNames: ["app.localtest.me"] });

    expect(await pulumi.isSecret(local.privateKeyPem)).toBe(true);
    expect(await pulumi.isSecret(local.certificatePem)).toBe(false);
    expect(await pulumi.isSecret(local.caCertificatePem)).toBe(false);
  });

  it("rejects empty dnsNames", () => {
    expect(() => new LocalCertificate("empty", { dnsNames: [] })).toThrow(
      "dnsNames is empty. List every hostname the server certificate must cover.",
    );
  });

  it.each([["App.localtest.me"], ["app..localtest.me"], ["-app.localtest.me"], ["app.*.me"], ["app_1.localtest.me"]])(
    "rejects DNS name %j",
    (dnsName) => {
      expect(() => new LocalCertificate("bad-name", { dnsNames: [dnsName] })).toThrow(
        `dnsNames entry "${dnsName}" is not a valid DNS name. Use lowercase labels of letters, digits and '-', optionally starting with "*.".`,
      );
    },
  );

  it("rejects an IP address", () => {
    expect(() => new LocalCertificate("ip", { dnsNames: ["127.0.0.1"] })).toThrow(
      `dnsNames entry "127.0.0.1" is an IP address. Browsers match IP addresses only against IP SAN entries, so use a hostname.`,
    );
  });

  it.each([[0], [19801], [12.5]])("rejects validityHours %j", (validityHours) => {
    expect(() => new LocalCertificate("bad-validity", { dnsNames: ["localhost"], validityHours })).toThrow(
      `validityHours ${validityHours} is invalid. Use a whole number of hours from 1 to 19800 (825 days), because Apple platforms reject longer-lived server certificates.`,
    );
  });
});
