import * as crypto from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type JWK, type JWTPayload, SignJWT, createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, exportJWK, importJWK, jwtVerify } from "jose";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthProxy } from "../components/auth-proxy";
import { privateJwkMembers } from "../components/oathkeeper-config";
import type { Route } from "../components/routes";
import { named, resolved, settled, useMocks } from "./mocks";

const routes: Route[] = [
  { name: "orders-api", host: "app.example.test", pathPrefix: "/api", access: "session", backend: { kind: "service", namespace: "apps", service: "echo", port: 80 } },
];

const subject = "5f1c3a3e-8f0b-4c1e-9a57-2d8b4c1f0e11";

interface IdTokenSettings {
  issuer: string;
  claims: Record<string, unknown>;
  ttlSeconds: number;
}

type JsonWebKeySet = { keys: JWK[] };

let privateKeySet: JsonWebKeySet;
let publishedKeySet: JsonWebKeySet;
let componentPublicKeySet: JsonWebKeySet;
let settings: IdTokenSettings;

/** Converts a Go duration of one unit, the form the id_token mutator's `ttl` accepts, to seconds. */
function goDurationSeconds(duration: string): number {
  const match = /^([0-9]+)(ns|us|ms|s|m|h)$/.exec(duration);
  if (match === null) {
    throw new Error(`invalid Go duration "${duration}"`);
  }
  const unitSeconds: Record<string, number> = { ns: 1e-9, us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  return Number(match[1]) * unitSeconds[match[2]!]!;
}

/** Removes private members, as Oathkeeper's `/.well-known/jwks.json` does with go-jose's `Public()`. */
function publishKeySet(keySet: JsonWebKeySet): JsonWebKeySet {
  return {
    keys: keySet.keys.map((key) => Object.fromEntries(Object.entries(key).filter(([member]) => !privateJwkMembers.includes(member))) as JWK),
  };
}

/**
 * Signs a token as the id_token mutator does: claims from the template, then exp, jti, iat, iss,
 * nbf and sub, with the key's `alg` and a `kid` header (pipeline/mutate/mutator_id_token.go and
 * credentials/signer_default.go in ory/oathkeeper).
 */
async function signLikeOathkeeper(key: JWK, overrides: { issuer?: string; claims?: Record<string, unknown>; expiresAt?: number } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ ...(overrides.claims ?? settings.claims) })
    .setProtectedHeader({ alg: key.alg!, kid: key.kid!, typ: "JWT" })
    .setExpirationTime(overrides.expiresAt ?? now + settings.ttlSeconds)
    .setJti(crypto.randomUUID())
    .setIssuedAt(now)
    .setIssuer(overrides.issuer ?? settings.issuer)
    .setNotBefore(now)
    .setSubject(subject)
    .sign(await importJWK(key, key.alg));
}

/** Verifies a token the way a backend does: the published keys, the fixed issuer and audience. */
function verifyAsBackend(token: string, keySet: JsonWebKeySet = publishedKeySet) {
  return jwtVerify(token, createLocalJWKSet(keySet), { issuer: "https://app.example.test/", audience: "orders", algorithms: ["ES256"] });
}

