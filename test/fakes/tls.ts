import "reflect-metadata";
import * as crypto from "node:crypto";
import * as net from "node:net";
import * as pulumi from "@pulumi/pulumi";
import * as x509 from "@peculiar/x509";

// Facts about the real provider below come from hashicorp/terraform-provider-tls (main branch,
// internal/provider/{common_cert,common_key,resource_private_key,resource_self_signed_cert,
// resource_locally_signed_cert}.go), which @pulumi/tls v5 wraps, and from Go's crypto/x509
// `CreateCertificate`, which that provider calls.

x509.cryptoProvider.set(crypto.webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = crypto.webcrypto.CryptoKey;
type SigningAlgorithm = crypto.webcrypto.Algorithm | crypto.webcrypto.EcdsaParams | crypto.webcrypto.RsaHashedImportParams;
type ImportParams = crypto.webcrypto.RsaHashedImportParams | crypto.webcrypto.EcKeyImportParams | crypto.webcrypto.Algorithm;

type Inputs = Record<string, any>;
type Outputs = Record<string, unknown>;

/**
 * Returns the outputs that @pulumi/tls v5 computes for a resource: real keys, certificate
 * requests and certificates built from the inputs, so tests can parse and use them.
 */
export async function fakeTlsOutputs(type: string, name: string, rawInputs: Inputs): Promise<Outputs> {
  const inputs = unwrapSecrets(rawInputs) as Inputs;
  switch (type) {
    case "tls:index/privateKey:PrivateKey":
      return fakePrivateKey(name, inputs);
    case "tls:index/certRequest:CertRequest":
      return fakeCertRequest(name, inputs);
    case "tls:index/selfSignedCert:SelfSignedCert":
      return fakeSelfSignedCert(name, inputs);
    case "tls:index/locallySignedCert:LocallySignedCert":
      return fakeLocallySignedCert(name, inputs);
    default:
      return {};
  }
}

/**
 * Replaces each secret in mock inputs with its value. The mock runtime passes a secret input,
 * such as a key PEM taken from another resource, as an object marked with Pulumi's secret
 * signature, while the real provider receives the plain value.
 */
export function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(unwrapSecrets);
  }
  if (value === null || typeof value !== "object") {
    return value;
  }
  const record = value as Record<string, unknown>;
  if (record[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) {
    return unwrapSecrets(record.value);
  }
  return Object.fromEntries(Object.entries(record).map(([key, item]) => [key, unwrapSecrets(item)]));
}

// ---------------------------------------------------------------------------------------------
// Private keys

const ecdsaCurves: Record<string, { nodeCurve: string; webCurve?: string; hash?: string; sshName?: string }> = {
  // NOTE: WebCrypto has no P-224, so the fake can generate P224 keys but cannot sign with them.
  P224: { nodeCurve: "secp224r1" },
  P256: { nodeCurve: "prime256v1", webCurve: "P-256", hash: "SHA-256", sshName: "nistp256" },
  P384: { nodeCurve: "secp384r1", webCurve: "P-384", hash: "SHA-384", sshName: "nistp384" },
  P521: { nodeCurve: "secp521r1", webCurve: "P-521", hash: "SHA-512", sshName: "nistp521" },
};

