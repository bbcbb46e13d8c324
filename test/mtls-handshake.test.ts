import * as k8s from "@pulumi/kubernetes";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Gateway } from "../components/gateway";
import { LocalCertificate } from "../components/local-certificate";
import { MtlsCA } from "../components/mtls-ca";
import type { Platform } from "../components/platform";
import type { Route } from "../components/routes";
import { unwrapSecrets } from "./fakes/tls";
import { ofType, resolved, settled, useMocks, type RecordedResource } from "./mocks";
import { connectClient, signClientCertificate, startMtlsServer, waitFor, type ClientAttempt, type MtlsServer } from "./tls-server";

// These tests stand in Node.js (OpenSSL) for Traefik, which verifies client certificates with
// Go's crypto/tls. Go checks the chain with KeyUsages set to clientAuth (crypto/tls
// handshake_server.go), and both reject a certificate whose extended key usage lacks clientAuth.
// Both accept a certificate with no extended key usage extension at all. They differ on the
// keyUsage extension: OpenSSL requires digitalSignature or keyAgreement in it when it is present,
// while Go's chain verification does not check keyUsage at all.

const clientAuthOid = "1.3.6.1.5.5.7.3.2";
const serverAuthOid = "1.3.6.1.5.5.7.3.1";
const dashboardHost = "traefik.localtest.me";
const hourMs = 3_600_000;

const routes: Route[] = [
  { name: "dashboard", host: dashboardHost, pathPrefix: "/", backend: { kind: "traefik-api" }, access: "mtls" },
];

interface Pems {
  certificatePem: string;
  privateKeyPem: string;
}

function spec(resource: RecordedResource): Record<string, any> {
  return unwrapSecrets(resource.inputs) as Record<string, any>;
}

