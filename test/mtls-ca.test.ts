import "reflect-metadata";
import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as x509 from "@peculiar/x509";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MtlsCA, type StaffMember } from "../components/mtls-ca";
import { named, ofType, resetRecords, resolved, useMocks } from "./mocks";

const locallySignedType = "tls:index/locallySignedCert:LocallySignedCert";
const privateKeyType = "tls:index/privateKey:PrivateKey";
const clientAuthOid = "1.3.6.1.5.5.7.3.2";
const serverAuthOid = "1.3.6.1.5.5.7.3.1";

const alice: StaffMember = { id: "alice", name: "Alice Example", email: "alice@example.test" };
const bob: StaffMember = { id: "bob", name: "Bob Example" };
const carol: StaffMember = { id: "carol", name: "Carol Example" };

describe("MtlsCA", () => {
  beforeAll(() => useMocks());
  beforeEach(resetRecords);

  it("names client certs by id", async () => {
    const ca = new MtlsCA("staff", { staff: [alice, bob] });
    await resolved(ca.clientCertificates);

    expect(ofType(locallySignedType).map((r) => r.name)).toEqual(["staff-client-alice", "staff-client-bob"]);
    expect(ofType(privateKeyType).map((r) => r.name)).toEqual([
      "staff-ca-key",
      "staff-client-alice-key",
      "staff-client-bob-key",
    ]);
  });

  it("keeps names when someone leaves", async () => {
    const before = new MtlsCA("team", { staff: [alice, bob, carol] });
    await resolved(before.clientCertificates);
    const namesBefore = ofType(locallySignedType).map((r) => r.name);
    resetRecords();

    const after = new MtlsCA("team", { staff: [alice, carol] });
    await resolved(after.clientCertificates);
    const namesAfter = ofType(locallySignedType).map((r) => r.name);

    expect(namesAfter).toEqual(["team-client-alice", "team-client-carol"]);
    expect(namesBefore).toEqual(expect.arrayContaining(namesAfter));
  });

  it("issues a P256 CA with cert_signing", async () => {
    const ca = new MtlsCA("staff", { staff: [] });
    const certificate = new x509.X509Certificate(await resolved(ca.caCertificatePem));

    const constraints = certificate.getExtension(x509.BasicConstraintsExtension);
    expect(constraints?.ca).toBe(true);
    expect(constraints?.critical).toBe(true);
    const usages = certificate.getExtension(x509.KeyUsagesExtension)?.usages ?? 0;
    expect(usages & x509.KeyUsageFlags.keyCertSign).toBeTruthy();
    expect(usages & x509.KeyUsageFlags.cRLSign).toBeTruthy();
    expect(certificate.subject).toBe("O=API gateway staff, CN=API gateway staff client CA");
    expect(named("staff-ca-key").inputs).toMatchObject({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    expect(named("staff-ca").inputs.validityPeriodHours).toBe(43800);
  });

  it("limits client certs to clientAuth", async () => {
    const ca = new MtlsCA("staff", { staff: [alice, bob] });
    const clients = await resolved(ca.clientCertificates);

    expect(Object.keys(clients).sort()).toEqual(["alice", "bob"]);
    for (const client of Object.values(clients)) {
      const usages = new x509.X509Certificate(client.certificatePem).getExtension(x509.ExtendedKeyUsageExtension)?.usages;
      expect(usages).toEqual([clientAuthOid]);
      expect(usages).not.toContain(serverAuthOid);
    }
    expect(named("staff-client-alice").inputs.allowedUses).toEqual(["client_auth", "digital_signature"]);
    expect(named("staff-client-alice").inputs.validityPeriodHours).toBe(2160);
  });

  it("signs client certs with the CA", async () => {
    const ca = new MtlsCA("staff", { staff: [alice], organization: "Example Ops" });
    const clients = await resolved(ca.clientCertificates);
    const caCertificate = new crypto.X509Certificate(await resolved(ca.caCertificatePem));
    const client = new crypto.X509Certificate(clients.alice!.certificatePem);

    expect(client.verify(caCertificate.publicKey)).toBe(true);
    expect(client.issuer).toBe(caCertificate.subject);
    expect(client.subject).toBe("O=Example Ops\nCN=Alice Example\nemailAddress=alice@example.test");
    expect(client.checkPrivateKey(crypto.createPrivateKey(clients.alice!.privateKeyPem))).toBe(true);
  });

  it("wraps every private key secret", async () => {
    const ca = new MtlsCA("staff", { staff: [alice] });

    expect(await pulumi.isSecret(ca.caPrivateKeyPem)).toBe(true);
    expect(await pulumi.isSecret(ca.clientCertificates)).toBe(true);
    expect(await pulumi.isSecret(ca.clientCertificates.apply((clients) => clients.alice!.privateKeyPem))).toBe(true);
  });

  it("keeps the CA certificate plain", async () => {
    const ca = new MtlsCA("staff", { staff: [alice] });

    expect(await pulumi.isSecret(ca.caCertificatePem)).toBe(false);
  });

  it("rejects duplicate staff ids", () => {
    const staff = [alice, { id: "alice", name: "Another Alice" }];

    expect(() => new MtlsCA("dup", { staff })).toThrow('staff id "alice" appears twice. Give each person a unique id.');
  });

  it.each([
    ["Alice"],
    ["-alice"],
    ["alice-"],
    ["al_ice"],
    [""],
    ["a".repeat(64)],
  ])("rejects staff id %j", (id) => {
    expect(() => new MtlsCA("bad-id", { staff: [{ id, name: "Someone" }] })).toThrow(
      `staff id "${id}" is invalid. Use a DNS-1123 label: up to 63 lowercase letters, digits and '-', starting and ending with a letter or digit.`,
    );
  });

  it("accepts a 63-character id", () => {
    expect(() => new MtlsCA("long-id", { staff: [{ id: "a".repeat(63), name: "Someone" }] })).not.toThrow();
  });

  it("rejects an empty name", () => {
    expect(() => new MtlsCA("no-name", { staff: [{ id: "dave", name: "  " }] })).toThrow(
      `staff member "dave" has an empty name. Set it to the person's full name.`,
    );
  });

  it("rejects an empty organization", () => {
    expect(() => new MtlsCA("no-org", { staff: [], organization: "" })).toThrow(
      "organization is empty. Leave it unset for the default or name the organization.",
    );
  });

  it.each([
    [{ caValidityHours: 0 }, "caValidityHours 0 is invalid. Use a positive whole number of hours."],
    [{ clientValidityHours: -1 }, "clientValidityHours -1 is invalid. Use a positive whole number of hours."],
    [{ clientValidityHours: 1.5 }, "clientValidityHours 1.5 is invalid. Use a positive whole number of hours."],
  ])("rejects validity %j", (validity, message) => {
    expect(() => new MtlsCA("bad-validity", { staff: [], ...validity })).toThrow(message);
  });

  it("rejects clients outliving the CA", () => {
    expect(() => new MtlsCA("too-long", { staff: [], caValidityHours: 100, clientValidityHours: 101 })).toThrow(
      "clientValidityHours 101 exceeds caValidityHours 100. Clients stop verifying when the CA expires, so lower clientValidityHours or raise caValidityHours.",
    );
  });
});