function fakePrivateKey(name: string, inputs: Inputs): Outputs {
  const algorithm = String(inputs.algorithm ?? "");
  // The provider stores its defaults for both settings, whichever algorithm is chosen.
  const rsaBits = Number(inputs.rsaBits ?? 2048);
  const ecdsaCurve = String(inputs.ecdsaCurve ?? "P224");
  const opensshComment = String(inputs.opensshComment ?? "");

  let privateKey: crypto.KeyObject;
  if (algorithm === "RSA") {
    privateKey = crypto.generateKeyPairSync("rsa", { modulusLength: rsaBits }).privateKey;
  } else if (algorithm === "ECDSA") {
    const curve = ecdsaCurves[ecdsaCurve];
    if (curve === undefined) {
      throw new Error(`${name}: invalid ECDSA curve "${ecdsaCurve}". Use P224, P256, P384 or P521`);
    }
    privateKey = crypto.generateKeyPairSync("ec", { namedCurve: curve.nodeCurve }).privateKey;
  } else if (algorithm === "ED25519") {
    privateKey = crypto.generateKeyPairSync("ed25519").privateKey;
  } else {
    throw new Error(`${name}: Key Algorithm "${algorithm}" is not supported. Use RSA, ECDSA or ED25519`);
  }

  const publicKey = crypto.createPublicKey(privateKey);
  const pkcs8Pem = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  // Like the provider: PKCS#1 for RSA, SEC 1 for ECDSA, and PKCS#8 for ED25519.
  let privateKeyPem = pkcs8Pem;
  if (algorithm === "RSA") {
    privateKeyPem = privateKey.export({ type: "pkcs1", format: "pem" }) as string;
  } else if (algorithm === "ECDSA") {
    privateKeyPem = privateKey.export({ type: "sec1", format: "pem" }) as string;
  }

  // golang.org/x/crypto/ssh has no P-224, so the provider leaves every OpenSSH field empty for it.
  const ssh = sshKeyFields(privateKey, opensshComment);

  return {
    algorithm,
    rsaBits,
    ecdsaCurve,
    privateKeyPem,
    privateKeyPemPkcs8: pkcs8Pem,
    privateKeyOpenssh: ssh?.privateKeyOpenssh ?? "",
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }) as string,
    publicKeyOpenssh: ssh?.publicKeyOpenssh ?? "",
    publicKeyFingerprintMd5: ssh?.fingerprintMd5 ?? "",
    publicKeyFingerprintSha256: ssh?.fingerprintSha256 ?? "",
  };
}

interface SshKeyFields {
  privateKeyOpenssh: string;
  publicKeyOpenssh: string;
  fingerprintMd5: string;
  fingerprintSha256: string;
}

/** Encodes a key in the OpenSSH formats, or returns undefined for a curve that OpenSSH lacks. */
function sshKeyFields(privateKey: crypto.KeyObject, comment: string): SshKeyFields | undefined {
  const sshCurve = Object.values(ecdsaCurves).find((c) => c.nodeCurve === privateKey.asymmetricKeyDetails?.namedCurve);
  if (privateKey.asymmetricKeyType === "ec" && sshCurve?.sshName === undefined) {
    return undefined;
  }
  const jwk = privateKey.export({ format: "jwk" });
  const field = (value: string | undefined): Buffer => Buffer.from(value ?? "", "base64url");
  let keyType: string;
  let publicParts: Buffer[];
  let privateParts: Buffer[];

  if (privateKey.asymmetricKeyType === "rsa") {
    keyType = "ssh-rsa";
    publicParts = [sshMpint(field(jwk.e)), sshMpint(field(jwk.n))];
    // OpenSSH stores the private RSA fields in the order n, e, d, iqmp, p, q.
    privateParts = [field(jwk.n), field(jwk.e), field(jwk.d), field(jwk.qi), field(jwk.p), field(jwk.q)].map(sshMpint);
  } else if (privateKey.asymmetricKeyType === "ec") {
    const curveName = sshCurve!.sshName!;
    keyType = `ecdsa-sha2-${curveName}`;
    const point = uncompressedPoint(publicKeyOf(privateKey));
    publicParts = [sshString(curveName), sshString(point)];
    privateParts = [...publicParts, sshMpint(field(jwk.d))];
  } else {
    keyType = "ssh-ed25519";
    const publicBytes = field(jwk.x);
    publicParts = [sshString(publicBytes)];
    privateParts = [sshString(publicBytes), sshString(Buffer.concat([field(jwk.d), publicBytes]))];
  }

  const publicBlob = Buffer.concat([sshString(keyType), ...publicParts]);
  const authorizedKey = `${keyType} ${publicBlob.toString("base64")}${comment === "" ? "" : ` ${comment}`}\n`;

  // openssh-key-v1 without encryption: a random check value twice, the key, the comment, and
  // padding bytes 1, 2, 3, ... up to the cipher block size of 8.
  const check = crypto.randomBytes(4);
  let section = Buffer.concat([check, check, sshString(keyType), ...privateParts, sshString(comment)]);
  const padding = Buffer.from(Array.from({ length: (8 - (section.length % 8)) % 8 }, (_, i) => i + 1));
  section = Buffer.concat([section, padding]);
  const container = Buffer.concat([
    Buffer.from("openssh-key-v1\0"),
    sshString("none"),
    sshString("none"),
    sshString(""),
    sshUint32(1),
    sshString(publicBlob),
    sshString(section),
  ]);

  return {
    privateKeyOpenssh: pemEncode("OPENSSH PRIVATE KEY", container),
    publicKeyOpenssh: authorizedKey,
    fingerprintMd5: crypto.createHash("md5").update(publicBlob).digest("hex").match(/../g)!.join(":"),
    fingerprintSha256: `SHA256:${crypto.createHash("sha256").update(publicBlob).digest("base64").replace(/=+$/, "")}`,
  };
}

