import * as net from "node:net";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { createCertificateAuthority } from "./certificate-authority";

export interface LocalCertificateArgs {
  /** Hostnames the server certificate covers, such as `app.localtest.me` or `*.localtest.me`. */
  dnsNames: string[];
  /**
   * Lifetime of the server certificate in hours, at most 19800 (825 days).
   *
   * Apple platforms reject TLS server certificates valid for more than 825 days, even from a CA
   * the user added. For CAs that ship with the system, Apple's limit is 398 days.
   * @default 8760 (365 days)
   */
  validityHours?: number;
}

const organization = "API gateway development";
/** Lifetime of the development CA (5 years), longer than any server certificate it signs. */
const caValidityHours = 43800;
/** Apple's limit for TLS server certificates issued after 1 July 2019 (support.apple.com/103769). */
const maxValidityHours = 825 * 24;
const maxEarlyRenewalHours = 30 * 24;

/**
 * A development CA and one TLS server certificate that it signs, for clusters without a public CA.
 *
 * Developers trust `caCertificatePem` in their browser once. This CA is separate from the staff
 * client CA (`MtlsCA`), so trusting it for server certificates does not make a browser or Traefik
 * accept anything the staff CA signs, and the reverse.
 */
export class LocalCertificate extends pulumi.ComponentResource {
  /** Development CA certificate (PEM) that browsers trust. Public, so not a secret. */
  public readonly caCertificatePem: pulumi.Output<string>;
  /** Server certificate (PEM) for `dnsNames`, signed by the development CA. */
  public readonly certificatePem: pulumi.Output<string>;
  /** Private key (PEM) of the server certificate, a Pulumi secret. */
  public readonly privateKeyPem: pulumi.Output<string>;

  constructor(name: string, args: LocalCertificateArgs, opts?: pulumi.ComponentResourceOptions) {
    super("apigw:index:LocalCertificate", name, {}, opts);

    const validityHours = args.validityHours ?? 8760;
    validateLocalCertificateArgs(args.dnsNames, validityHours, this);
    const children = { parent: this };

    // TODO: the development CA is never rotated and expires after caValidityHours. Rotating it
    // means every developer trusts the new CA again, so it would need a warning ahead of expiry.
    const { key: caKey, certificate: caCertificate } = createCertificateAuthority(
      name,
      // The stack name distinguishes the CAs of several clusters in one browser's trust store.
      { commonName: `API gateway development CA (${pulumi.getStack()})`, organization },
      caValidityHours,
      children,
    );

    const serverKey = new tls.PrivateKey(`${name}-server-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, children);
    const request = new tls.CertRequest(
      `${name}-server-request`,
      {
        privateKeyPem: serverKey.privateKeyPem,
        // Browsers match only the SAN entries. The common name is for people reading the cert.
        subject: { commonName: args.dnsNames[0], organization },
        dnsNames: args.dnsNames,
      },
      children,
    );
    const certificate = new tls.LocallySignedCert(
      `${name}-server`,
      {
        certRequestPem: request.certRequestPem,
        caPrivateKeyPem: caKey.privateKeyPem,
        caCertPem: caCertificate.certPem,
        // key_encipherment is left out because an ECDSA key cannot encrypt. TLS 1.2 ECDHE and
        // TLS 1.3 need only digital_signature from a server key.
        allowedUses: ["server_auth", "digital_signature"],
        validityPeriodHours: validityHours,
        // The provider replaces the certificate on the first `pulumi up` inside this window. The
        // CA stays the same, so browsers keep trusting the new certificate.
        earlyRenewalHours: Math.min(maxEarlyRenewalHours, Math.floor(validityHours / 4)),
      },
      children,
    );

    this.caCertificatePem = caCertificate.certPem;
    this.certificatePem = certificate.certPem;
    this.privateKeyPem = pulumi.secret(serverKey.privateKeyPem);
    this.registerOutputs({
      caCertificatePem: this.caCertificatePem,
      certificatePem: this.certificatePem,
      privateKeyPem: this.privateKeyPem,
    });
  }
}

// A DNS name of labels of up to 63 letters, digits and '-', optionally starting with a `*.` wildcard.
const dnsNamePattern = /^(\*\.)?([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)*[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Checks the plain args, so a mistake fails before any key is generated. */
function validateLocalCertificateArgs(dnsNames: string[], validityHours: number, component: pulumi.Resource): void {
  if (dnsNames.length === 0) {
    throw new pulumi.ResourceError("dnsNames is empty. List every hostname the server certificate must cover.", component);
  }
  for (const dnsName of dnsNames) {
    if (net.isIP(dnsName) !== 0) {
      throw new pulumi.ResourceError(
        `dnsNames entry "${dnsName}" is an IP address. Browsers match IP addresses only against IP SAN entries, so use a hostname.`,
        component,
      );
    }
    if (!dnsNamePattern.test(dnsName) || dnsName.length > 253) {
      throw new pulumi.ResourceError(
        `dnsNames entry "${dnsName}" is not a valid DNS name. Use lowercase labels of letters, digits and '-', optionally starting with "*.".`,
        component,
      );
    }
  }
  if (!Number.isInteger(validityHours) || validityHours <= 0 || validityHours > maxValidityHours) {
    throw new pulumi.ResourceError(
      `validityHours ${validityHours} is invalid. Use a whole number of hours from 1 to ${maxValidityHours} (825 days), because Apple platforms reject longer-lived server certificates.`,
      component,
    );
  }
}
