import "reflect-metadata";
import * as crypto from "node:crypto";
import * as x509 from "@peculiar/x509";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fakeRandomOutputs, generateString, type StringSettings } from "./fakes/random";
import { fakeTlsOutputs } from "./fakes/tls";
import { named, resetRecords, resolved, useMocks } from "./mocks";

const privateKeyType = "tls:index/privateKey:PrivateKey";
const certRequestType = "tls:index/certRequest:CertRequest";
const selfSignedType = "tls:index/selfSignedCert:SelfSignedCert";
const locallySignedType = "tls:index/locallySignedCert:LocallySignedCert";

const clientAuthOid = "1.3.6.1.5.5.7.3.2";
const serverAuthOid = "1.3.6.1.5.5.7.3.1";

async function privateKey(inputs: Record<string, unknown>): Promise<Record<string, any>> {
  return fakeTlsOutputs(privateKeyType, "key", inputs);
}

/** Issues a P256 CA the way MtlsCA does, for tests that need an issuer. */
async function testCa(): Promise<{ keyPem: string; certPem: string }> {
  const key = await privateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" });
  const cert = await fakeTlsOutputs(selfSignedType, "ca", {
    privateKeyPem: key.privateKeyPem,
    isCaCertificate: true,
    validityPeriodHours: 48,
    allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
    subject: { commonName: "Test CA", organization: "Test Org" },
  });
  return { keyPem: key.privateKeyPem as string, certPem: cert.certPem as string };
}

async function issueLeaf(
  ca: { keyPem: string; certPem: string },
  allowedUses: string[],
  subject: Record<string, unknown> = { commonName: "Alice" },
): Promise<Record<string, any>> {
  const key = await privateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" });
  const request = await fakeTlsOutputs(certRequestType, "leaf", { privateKeyPem: key.privateKeyPem, subject });
  return fakeTlsOutputs(locallySignedType, "leaf", {
    certRequestPem: request.certRequestPem,
    caPrivateKeyPem: ca.keyPem,
    caCertPem: ca.certPem,
    validityPeriodHours: 24,
    allowedUses,
  });
}

function extendedUsages(certPem: string): string[] {
  return new x509.X509Certificate(certPem).getExtension(x509.ExtendedKeyUsageExtension)?.usages.map(String) ?? [];
}