function sshUint32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer;
}

function sshString(value: string | Buffer): Buffer {
  const bytes = typeof value === "string" ? Buffer.from(value) : value;
  return Buffer.concat([sshUint32(bytes.length), bytes]);
}

/** Encodes a non-negative big-endian integer as an SSH mpint (RFC 4251, section 5). */
function sshMpint(magnitude: Buffer): Buffer {
  let start = 0;
  while (start < magnitude.length && magnitude[start] === 0) {
    start++;
  }
  let bytes = magnitude.subarray(start);
  if (bytes.length > 0 && (bytes[0]! & 0x80) !== 0) {
    bytes = Buffer.concat([Buffer.from([0]), bytes]);
  }
  return sshString(bytes);
}

function publicKeyOf(key: crypto.KeyObject): crypto.KeyObject {
  return key.type === "private" ? crypto.createPublicKey(key) : key;
}

/** Returns an EC public key as the uncompressed point 0x04 || X || Y. */
function uncompressedPoint(publicKey: crypto.KeyObject): Buffer {
  const jwk = publicKey.export({ format: "jwk" });
  return Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]);
}

// ---------------------------------------------------------------------------------------------
// Keys for signing

interface SigningKey {
  /** The provider's name for the key's algorithm: RSA, ECDSA or ED25519. */
  algorithm: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  nodePublicKey: crypto.KeyObject;
  signingAlgorithm: SigningAlgorithm;
}

async function importSigningKey(pem: string, what: string): Promise<SigningKey> {
  let nodeKey: crypto.KeyObject;
  try {
    nodeKey = crypto.createPrivateKey(pem);
  } catch (error) {
    throw new Error(`Failed to parse ${what}: ${(error as Error).message}`);
  }
  const nodePublicKey = crypto.createPublicKey(nodeKey);
  const pkcs8 = nodeKey.export({ type: "pkcs8", format: "der" });
  const spki = nodePublicKey.export({ type: "spki", format: "der" });

  let algorithm: string;
  let importParams: ImportParams;
  let signingAlgorithm: SigningAlgorithm;
  if (nodeKey.asymmetricKeyType === "rsa") {
    // Go's crypto/x509 signs with SHA-256 for every RSA key size.
    algorithm = "RSA";
    importParams = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
    signingAlgorithm = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  } else if (nodeKey.asymmetricKeyType === "ec") {
    const curve = Object.values(ecdsaCurves).find((c) => c.nodeCurve === nodeKey.asymmetricKeyDetails?.namedCurve);
    if (curve?.webCurve === undefined || curve.hash === undefined) {
      throw new Error(`The fake tls provider cannot sign with ${what} on curve ${nodeKey.asymmetricKeyDetails?.namedCurve}. Use P256, P384 or P521`);
    }
    // Go's crypto/x509 picks the hash from the curve: SHA-256, SHA-384 or SHA-512.
    algorithm = "ECDSA";
    importParams = { name: "ECDSA", namedCurve: curve.webCurve };
    signingAlgorithm = { name: "ECDSA", hash: curve.hash };
  } else if (nodeKey.asymmetricKeyType === "ed25519") {
    algorithm = "ED25519";
    importParams = { name: "Ed25519" };
    signingAlgorithm = { name: "Ed25519" };
  } else {
    throw new Error(`Unsupported private key type ${nodeKey.asymmetricKeyType} in ${what}`);
  }

  const subtle = crypto.webcrypto.subtle;
  const privateKey = (await subtle.importKey("pkcs8", pkcs8, importParams, true, ["sign"]));
  const publicKey = (await subtle.importKey("spki", spki, importParams, true, ["verify"]));
  return { algorithm, privateKey, publicKey, nodePublicKey, signingAlgorithm };
}

