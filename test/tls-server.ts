import "reflect-metadata";
import * as crypto from "node:crypto";
import * as tls from "node:tls";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(crypto.webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** Reply the test server sends to a client whose certificate it accepted. */
export const acceptedReply = "accepted\n";

/** A TLS server on 127.0.0.1 that requires client certificates as a Traefik TLSOption does. */
export interface MtlsServer {
  readonly port: number;
  /**
   * Reasons the server rejected clients, in order: an OpenSSL verify code such as
   * `CERT_HAS_EXPIRED`, or the handshake error message.
   */
  readonly rejections: string[];
  close(): Promise<void>;
}

export interface MtlsServerOptions {
  /** Server certificate and key (PEM). */
  certificatePem: string;
  privateKeyPem: string;
  /** CA certificates (PEM) that the TLSOption's Secret names. */
  clientCaPems: string[];
  /** `spec` of the Traefik TLSOption, such as `{ minVersion: "VersionTLS12", clientAuth: {...} }`. */
  tlsOptionSpec: Record<string, any>;
}

// Traefik's TLSOption minVersion values and Node's names for the same protocol versions.
const tlsVersions: Record<string, tls.SecureVersion> = {
  VersionTLS12: "TLSv1.2",
  VersionTLS13: "TLSv1.3",
};

/**
 * Starts a Node.js TLS server on 127.0.0.1 with a free port, configured from a TLSOption spec.
 * It supports the settings this program uses and throws on any other, so a TLSOption change
 * that the test cannot reproduce fails loudly instead of being ignored.
 */
export async function startMtlsServer(options: MtlsServerOptions): Promise<MtlsServer> {
  const { minVersion, clientAuth, ...rest } = options.tlsOptionSpec;
  if (Object.keys(rest).length > 0) {
    throw new Error(`TLSOption settings ${Object.keys(rest).join(", ")} have no Node.js equivalent in this test server`);
  }
  const nodeMinVersion = tlsVersions[minVersion];
  if (nodeMinVersion === undefined) {
    throw new Error(`TLSOption minVersion "${minVersion}" is not supported by this test server`);
  }
  if (clientAuth?.clientAuthType !== "RequireAndVerifyClientCert") {
    throw new Error(`TLSOption clientAuthType "${clientAuth?.clientAuthType}" is not supported by this test server`);
  }

  const rejections: string[] = [];
  const server = tls.createServer(
    {
      cert: options.certificatePem,
      key: options.privateKeyPem,
      ca: options.clientCaPems,
      // RequireAndVerifyClientCert: ask for a certificate and end the handshake without a valid one.
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: nodeMinVersion,
    },
    (socket) => socket.end(acceptedReply),
  );
  // A failed chain check does not end the handshake inside OpenSSL. Node checks the result
  // afterwards, stores it in authorizationError and closes the socket, so the error itself only
  // reads "socket hang up".
  server.on("tlsClientError", (error, socket) => rejections.push(String(socket.authorizationError ?? error.message)));

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") {
    throw new Error(`Test server has no TCP address: ${String(address)}`);
  }

  return {
    port: address.port,
    rejections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface ClientAttempt {
  /** Whether the server accepted the client and sent {@link acceptedReply}. */
  accepted: boolean;
  /** Error the client saw, when the server rejected it. */
  error?: string;
}

/**
 * Connects to the server with an optional client certificate and reports whether the server
 * accepted it. Times out after `timeoutMs`, so a hung handshake fails the test instead of
 * stalling it.
 */
export function connectClient(options: {
  port: number;
  serverName: string;
  serverCaPem: string;
  client?: { certificatePem: string; privateKeyPem: string };
  timeoutMs?: number;
}): Promise<ClientAttempt> {
  const timeoutMs = options.timeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: "127.0.0.1",
      port: options.port,
      servername: options.serverName,
      ca: options.serverCaPem,
      ...(options.client !== undefined ? { cert: options.client.certificatePem, key: options.client.privateKeyPem } : {}),
    });
    let received = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`TLS client timed out after ${timeoutMs} ms without a reply or an error`));
    }, timeoutMs);
    const finish = (attempt: ClientAttempt): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(attempt);
    };

    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      received += chunk;
    });
    // With TLS 1.3 the client finishes its side of the handshake before the server checks the
    // client certificate, so a rejection arrives as an alert after secureConnect.
    socket.on("error", (error) => finish({ accepted: false, error: error.message }));
    socket.on("end", () => finish({ accepted: received === acceptedReply }));
  });
}

/**
 * Waits until `condition` is true, checking every 10 ms, or throws after `timeoutMs`. The server
 * records a rejection asynchronously, possibly after the client has seen its error.
 */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Signs a client certificate with an existing ECDSA P-256 CA key, as MtlsCA creates, for cases
 * the program itself never issues, such as an expired certificate or one without clientAuth.
 */
export async function signClientCertificate(options: {
  caCertificatePem: string;
  caPrivateKeyPem: string;
  commonName: string;
  notBefore: Date;
  notAfter: Date;
  /** Extended key usage OIDs, or undefined to leave the extension out entirely. */
  extendedKeyUsages?: string[];
}): Promise<{ certificatePem: string; privateKeyPem: string }> {
  const subtle = crypto.webcrypto.subtle;
  const ecdsa = { name: "ECDSA", namedCurve: "P-256" };

  // The CA key comes from the program as SEC 1 PEM, and WebCrypto imports only PKCS#8.
  const caPkcs8 = crypto.createPrivateKey(options.caPrivateKeyPem).export({ type: "pkcs8", format: "der" });
  const caKey = await subtle.importKey("pkcs8", caPkcs8, ecdsa, false, ["sign"]);
  const caCertificate = new x509.X509Certificate(options.caCertificatePem);
  const keys = await subtle.generateKey(ecdsa, true, ["sign", "verify"]);

  const extensions: x509.Extension[] = [
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.BasicConstraintsExtension(false, undefined, true),
  ];
  if (options.extendedKeyUsages !== undefined) {
    extensions.push(new x509.ExtendedKeyUsageExtension(options.extendedKeyUsages, false));
  }
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: crypto.randomBytes(8).toString("hex").replace(/^[89a-f]/, "1"),
    subject: [{ "2.5.4.3": [options.commonName] }],
    issuer: caCertificate.subjectName,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
    extensions,
  });

  const privateKey = crypto.KeyObject.from(keys.privateKey);
  return {
    certificatePem: certificate.toString("pem"),
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }) as string,
  };
}