describe("ID tokens", () => {
  beforeAll(async () => {
    await useMocks();
    const provider = new k8s.Provider("fake", {});
    const proxy = new AuthProxy("auth", {
      platform: {
        kubernetesProvider: provider,
        gatewayExposure: { serviceType: "NodePort", serviceAnnotations: {}, externalTrafficPolicy: "Cluster" },
        identityDatabase: { kind: "in-cluster" },
        publicCertificate: { kind: "issued-by-program" },
        availability: { replicas: 1, spreadAcrossZones: false },
      },
      routes,
      sessionCheckUrl: "http://kratos-public.identity.svc.cluster.local:4433/sessions/whoami",
      sessionCookieName: "ory_kratos_session",
      loginUrl: "https://app.example.test/login",
      issuerUrl: "https://app.example.test/",
      audience: "orders",
      tokenTtl: "5m",
    });
    componentPublicKeySet = JSON.parse(await resolved(proxy.publicKeySet)) as JsonWebKeySet;
    await settled();

    // The key set exactly as the Kubernetes Secret stores it. The mock records the secret input
    // inside Pulumi's secret wrapper object.
    const stringData = named("auth-jwks").inputs.stringData as Record<string, any>;
    expect(stringData[pulumi.runtime.specialSigKey]).toBe(pulumi.runtime.specialSecretSig);
    privateKeySet = JSON.parse(stringData.value["jwks.json"] as string) as JsonWebKeySet;
    publishedKeySet = publishKeySet(privateKeySet);

    const config = parse(named("auth-config").inputs.data["config.yaml"] as string) as Record<string, any>;
    const idToken = config.mutators.id_token.config as { issuer_url: string; claims: string; ttl: string };
    settings = {
      issuer: idToken.issuer_url,
      // The template has no actions, so Go's text/template outputs it unchanged.
      claims: JSON.parse(idToken.claims) as Record<string, unknown>,
      ttlSeconds: goDurationSeconds(idToken.ttl),
    };
  });

  it("key set has one signing key", () => {
    expect(privateKeySet.keys).toHaveLength(1);
    expect(privateKeySet.keys[0]).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
    expect(privateKeySet.keys[0]!.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("published keys have no private members", () => {
    for (const key of publishedKeySet.keys) {
      for (const member of privateJwkMembers) {
        expect(key, member).not.toHaveProperty(member);
      }
    }
    expect(publishedKeySet).toEqual(componentPublicKeySet);
  });

  it("backend verifies a signed token", async () => {
    const token = await signLikeOathkeeper(privateKeySet.keys[0]!);
    expect(decodeProtectedHeader(token)).toEqual({ alg: "ES256", kid: privateKeySet.keys[0]!.kid, typ: "JWT" });

    const { payload } = await verifyAsBackend(token);
    expect(payload.sub).toBe(subject);
    expect(payload.iss).toBe("https://app.example.test/");
    expect(payload.aud).toEqual(["orders"]);
    expect(payload.exp! - payload.iat!).toBe(300);
  });

  it("rejects another key's signature", async () => {
    const other = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey;
    const forged = { ...(await exportJWK(other)), kid: privateKeySet.keys[0]!.kid, alg: "ES256" } as JWK;
    const token = await signLikeOathkeeper(forged);
    await expect(verifyAsBackend(token)).rejects.toThrow("signature verification failed");
  });

  it("rejects another issuer", async () => {
    const token = await signLikeOathkeeper(privateKeySet.keys[0]!, { issuer: "https://evil.example.test/" });
    await expect(verifyAsBackend(token)).rejects.toThrow('unexpected "iss" claim value');
  });

  it("rejects another audience", async () => {
    const token = await signLikeOathkeeper(privateKeySet.keys[0]!, { claims: { aud: ["billing"] } });
    await expect(verifyAsBackend(token)).rejects.toThrow('unexpected "aud" claim value');
  });

  it("rejects an expired token", async () => {
    const token = await signLikeOathkeeper(privateKeySet.keys[0]!, { expiresAt: Math.floor(Date.now() / 1000) - 60 });
    await expect(verifyAsBackend(token)).rejects.toThrow('"exp" claim timestamp check failed');
  });

  it("rejects without a matching key", async () => {
    const token = await signLikeOathkeeper(privateKeySet.keys[0]!);
    await expect(verifyAsBackend(token, { keys: [] })).rejects.toThrow("no applicable key found in the JSON Web Key Set");
  });

  describe("remote JWKS", () => {
    let server: http.Server;
    let jwksUrl: URL;

    beforeAll(async () => {
      // Serves the published set the way Oathkeeper's API does, on loopback only.
      server = http.createServer((request, response) => {
        if (request.method === "GET" && request.url === "/.well-known/jwks.json") {
          response.writeHead(200, { "content-type": "application/json" });
          response.end(JSON.stringify(publishedKeySet));
          return;
        }
        response.writeHead(404).end();
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      jwksUrl = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`);
    });

    afterAll(async () => {
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    });

    it("backend verifies through the URL", async () => {
      const token = await signLikeOathkeeper(privateKeySet.keys[0]!);
      const { payload } = await jwtVerify<JWTPayload>(token, createRemoteJWKSet(jwksUrl), {
        issuer: settings.issuer,
        audience: "orders",
        algorithms: ["ES256"],
      });
      expect(payload.sub).toBe(subject);
    });
  });
});