async function importPublicKey(spki: ArrayBuffer): Promise<{ webKey: CryptoKey; nodeKey: crypto.KeyObject }> {
  const nodeKey = crypto.createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
  let params: ImportParams;
  if (nodeKey.asymmetricKeyType === "rsa") {
    params = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  } else if (nodeKey.asymmetricKeyType === "ec") {
    const curve = Object.values(ecdsaCurves).find((c) => c.nodeCurve === nodeKey.asymmetricKeyDetails?.namedCurve);
    if (curve?.webCurve === undefined) {
      throw new Error(`The fake tls provider cannot certify a key on curve ${nodeKey.asymmetricKeyDetails?.namedCurve}`);
    }
    params = { name: "ECDSA", namedCurve: curve.webCurve };
  } else {
    params = { name: "Ed25519" };
  }
  const webKey = (await crypto.webcrypto.subtle.importKey("spki", spki, params, true, ["verify"]));
  return { webKey, nodeKey };
}

/**
 * Computes a subject key identifier the way the provider does, as a SHA-1 hash. It hashes the
 * PKCS#1 public key for RSA and the uncompressed point for ECDSA. For ED25519 it hashes the key
 * wrapped in a DER OCTET STRING, because Go's `asn1.Marshal` encodes a byte slice that way.
 */
function subjectKeyId(publicKey: crypto.KeyObject): string {
  let bytes: Buffer;
  if (publicKey.asymmetricKeyType === "rsa") {
    bytes = publicKey.export({ type: "pkcs1", format: "der" });
  } else if (publicKey.asymmetricKeyType === "ec") {
    bytes = uncompressedPoint(publicKey);
  } else {
    const raw = Buffer.from(publicKey.export({ format: "jwk" }).x!, "base64url");
    bytes = Buffer.concat([Buffer.from([0x04, raw.length]), raw]);
  }
  return crypto.createHash("sha1").update(bytes).digest("hex");
}

// ---------------------------------------------------------------------------------------------
// Names and extensions

/** Key usages in `allowedUses`, with the flag each sets in the keyUsage extension. */
const keyUsages: Record<string, x509.KeyUsageFlags> = {
  digital_signature: x509.KeyUsageFlags.digitalSignature,
  content_commitment: x509.KeyUsageFlags.nonRepudiation,
  key_encipherment: x509.KeyUsageFlags.keyEncipherment,
  data_encipherment: x509.KeyUsageFlags.dataEncipherment,
  key_agreement: x509.KeyUsageFlags.keyAgreement,
  cert_signing: x509.KeyUsageFlags.keyCertSign,
  crl_signing: x509.KeyUsageFlags.cRLSign,
  encipher_only: x509.KeyUsageFlags.encipherOnly,
  decipher_only: x509.KeyUsageFlags.decipherOnly,
};

/** Extended key usages in `allowedUses`, with the OIDs from Go's crypto/x509. */
const extendedKeyUsages: Record<string, string> = {
  any_extended: "2.5.29.37.0",
  server_auth: "1.3.6.1.5.5.7.3.1",
  client_auth: "1.3.6.1.5.5.7.3.2",
  code_signing: "1.3.6.1.5.5.7.3.3",
  email_protection: "1.3.6.1.5.5.7.3.4",
  ipsec_end_system: "1.3.6.1.5.5.7.3.5",
  ipsec_tunnel: "1.3.6.1.5.5.7.3.6",
  ipsec_user: "1.3.6.1.5.5.7.3.7",
  timestamping: "1.3.6.1.5.5.7.3.8",
  ocsp_signing: "1.3.6.1.5.5.7.3.9",
  microsoft_server_gated_crypto: "1.3.6.1.4.1.311.10.3.3",
  netscape_server_gated_crypto: "2.16.840.1.113730.4.1",
  microsoft_commercial_code_signing: "1.3.6.1.4.1.311.2.1.22",
  microsoft_kernel_code_signing: "1.3.6.1.4.1.311.61.1.1",
};

