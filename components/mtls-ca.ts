import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { createCertificateAuthority } from "./certificate-authority";

/** One person who receives a client certificate for the staff-only hosts. */
export interface StaffMember {
  /**
   * Stable id, a DNS-1123 label such as `alice`. Child resource names contain it, so changing it
   * re-issues that person's certificate.
   */
  id: string;
  /** Display name, written to the certificate's common name (CN). */
  name: string;
  /** Email address, written to the certificate subject's emailAddress attribute. */
  email?: string;
}

export interface MtlsCAArgs {
  /** People who receive a client certificate. An empty list creates only the CA. */
  staff: StaffMember[];
  /**
   * Organization (O) in the CA and client certificate subjects.
   * @default "API gateway staff"
   */
  organization?: string;
  /**
   * Lifetime of the CA certificate in hours.
   * @default 43800 (5 years)
   */
  caValidityHours?: number;
  /**
   * Lifetime of each client certificate in hours. It must not exceed `caValidityHours`.
   * @default 2160 (90 days)
   */
  clientValidityHours?: number;
}

/** A staff member's client certificate and its private key, both PEM. */
export interface ClientCertificate {
  certificatePem: string;
  privateKeyPem: string;
}

/**
 * Certificate authority for staff client certificates, with one certificate per staff member.
 *
 * Traefik trusts `caCertificatePem` in the TLSOption of staff-only hosts, so only holders of a
 * certificate from this CA reach them. Keep this CA apart from any CA that browsers trust for
 * server certificates.
 */
export class MtlsCA extends pulumi.ComponentResource {
  /** CA certificate (PEM) that verifies staff client certificates. Public, so not a secret. */
  public readonly caCertificatePem: pulumi.Output<string>;
  /** CA private key (PEM), a Pulumi secret. */
  public readonly caPrivateKeyPem: pulumi.Output<string>;
  /** Client certificate and private key of each staff member, keyed by staff id, a Pulumi secret. */
  public readonly clientCertificates: pulumi.Output<Record<string, ClientCertificate>>;

  constructor(name: string, args: MtlsCAArgs, opts?: pulumi.ComponentResourceOptions) {
    super("apigw:index:MtlsCA", name, {}, opts);

    const organization = args.organization ?? "API gateway staff";
    const caValidityHours = args.caValidityHours ?? 43800;
    const clientValidityHours = args.clientValidityHours ?? 2160;
    validateMtlsCAArgs({ staff: args.staff, organization, caValidityHours, clientValidityHours }, this);
    const children = { parent: this };

    const { key: caKey, certificate: caCertificate } = createCertificateAuthority(
      name,
      { commonName: `${organization} client CA`, organization },
      caValidityHours,
      children,
    );

    // TODO: neither the CA nor the client certificates are rotated, so staff lose access after
    // `clientValidityHours` and everyone after `caValidityHours`. Re-issuing client certificates
    // ahead of expiry (`earlyRenewalHours`) plus a way to hand new ones to staff would fix it,
    // and rotating the CA needs a period in which Traefik trusts both the old and the new CA.
    const clients: Record<string, pulumi.Output<ClientCertificate>> = {};
    for (const person of args.staff) {
      // Keyed by id, so removing one person leaves everyone else's certificate in place.
      const clientName = `${name}-client-${person.id}`;
      const key = new tls.PrivateKey(`${clientName}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, children);
      const request = new tls.CertRequest(
        `${clientName}-request`,
        {
          privateKeyPem: key.privateKeyPem,
          subject: {
            commonName: person.name,
            organization,
            ...(person.email !== undefined ? { emailAddress: person.email } : {}),
          },
        },
        children,
      );
      const certificate = new tls.LocallySignedCert(
        clientName,
        {
          certRequestPem: request.certRequestPem,
          caPrivateKeyPem: caKey.privateKeyPem,
          caCertPem: caCertificate.certPem,
          // client_auth only: without server_auth, a leaked staff key cannot impersonate a server.
          // key_encipherment is left out because ECDSA keys sign but cannot encrypt.
          allowedUses: ["client_auth", "digital_signature"],
          validityPeriodHours: clientValidityHours,
        },
        children,
      );
      clients[person.id] = pulumi
        .all([certificate.certPem, key.privateKeyPem])
        .apply(([certificatePem, privateKeyPem]) => ({ certificatePem, privateKeyPem }));
    }

    this.caCertificatePem = caCertificate.certPem;
    // tls marks the key secret already. Wrapping it states intent and lets a unit test see it.
    this.caPrivateKeyPem = pulumi.secret(caKey.privateKeyPem);
    this.clientCertificates = pulumi.secret(pulumi.all(clients));
    this.registerOutputs({
      caCertificatePem: this.caCertificatePem,
      caPrivateKeyPem: this.caPrivateKeyPem,
      clientCertificates: this.clientCertificates,
    });
  }
}

// Kubernetes' DNS-1123 label: lowercase alphanumerics and '-', starting and ending alphanumeric.
const dnsLabelPattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsLabelMaxLength = 63;

/** Checks the plain args after defaults, so a mistake fails before any certificate is issued. */
function validateMtlsCAArgs(args: Required<MtlsCAArgs>, component: pulumi.Resource): void {
  const seen = new Set<string>();
  for (const person of args.staff) {
    if (!dnsLabelPattern.test(person.id) || person.id.length > dnsLabelMaxLength) {
      throw new pulumi.ResourceError(
        `staff id "${person.id}" is invalid. Use a DNS-1123 label: up to 63 lowercase letters, digits and '-', starting and ending with a letter or digit.`,
        component,
      );
    }
    if (seen.has(person.id)) {
      throw new pulumi.ResourceError(`staff id "${person.id}" appears twice. Give each person a unique id.`, component);
    }
    seen.add(person.id);
    if (person.name.trim() === "") {
      throw new pulumi.ResourceError(`staff member "${person.id}" has an empty name. Set it to the person's full name.`, component);
    }
  }

  if (args.organization.trim() === "") {
    throw new pulumi.ResourceError(`organization is empty. Leave it unset for the default or name the organization.`, component);
  }

  for (const [field, value] of [
    ["caValidityHours", args.caValidityHours],
    ["clientValidityHours", args.clientValidityHours],
  ] as const) {
    if (!Number.isInteger(value) || value <= 0) {
      throw new pulumi.ResourceError(`${field} ${value} is invalid. Use a positive whole number of hours.`, component);
    }
  }

  if (args.clientValidityHours > args.caValidityHours) {
    throw new pulumi.ResourceError(
      `clientValidityHours ${args.clientValidityHours} exceeds caValidityHours ${args.caValidityHours}. Clients stop verifying when the CA expires, so lower clientValidityHours or raise caValidityHours.`,
      component,
    );
  }
}