describe("mTLS handshake", () => {
  let server: MtlsServer;
  let serverCaPem: string;
  let staffCaPem: string;
  let staffCaKeyPem: string;
  let alice: Pems;
  let outsider: Pems;
  let clientCaSecret: Record<string, any>;
  let mtlsOption: Record<string, any>;

  beforeAll(async () => {
    await useMocks();
    const platform: Platform = {
      kubernetesProvider: new k8s.Provider("kind", {}),
      gatewayExposure: { serviceType: "NodePort", serviceAnnotations: {}, nodePorts: { http: 30080, https: 30443 }, externalTrafficPolicy: "Cluster" },
      identityDatabase: { kind: "in-cluster" },
      publicCertificate: { kind: "issued-by-program" },
      availability: { replicas: 1, spreadAcrossZones: false },
    };

    const staffCa = new MtlsCA("staff", { staff: [{ id: "alice", name: "Alice Example" }] });
    // An unrelated CA, such as another cluster's, whose staff must not reach this one.
    const otherCa = new MtlsCA("other", { staff: [{ id: "mallory", name: "Mallory Example" }] });
    const local = new LocalCertificate("public", { dnsNames: [dashboardHost] });
    new Gateway("gw", {
      platform,
      routes,
      mtlsCaCertificatePem: staffCa.caCertificatePem,
      forwardAuthUrl: "http://oathkeeper-api.auth.svc.cluster.local:4456/decisions",
      defaultCertificate: { certificatePem: local.certificatePem, privateKeyPem: local.privateKeyPem },
    });

    const [staffClients, otherClients, serverCertificatePem, serverKeyPem] = await Promise.all([
      resolved(staffCa.clientCertificates),
      resolved(otherCa.clientCertificates),
      resolved(local.certificatePem),
      resolved(local.privateKeyPem),
    ]);
    alice = staffClients.alice!;
    outsider = otherClients.mallory!;
    staffCaPem = await resolved(staffCa.caCertificatePem);
    staffCaKeyPem = await resolved(staffCa.caPrivateKeyPem);
    serverCaPem = await resolved(local.caCertificatePem);
    await settled();

    // The server trusts the CA PEM exactly as the Gateway stores it for Traefik.
    const options = ofType("kubernetes:traefik.io/v1alpha1:TLSOption").map(spec);
    const foundOption = options.find((option) => option.metadata.name === "mtls");
    if (foundOption === undefined) {
      throw new Error("The Gateway declared no TLSOption named mtls");
    }
    mtlsOption = foundOption;
    const secretNames: string[] = mtlsOption.spec?.clientAuth?.secretNames ?? [];
    const foundSecret = ofType("kubernetes:core/v1:Secret")
      .map(spec)
      .find((secret) => secretNames.includes(secret.metadata.name));
    if (foundSecret === undefined) {
      throw new Error(`No Secret matches the mtls TLSOption's secretNames ${JSON.stringify(secretNames)}`);
    }
    clientCaSecret = foundSecret;
    const caPems = Object.values<string>(clientCaSecret.stringData ?? {});

    server = await startMtlsServer({
      certificatePem: serverCertificatePem,
      privateKeyPem: serverKeyPem,
      clientCaPems: caPems,
      tlsOptionSpec: mtlsOption.spec,
    });
  });

  afterAll(async () => {
    await server?.close();
  });

  async function attempt(client?: Pems): Promise<{ result: ClientAttempt; rejection?: string }> {
    const before = server.rejections.length;
    const result = await connectClient({ port: server.port, serverName: dashboardHost, serverCaPem, ...(client ? { client } : {}) });
    if (result.accepted) {
      return { result };
    }
    await waitFor(() => server.rejections.length > before, "the server to record the rejection");
    return { result, rejection: server.rejections[before] };
  }

  it("stores the CA where Traefik reads it", () => {
    expect(mtlsOption.spec.clientAuth.clientAuthType).toBe("RequireAndVerifyClientCert");
    expect(clientCaSecret.metadata.namespace).toBe(mtlsOption.metadata.namespace);
    // Traefik's getCABlocks (pkg/provider/kubernetes/crd/kubernetes.go) reads `tls.ca`, and later
    // v3 releases fall back to `ca.crt`.
    expect(Object.keys(clientCaSecret.stringData)).toEqual([expect.stringMatching(/^(tls\.ca|ca\.crt)$/)]);
    expect(Object.values(clientCaSecret.stringData)).toEqual([staffCaPem]);
  });

  it("accepts a staff certificate", async () => {
    const { result } = await attempt(alice);

    expect(result).toEqual({ accepted: true });
  });

  it("rejects a missing certificate", async () => {
    const { result, rejection } = await attempt();

    expect(result.accepted).toBe(false);
    expect(rejection).toMatch(/peer did not return a certificate/);
  });

  it("rejects another CA's certificate", async () => {
    const { result, rejection } = await attempt(outsider);

    expect(result.accepted).toBe(false);
    expect(rejection).toMatch(/^(UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_VERIFY_LEAF_SIGNATURE)$/);
  });

  it("rejects an expired certificate", async () => {
    const expired = await signClientCertificate({
      caCertificatePem: staffCaPem,
      caPrivateKeyPem: staffCaKeyPem,
      commonName: "Expired Example",
      notBefore: new Date(Date.now() - 48 * hourMs),
      notAfter: new Date(Date.now() - 24 * hourMs),
      extendedKeyUsages: [clientAuthOid],
    });
    const { result, rejection } = await attempt(expired);

    expect(result.accepted).toBe(false);
    expect(rejection).toBe("CERT_HAS_EXPIRED");
  });

  it("rejects a serverAuth-only certificate", async () => {
    const serverOnly = await signClientCertificate({
      caCertificatePem: staffCaPem,
      caPrivateKeyPem: staffCaKeyPem,
      commonName: "Server Only",
      notBefore: new Date(Date.now() - hourMs),
      notAfter: new Date(Date.now() + hourMs),
      extendedKeyUsages: [serverAuthOid],
    });
    const { result, rejection } = await attempt(serverOnly);

    expect(result.accepted).toBe(false);
    expect(rejection).toBe("INVALID_PURPOSE");
  });

  it("accepts a certificate without EKU", async () => {
    // Go and OpenSSL both read a missing extension as "any purpose", which is why MtlsCA always
    // sets the extension to clientAuth only.
    const noUsages = await signClientCertificate({
      caCertificatePem: staffCaPem,
      caPrivateKeyPem: staffCaKeyPem,
      commonName: "No Usages",
      notBefore: new Date(Date.now() - hourMs),
      notAfter: new Date(Date.now() + hourMs),
    });
    const { result } = await attempt(noUsages);

    expect(result).toEqual({ accepted: true });
  });
});