/**
 * Builds a subject in the order of Go's `pkix.Name.ToRDNSequence` (C, O, OU, L, ST, STREET,
 * postalCode, serialNumber, CN), with the email address last as an IA5String, as the provider
 * appends it.
 */
function subjectName(subject: Inputs | undefined): x509.JsonNameParams {
  const rdns: x509.JsonNameParams = [];
  const add = (oid: string, value: unknown): void => {
    if (typeof value === "string" && value !== "") {
      rdns.push({ [oid]: [value] });
    }
  };
  if (subject === undefined || subject === null) {
    return rdns;
  }
  add("2.5.4.6", subject.country);
  add("2.5.4.10", subject.organization);
  add("2.5.4.11", subject.organizationalUnit);
  add("2.5.4.7", subject.locality);
  add("2.5.4.8", subject.province);
  for (const street of (subject.streetAddresses ?? []) as string[]) {
    add("2.5.4.9", street);
  }
  add("2.5.4.17", subject.postalCode);
  add("2.5.4.5", subject.serialNumber);
  add("2.5.4.3", subject.commonName);
  if (typeof subject.emailAddress === "string" && subject.emailAddress !== "") {
    rdns.push({ "1.2.840.113549.1.9.1": [{ ia5String: subject.emailAddress }] });
  }
  return rdns;
}

function alternativeNames(inputs: Inputs): x509.JsonGeneralName[] {
  const names: x509.JsonGeneralName[] = [];
  for (const dnsName of (inputs.dnsNames ?? []) as string[]) {
    names.push({ type: "dns", value: dnsName });
  }
  for (const ip of (inputs.ipAddresses ?? []) as string[]) {
    if (net.isIP(ip) === 0) {
      throw new Error(`Invalid IP address: failed to parse "${ip}"`);
    }
    names.push({ type: "ip", value: ip });
  }
  for (const uri of (inputs.uris ?? []) as string[]) {
    if (!URL.canParse(uri)) {
      throw new Error(`Invalid URI: failed to parse "${uri}"`);
    }
    names.push({ type: "url", value: uri });
  }
  return names;
}

// ---------------------------------------------------------------------------------------------
// Certificate requests and certificates

/** Returns true when a required input is missing only because a preview left it unknown. */
function unknownInPreview(...values: unknown[]): boolean {
  return pulumi.runtime.isDryRun() && values.some((value) => value === undefined);
}

async function fakeCertRequest(name: string, inputs: Inputs): Promise<Outputs> {
  if (unknownInPreview(inputs.privateKeyPem)) {
    return {};
  }
  if (typeof inputs.privateKeyPem !== "string") {
    throw new Error(`${name}: privateKeyPem is required`);
  }
  const key = await importSigningKey(inputs.privateKeyPem, "private key PEM");
  const names = alternativeNames(inputs);
  const request = await x509.Pkcs10CertificateRequestGenerator.create({
    name: new x509.Name(subjectName(inputs.subject)),
    keys: { privateKey: key.privateKey, publicKey: key.publicKey },
    signingAlgorithm: key.signingAlgorithm,
    extensions: names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : [],
  });
  return {
    certRequestPem: pemEncode("CERTIFICATE REQUEST", Buffer.from(request.rawData)),
    keyAlgorithm: key.algorithm,
  };
}

interface CertificateTemplate {
  subject: x509.Name;
  alternativeNames: x509.JsonGeneralName[];
  publicKey: CryptoKey;
  nodePublicKey: crypto.KeyObject;
}

interface Issuer {
  name: x509.Name;
  signingKey: SigningKey;
  /** Subject key identifier of the issuing CA, which Go copies into the authority key identifier. */
  subjectKeyId?: string;
  selfSigned: boolean;
}

