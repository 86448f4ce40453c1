// Keys, tokens and key servers generated locally for the auth tests (no network beyond 127.0.0.1).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createPrivateKey, sign as nodeSign, type KeyObject } from "node:crypto";
import { exportJWK, exportPKCS8, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from "jose";

export interface TestKey {
  kid: string;
  alg: "RS256" | "ES256";
  privateKey: CryptoKey;
  publicJwk: JWK;
  publicPem: string;
  privatePem: string;
}

export async function makeKey(kid: string, alg: "RS256" | "ES256"): Promise<TestKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: "sig" };
  return { kid, alg, privateKey, publicJwk, publicPem: await exportSPKI(publicKey), privatePem: await exportPKCS8(privateKey) };
}

const now = () => Math.floor(Date.now() / 1000);

/** A signed JWT; `claims` override the defaults (iss, aud, sub, exp in 5 minutes). */
export async function token(key: TestKey, claims: JWTPayload = {}, header: Record<string, unknown> = {}): Promise<string> {
  const payload: JWTPayload = { iss: "https://idp.test", aud: "heimdall", sub: "user-1", exp: now() + 300, iat: now(), ...claims };
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT", ...header }).sign(key.privateKey);
}

/** ALB-style encoding: standard base64 with `=` padding kept, as AWS ALBs emit it. */
function b64padded(data: Buffer | string): string {
  return Buffer.from(data).toString("base64").replace(/\+/g, "-").replace(/\//g, "_");
}

/** An `x-amzn-oidc-data` value: ES256 over header.payload, header with kid, signer, iss, client. */
export function albToken(key: TestKey, signer: string, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): string {
  const h = { typ: "JWT", kid: key.kid, alg: "ES256", iss: "https://idp.test", client: "client-1", signer, exp: now() + 120, ...header };
  const p = { sub: "alb-sub-1", email: "alice@example.com", exp: now() + 120, iss: "https://idp.test", ...claims };
  const input = `${b64padded(JSON.stringify(h))}.${b64padded(JSON.stringify(p))}`;
  const pk: KeyObject = createPrivateKey(key.privatePem);
  const sig = nodeSign("sha256", Buffer.from(input), { key: pk, dsaEncoding: "ieee-p1363" });
  return `${input}.${b64padded(sig)}`;
}

/** An unsigned token (`alg: none`). */
export function noneToken(claims: JWTPayload): string {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${enc({ alg: "none", typ: "JWT" })}.${enc({ iss: "https://idp.test", aud: "heimdall", exp: now() + 300, ...claims })}.`;
}

/** A loopback HTTP server answering from a mutable route table; counts requests per path. */
export class KeyServer {
  readonly routes = new Map<string, { status: number; body: string }>();
  readonly hits = new Map<string, number>();
  private server: Server | undefined;
  url = "";

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const path = (req.url ?? "/").split("?")[0] ?? "/";
      this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
      const r = this.routes.get(path) ?? { status: 404, body: "not found" };
      res.writeHead(r.status, { "content-type": "application/json" }).end(r.body);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  jwks(path: string, keys: TestKey[]): void {
    this.routes.set(path, { status: 200, body: JSON.stringify({ keys: keys.map((k) => k.publicJwk) }) });
  }

  count(path: string): number {
    return this.hits.get(path) ?? 0;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

export function bearer(t: string): Record<string, string> {
  return { authorization: `Bearer ${t}` };
}