describe("tls fake", () => {
  it("writes RSA keys as PKCS#1", async () => {
    const key = await privateKey({ algorithm: "RSA", rsaBits: 3072 });

    expect(key.privateKeyPem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    expect(key.privateKeyPemPkcs8).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(crypto.createPrivateKey(key.privateKeyPem).asymmetricKeyDetails?.modulusLength).toBe(3072);
    const derived = crypto.createPublicKey(key.privateKeyPemPkcs8).export({ type: "spki", format: "pem" });
    expect(derived).toBe(key.publicKeyPem);
    expect(key.publicKeyOpenssh).toMatch(/^ssh-rsa AAAA\S+\n$/);
  });

  it("writes ECDSA keys as SEC 1", async () => {
    const key = await privateKey({ algorithm: "ECDSA", ecdsaCurve: "P384" });

    expect(key.privateKeyPem).toMatch(/^-----BEGIN EC PRIVATE KEY-----\n/);
    expect(crypto.createPrivateKey(key.privateKeyPem).asymmetricKeyDetails?.namedCurve).toBe("secp384r1");
    expect(key.publicKeyOpenssh).toMatch(/^ecdsa-sha2-nistp384 /);
  });

  it("defaults ECDSA to P224 without OpenSSH", async () => {
    const key = await privateKey({ algorithm: "ECDSA" });

    expect(key.ecdsaCurve).toBe("P224");
    expect(crypto.createPrivateKey(key.privateKeyPem).asymmetricKeyDetails?.namedCurve).toBe("secp224r1");
    expect(key.publicKeyOpenssh).toBe("");
    expect(key.privateKeyOpenssh).toBe("");
    expect(key.publicKeyFingerprintSha256).toBe("");
  });

  it("writes ED25519 keys as PKCS#8", async () => {
    const key = await privateKey({ algorithm: "ED25519" });

    expect(key.privateKeyPem).toBe(key.privateKeyPemPkcs8);
    expect(crypto.createPrivateKey(key.privateKeyPem).asymmetricKeyType).toBe("ed25519");
    expect(key.privateKeyOpenssh).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
  });

  it("fingerprints the OpenSSH public key", async () => {
    const key = await privateKey({ algorithm: "ED25519" });
    const blob = Buffer.from(key.publicKeyOpenssh.split(" ")[1], "base64");

    const sha256 = crypto.createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
    expect(key.publicKeyFingerprintSha256).toBe(`SHA256:${sha256}`);
    const md5 = crypto.createHash("md5").update(blob).digest("hex");
    expect(key.publicKeyFingerprintMd5.replaceAll(":", "")).toBe(md5);
    expect(key.publicKeyFingerprintMd5).toMatch(/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
  });

  it("rejects an unknown key algorithm", async () => {
    await expect(privateKey({ algorithm: "DSA" })).rejects.toThrow(/"DSA" is not supported/);
  });

  it("marks a self-signed CA critical", async () => {
    const ca = await testCa();
    const cert = new x509.X509Certificate(ca.certPem);

    expect(cert.subject).toBe("O=Test Org, CN=Test CA");
    expect(cert.issuer).toBe(cert.subject);
    const constraints = cert.getExtension(x509.BasicConstraintsExtension);
    expect(constraints?.ca).toBe(true);
    expect(constraints?.critical).toBe(true);
    const usages = cert.getExtension(x509.KeyUsagesExtension);
    expect(usages?.critical).toBe(true);
    expect(usages?.usages).toBe(
      x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
    );
    expect(cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId).toMatch(/^[0-9a-f]{40}$/);
    expect(cert.getExtension(x509.AuthorityKeyIdentifierExtension)).toBeNull();
    expect(cert.getExtension(x509.ExtendedKeyUsageExtension)).toBeNull();
    expect(await cert.verify({ signatureOnly: true })).toBe(true);
  });

  it("derives validity from the hours", async () => {
    const key = await privateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    const before = Date.now();
    const outputs = await fakeTlsOutputs(selfSignedType, "cert", {
      privateKeyPem: key.privateKeyPem,
      validityPeriodHours: 10,
      earlyRenewalHours: 2,
      allowedUses: ["digital_signature"],
      subject: { commonName: "validity" },
    });
    const cert = new crypto.X509Certificate(outputs.certPem as string);

    const start = Date.parse(outputs.validityStartTime as string);
    const end = Date.parse(outputs.validityEndTime as string);
    expect(start).toBeGreaterThanOrEqual(before - 1000);
    expect(end - start).toBe(10 * 3_600_000);
    // X.509 times have whole seconds, so compare at that precision.
    expect(Date.parse(cert.validFrom)).toBe(Math.floor(start / 1000) * 1000);
    expect(Date.parse(cert.validTo)).toBe(Math.floor(end / 1000) * 1000);
    expect(outputs.readyForRenewal).toBe(false);
    expect(outputs.earlyRenewalHours).toBe(2);
  });

  it("puts DNS, IP and URI names in SAN", async () => {
    const key = await privateKey({ algorithm: "RSA" });
    const outputs = await fakeTlsOutputs(selfSignedType, "server", {
      privateKeyPem: key.privateKeyPem,
      validityPeriodHours: 1,
      allowedUses: ["server_auth", "digital_signature", "key_encipherment"],
      subject: { commonName: "server" },
      dnsNames: ["api.example.test", "*.example.test"],
      ipAddresses: ["127.0.0.1", "::1"],
      uris: ["spiffe://example.test/gateway"],
    });
    const cert = new crypto.X509Certificate(outputs.certPem as string);

    expect(cert.subjectAltName).toBe(
      "DNS:api.example.test, DNS:*.example.test, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, URI:spiffe://example.test/gateway",
    );
    expect(cert.ca).toBe(false);
    expect(cert.keyUsage).toEqual([serverAuthOid]);
    expect(outputs.keyAlgorithm).toBe("RSA");
  });

  it("rejects an invalid IP address", async () => {
    const key = await privateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    const outputs = fakeTlsOutputs(selfSignedType, "bad-ip", {
      privateKeyPem: key.privateKeyPem,
      validityPeriodHours: 1,
      allowedUses: [],
      ipAddresses: ["300.1.1.1"],
    });

    await expect(outputs).rejects.toThrow(/Invalid IP address.*300\.1\.1\.1/);
  });

  it("rejects camelCase allowed uses", async () => {
    const ca = await testCa();

    await expect(issueLeaf(ca, ["clientAuth"])).rejects.toThrow(/invalid allowedUses value "clientAuth"/);
  });

  it("rejects a CA without subject", async () => {
    const key = await privateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    const outputs = fakeTlsOutputs(selfSignedType, "empty-ca", {
      privateKeyPem: key.privateKeyPem,
      isCaCertificate: true,
      validityPeriodHours: 1,
      allowedUses: ["cert_signing"],
    });

    await expect(outputs).rejects.toThrow(/at least one Distinguished Name/);
  });

  it("signs local certs with the CA", async () => {
    const ca = await testCa();
    const outputs = await issueLeaf(ca, ["client_auth", "digital_signature"], {
      commonName: "Alice",
      organization: "Test Org",
      emailAddress: "alice@example.test",
    });
    const caCert = new crypto.X509Certificate(ca.certPem);
    const leaf = new crypto.X509Certificate(outputs.certPem as string);

    expect(leaf.verify(caCert.publicKey)).toBe(true);
    expect(leaf.checkIssued(caCert)).toBe(true);
    expect(leaf.issuer).toBe(caCert.subject);
    expect(leaf.subject).toBe("O=Test Org\nCN=Alice\nemailAddress=alice@example.test");
    expect(outputs.caKeyAlgorithm).toBe("ECDSA");

    const caKeyId = new x509.X509Certificate(ca.certPem).getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
    const authorityKeyId = new x509.X509Certificate(outputs.certPem).getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId;
    expect(authorityKeyId).toBe(caKeyId);
  });

  it("maps client_auth to the clientAuth EKU", async () => {
    const ca = await testCa();
    const client = await issueLeaf(ca, ["client_auth", "digital_signature"]);
    const server = await issueLeaf(ca, ["server_auth", "digital_signature"]);

    expect(extendedUsages(client.certPem)).toEqual([clientAuthOid]);
    expect(extendedUsages(server.certPem)).toEqual([serverAuthOid]);
    expect(extendedUsages(server.certPem)).not.toContain(clientAuthOid);
  });

  it("rejects a CA key from elsewhere", async () => {
    const ca = await testCa();
    const otherCa = await testCa();

    await expect(issueLeaf({ keyPem: otherCa.keyPem, certPem: ca.certPem }, ["client_auth"])).rejects.toThrow(
      /doesn't match parent's PublicKey/,
    );
  });

  it("copies SANs from the request", async () => {
    const ca = await testCa();
    const key = await privateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    const request = await fakeTlsOutputs(certRequestType, "server", {
      privateKeyPem: key.privateKeyPem,
      subject: { commonName: "gateway" },
      dnsNames: ["gateway.example.test"],
      ipAddresses: ["127.0.0.1"],
    });
    const outputs = await fakeTlsOutputs(locallySignedType, "server", {
      certRequestPem: request.certRequestPem,
      caPrivateKeyPem: ca.keyPem,
      caCertPem: ca.certPem,
      validityPeriodHours: 1,
      allowedUses: ["server_auth"],
    });

    expect(new x509.Pkcs10CertificateRequest(request.certRequestPem as string).subject).toBe("CN=gateway");
    expect(new crypto.X509Certificate(outputs.certPem as string).subjectAltName).toBe(
      "DNS:gateway.example.test, IP Address:127.0.0.1",
    );
  });
});

function settings(overrides: Partial<StringSettings>): StringSettings {
  return {
    length: 64,
    upper: true,
    lower: true,
    numeric: true,
    special: true,
    minUpper: 0,
    minLower: 0,
    minNumeric: 0,
    minSpecial: 0,
    overrideSpecial: "",
    ...overrides,
  };
}

describe("random fake", () => {
  it("honours password length", () => {
    const outputs = fakeRandomOutputs("random:index/randomPassword:RandomPassword", { length: 48 });

    expect(outputs.result).toHaveLength(48);
    expect(outputs).not.toHaveProperty("bcryptHash");
  });

  it("leaves out disabled classes", () => {
    for (let i = 0; i < 20; i++) {
      const value = generateString(settings({ upper: false, special: false }));
      expect(value).toMatch(/^[a-z0-9]{64}$/);
    }
  });

  it("honours the deprecated number flag", () => {
    const outputs = fakeRandomOutputs("random:index/randomString:RandomString", {
      length: 64,
      number: false,
      special: false,
    });

    expect(outputs.result).toMatch(/^[A-Za-z]{64}$/);
  });

  it("meets every class minimum", () => {
    for (let i = 0; i < 20; i++) {
      const value = generateString(settings({ length: 8, minUpper: 2, minLower: 2, minNumeric: 2, minSpecial: 2 }));
      expect(value.match(/[A-Z]/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
      expect(value.match(/[a-z]/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
      expect(value.match(/[0-9]/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
      expect(value.match(/[^A-Za-z0-9]/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
    }
  });

  it("uses overrideSpecial for specials", () => {
    const value = generateString(settings({ upper: false, lower: false, numeric: false, overrideSpecial: "-_" }));

    expect(value).toMatch(/^[-_]{64}$/);
  });

  it("draws minimums from disabled classes", () => {
    // The provider adds min_special characters even when special is false.
    const value = generateString(settings({ length: 10, special: false, minSpecial: 3 }));

    expect(value.match(/[!@#$%&*()\-_=+[\]{}<>:?]/g)?.length).toBe(3);
  });

  it("rejects minimums above length", () => {
    expect(() => generateString(settings({ length: 3, minUpper: 2, minNumeric: 2 }))).toThrow(
      'Attribute "length" (3) cannot be less than min_upper + min_lower + min_numeric + min_special (4).',
    );
  });

  it("encodes one id consistently", () => {
    const outputs = fakeRandomOutputs("random:index/randomId:RandomId", { byteLength: 8, prefix: "p-" }) as Record<string, string>;
    const bytes = Buffer.from(outputs.hex!.slice(2), "hex");

    expect(bytes).toHaveLength(8);
    expect(outputs.b64Url).toBe(`p-${bytes.toString("base64url")}`);
    expect(outputs.b64Std).toBe(`p-${bytes.toString("base64")}`);
    expect(outputs.dec).toBe(`p-${BigInt(`0x${bytes.toString("hex")}`).toString()}`);
  });

  it("encodes random bytes twice", () => {
    const outputs = fakeRandomOutputs("random:index/randomBytes:RandomBytes", { length: 32 }) as Record<string, string>;

    expect(Buffer.from(outputs.base64!, "base64").toString("hex")).toBe(outputs.hex);
    expect(outputs.hex).toHaveLength(64);
  });
});

describe("fakes under the mock runtime", () => {
  beforeAll(() => useMocks());
  beforeEach(resetRecords);

  it("return real PEMs in state", async () => {
    const key = new tls.PrivateKey("runtime-key", { algorithm: "ECDSA", ecdsaCurve: "P256" });
    const password = new random.RandomPassword("runtime-password", { length: 20, special: false });

    const pem = await resolved(key.privateKeyPem);
    expect(crypto.createPrivateKey(pem).asymmetricKeyType).toBe("ec");
    expect(named("runtime-key").state.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(await resolved(password.result)).toMatch(/^[A-Za-z0-9]{20}$/);
  });

  it("read secret inputs as values", async () => {
    const key = new tls.PrivateKey("secret-input-key", { algorithm: "ECDSA", ecdsaCurve: "P256" });
    const request = new tls.CertRequest("secret-input-request", {
      privateKeyPem: pulumi.secret(key.privateKeyPem),
      subject: { commonName: "secret input" },
    });

    const requestPem = await resolved(request.certRequestPem);
    expect(new x509.Pkcs10CertificateRequest(requestPem).subject).toBe("CN=secret input");
  });
});