/** Issues a certificate as the provider's `createCertificate` and Go's `CreateCertificate` do. */
async function issueCertificate(name: string, template: CertificateTemplate, issuer: Issuer, inputs: Inputs): Promise<Outputs> {
  const validityPeriodHours = Number(inputs.validityPeriodHours);
  if (!Number.isInteger(validityPeriodHours) || validityPeriodHours < 0) {
    throw new Error(`${name}: validityPeriodHours must be an integer of at least 0, got ${inputs.validityPeriodHours}`);
  }
  const earlyRenewalHours = Number(inputs.earlyRenewalHours ?? 0);
  const isCaCertificate = inputs.isCaCertificate === true;
  const setSubjectKeyId = inputs.setSubjectKeyId === true;
  const setAuthorityKeyId = inputs.setAuthorityKeyId === true;
  const maxPathLength = inputs.maxPathLength === undefined ? -1 : Number(inputs.maxPathLength);

  let keyUsage = 0;
  const extendedUsageOids: string[] = [];
  for (const use of (inputs.allowedUses ?? []) as string[]) {
    if (keyUsages[use] !== undefined) {
      keyUsage |= keyUsages[use]!;
    } else if (extendedKeyUsages[use] !== undefined) {
      extendedUsageOids.push(extendedKeyUsages[use]!);
    } else {
      const accepted = [...Object.keys(keyUsages), ...Object.keys(extendedKeyUsages)].sort().join(", ");
      throw new Error(`${name}: invalid allowedUses value "${use}". Accepted values: ${accepted}`);
    }
  }

  if (isCaCertificate && template.subject.toJSON().length === 0) {
    throw new Error(`${name}: Invalid Certificate Subject: must contain at least one Distinguished Name when creating a CA`);
  }
  const ownKeyId = isCaCertificate || setSubjectKeyId ? subjectKeyId(template.nodePublicKey) : undefined;

  let authorityKeyId: string | undefined;
  if (issuer.selfSigned && setAuthorityKeyId) {
    if (ownKeyId === undefined) {
      throw new Error(`${name}: Invalid Certificate Authority: could not determine Authority Key Identifier`);
    }
    authorityKeyId = ownKeyId;
  } else if (!issuer.selfSigned) {
    authorityKeyId = issuer.subjectKeyId;
  }

  // Go writes extensions in this order and marks keyUsage and basicConstraints critical. The
  // SAN extension is critical only when the subject is empty (RFC 5280, section 4.2.1.6).
  const extensions: x509.Extension[] = [];
  if (keyUsage !== 0) {
    extensions.push(new x509.KeyUsagesExtension(keyUsage, true));
  }
  if (extendedUsageOids.length > 0) {
    extensions.push(new x509.ExtendedKeyUsageExtension(extendedUsageOids, false));
  }
  // The provider always sets BasicConstraintsValid, so leaf certificates carry CA:FALSE. Go
  // treats a path length of 0 as unset, so only a positive maxPathLength appears.
  const pathLength = isCaCertificate && maxPathLength > 0 ? maxPathLength : undefined;
  extensions.push(new x509.BasicConstraintsExtension(isCaCertificate, pathLength, true));
  if (ownKeyId !== undefined) {
    extensions.push(new x509.SubjectKeyIdentifierExtension(ownKeyId));
  }
  if (authorityKeyId !== undefined) {
    extensions.push(new x509.AuthorityKeyIdentifierExtension(authorityKeyId));
  }
  if (template.alternativeNames.length > 0) {
    const critical = template.subject.toJSON().length === 0;
    extensions.push(new x509.SubjectAlternativeNameExtension(template.alternativeNames, critical));
  }

  const notBefore = new Date();
  const notAfter = new Date(notBefore.getTime() + validityPeriodHours * 3_600_000);
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject: template.subject,
    issuer: issuer.name,
    notBefore,
    notAfter,
    publicKey: template.publicKey,
    signingKey: issuer.signingKey.privateKey,
    signingAlgorithm: issuer.signingKey.signingAlgorithm,
    extensions,
  });

  return {
    certPem: pemEncode("CERTIFICATE", Buffer.from(certificate.rawData)),
    validityStartTime: notBefore.toISOString(),
    validityEndTime: notAfter.toISOString(),
    // The provider sets this only when a later refresh finds the certificate inside its early
    // renewal window, so a freshly created certificate always reports false.
    readyForRenewal: false,
    earlyRenewalHours,
    isCaCertificate,
    setSubjectKeyId,
    maxPathLength: inputs.maxPathLength ?? 0,
  };
}

