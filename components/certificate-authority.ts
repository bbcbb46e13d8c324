import type * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

/** A CA key and its self-signed certificate, as the program's two CAs create them. */
export interface CertificateAuthority {
  readonly key: tls.PrivateKey;
  readonly certificate: tls.SelfSignedCert;
}

/**
 * Creates an ECDSA P-256 key and a self-signed CA certificate for it, named `${name}-ca-key` and
 * `${name}-ca`.
 *
 * P-256 rather than RSA, because Go's crypto/tls (Traefik), OpenSSL and every current browser
 * accept it, its keys are small and signing is fast. The curve is set explicitly because the
 * provider's default, P224, is offered by neither browsers nor Go's TLS stack.
 */
export function createCertificateAuthority(
  name: string,
  subject: { commonName: pulumi.Input<string>; organization: pulumi.Input<string> },
  validityHours: number,
  options: pulumi.CustomResourceOptions,
): CertificateAuthority {
  const key = new tls.PrivateKey(`${name}-ca-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, options);
  const certificate = new tls.SelfSignedCert(
    `${name}-ca`,
    {
      privateKeyPem: key.privateKeyPem,
      isCaCertificate: true,
      allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
      subject,
      validityPeriodHours: validityHours,
    },
    options,
  );
  return { key, certificate };
}