/** Returns a random positive serial number below 2^128 in hex, as the provider draws one. */
function randomSerialNumber(): string {
  const hex = crypto.randomBytes(16).toString("hex").replace(/^(00)+/, "") || "01";
  // A leading byte of 0x80 or more would read as a negative DER INTEGER, so pad it.
  return parseInt(hex.slice(0, 2), 16) >= 0x80 ? `00${hex}` : hex;
}

async function fakeSelfSignedCert(name: string, inputs: Inputs): Promise<Outputs> {
  if (unknownInPreview(inputs.privateKeyPem)) {
    return {};
  }
  if (typeof inputs.privateKeyPem !== "string") {
    throw new Error(`${name}: privateKeyPem is required`);
  }
  const key = await importSigningKey(inputs.privateKeyPem, "private key PEM");
  const subject = new x509.Name(subjectName(inputs.subject));
  const outputs = await issueCertificate(
    name,
    { subject, alternativeNames: alternativeNames(inputs), publicKey: key.publicKey, nodePublicKey: key.nodePublicKey },
    { name: subject, signingKey: key, selfSigned: true },
    inputs,
  );
  return { ...outputs, keyAlgorithm: key.algorithm, setAuthorityKeyId: inputs.setAuthorityKeyId === true };
}

async function fakeLocallySignedCert(name: string, inputs: Inputs): Promise<Outputs> {
  if (unknownInPreview(inputs.certRequestPem, inputs.caPrivateKeyPem, inputs.caCertPem)) {
    return {};
  }
  for (const field of ["certRequestPem", "caPrivateKeyPem", "caCertPem"]) {
    if (typeof inputs[field] !== "string") {
      throw new Error(`${name}: ${field} is required`);
    }
  }

  const request = new x509.Pkcs10CertificateRequest(inputs.certRequestPem);
  const caKey = await importSigningKey(inputs.caPrivateKeyPem, "CA private key PEM");
  const caCertificate = new x509.X509Certificate(inputs.caCertPem);

  // Go's CreateCertificate rejects a CA key that does not belong to the CA certificate.
  const caCertificateKey = crypto.createPublicKey({
    key: Buffer.from(caCertificate.publicKey.rawData),
    format: "der",
    type: "spki",
  });
  if (!caCertificateKey.equals(caKey.nodePublicKey)) {
    throw new Error(`${name}: x509: provided PrivateKey doesn't match parent's PublicKey`);
  }
  const caConstraints = caCertificate.getExtension(x509.BasicConstraintsExtension);
  if (caConstraints?.ca !== true) {
    // The provider only warns here, so the fake does the same.
    pulumi.log.warn(`${name}: the certificate in caCertPem is not a CA, so the issued certificate might fail validation`);
  }

  // Like the provider, copy only the subject and the DNS, IP and URI names from the request.
  const requestedExtension = request.getExtension("2.5.29.17");
  const requested = requestedExtension === null
    ? []
    : new x509.SubjectAlternativeNameExtension(requestedExtension.rawData).names.toJSON();
  const requestedNames = requested.filter((entry) => entry.type === "dns" || entry.type === "ip" || entry.type === "url");
  const requestKey = await importPublicKey(request.publicKey.rawData);
  const caKeyId = caCertificate.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;

  const outputs = await issueCertificate(
    name,
    {
      subject: request.subjectName,
      alternativeNames: requestedNames,
      publicKey: requestKey.webKey,
      nodePublicKey: requestKey.nodeKey,
    },
    { name: caCertificate.subjectName, signingKey: caKey, subjectKeyId: caKeyId, selfSigned: false },
    inputs,
  );
  return { ...outputs, caKeyAlgorithm: caKey.algorithm };
}

/** Encodes DER bytes as PEM with 64-character lines and a final newline, as Go's encoding/pem does. */
export function pemEncode(label: string, der: Buffer): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
