// auth.plugin jwt against a real JWKS served on 127.0.0.1: every refusal is a 401 that names no reason.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { JwtAuth } from "../../src/config/types.ts";
import { call, startHarness, waitFinal, type Harness } from "./harness.ts";
import { bearer, KeyServer, makeKey, noneToken, token, type TestKey } from "./auth-fixtures.ts";

const P = "/api/v1";
const REFUSED = { error: "invalid credentials -- access denied" };
const SUBMIT = { name: "n", version: "1", command_criteria: ["type:ping"], cluster_criteria: ["type:localhost"] };

function jwtAuth(jwksUrl: string, extra: Partial<JwtAuth> = {}): JwtAuth {
  return {
    plugin: "jwt",
    jwks_url: jwksUrl,
    issuer: ["https://idp.test"],
    audience: ["heimdall"],
    algorithms: ["RS256", "ES256"],
    user_claim: "email",
    groups_claim: "groups",
    clock_skew: 30,
    jwks_cache: 600,
    jwks_cooldown: 0,
    fetch_timeout: 2,
    ...extra,
  };
}

describe("auth jwt", () => {
  let keys: KeyServer;
  let h: Harness;
  let rsa: TestKey;
  let ec: TestKey;
  let impostor: TestKey;
  const claims = { email: "alice@example.com" };

  before(async () => {
    keys = await new KeyServer().start();
    rsa = await makeKey("rsa-1", "RS256");
    ec = await makeKey("ec-2", "ES256");
    impostor = await makeKey("rsa-1", "RS256"); // same kid, other key
    keys.jwks("/jwks", [rsa]);
    const started = await startHarness("sqlite", (c) => {
      c.auth = jwtAuth(`${keys.url}/jwks`);
      c.commands = c.commands.map((cmd) =>
        cmd.id === "restricted-0.0.1" ? { ...cmd, allowed_callers: ["group:ops", "bob@example\\.com"] } : cmd,
      );
    });
    assert.ok(started);
    h = started;
  });
  after(async () => {
    await h.close();
    await keys.close();
  });

  const submit = async (headers: Record<string, string>, body: object = SUBMIT) => call(h.app, "POST", `${P}/job`, { headers, body });

  it("accepts a valid RS256 token; the identity comes from user_claim", async () => {
    const r = await submit(bearer(await token(rsa, claims)));
    assert.equal(r.status, 200, r.body);
    assert.equal(r.json.user, "alice@example.com");
    assert.equal(await waitFinal(h.app, r.json.id), "SUCCEEDED");
  });

  it("ignores X-Heimdall-User: without a token the caller is anonymous, with one the token wins", async () => {
    const anon = await submit({ "X-Heimdall-User": "mallory" });
    assert.equal(anon.status, 401);
    assert.deepEqual(anon.json, { error: "cannot identify caller -- access denied" });
    assert.equal(anon.headers["www-authenticate"], 'Bearer realm="heimdall"');
    const both = await submit({ ...bearer(await token(rsa, claims)), "X-Heimdall-User": "mallory" });
    assert.equal(both.status, 200);
    assert.equal(both.json.user, "alice@example.com");
    // GETs stay anonymous-friendly (spec 3.2).
    assert.equal((await call(h.app, "GET", `${P}/jobs`)).status, 200);
  });

  const refusedCases: [string, () => Promise<string>][] = [
    ["expired", () => token(rsa, { ...claims, exp: Math.floor(Date.now() / 1000) - 120 })],
    ["not yet valid", () => token(rsa, { ...claims, nbf: Math.floor(Date.now() / 1000) + 600 })],
    ["wrong audience", () => token(rsa, { ...claims, aud: "other-app" })],
    ["wrong issuer", () => token(rsa, { ...claims, iss: "https://evil.test" })],
    ["no exp", () => token(rsa, { ...claims, exp: undefined })],
    ["signed by another key under the same kid", () => token(impostor, claims)],
    ["alg none", async () => noneToken(claims)],
    [
      "tampered payload",
      async () => {
        const [hd, , sig] = (await token(rsa, claims)).split(".");
        const forged = Buffer.from(
          JSON.stringify({ iss: "https://idp.test", aud: "heimdall", email: "root@example.com", exp: 9_999_999_999 }),
        ).toString("base64url");
        return `${hd}.${forged}.${sig}`;
      },
    ],
    ["garbage", async () => "not.a.jwt"],
    ["missing user claim", () => token(rsa, { sub: "x" })],
  ];
  for (const [name, make] of refusedCases) {
    it(`refuses a token: ${name} → 401 without a reason (GET and POST)`, async () => {
      const t = await make();
      const post = await submit(bearer(t));
      assert.equal(post.status, 401, post.body);
      assert.deepEqual(post.json, REFUSED);
      assert.equal(post.headers["www-authenticate"], 'Bearer realm="heimdall"');
      const get = await call(h.app, "GET", `${P}/jobs`, { headers: bearer(t) });
      assert.equal(get.status, 401);
      assert.deepEqual(get.json, REFUSED);
    });
  }

  it("refuses HS256 signed with the public key as the secret (algorithm confusion)", async () => {
    const { SignJWT } = await import("jose");
    const secret = new TextEncoder().encode(rsa.publicPem);
    const t = await new SignJWT({ ...claims, iss: "https://idp.test", aud: "heimdall", exp: Math.floor(Date.now() / 1000) + 60 })
      .setProtectedHeader({ alg: "HS256", kid: rsa.kid })
      .sign(secret);
    assert.deepEqual((await submit(bearer(t))).json, REFUSED);
    assert.deepEqual((await submit({ authorization: "Basic YWxpY2U6eA==" })).json, REFUSED);
  });

  it("reloads the JWKS when a token names an unknown kid (key rotation)", async () => {
    const t = await token(ec, claims);
    const before = keys.count("/jwks");
    keys.jwks("/jwks", [rsa, ec]);
    const r = await submit(bearer(t));
    assert.equal(r.status, 200, r.body);
    assert.equal(keys.count("/jwks"), before + 1);
    // Now cached: no further fetch for known kids.
    await submit(bearer(await token(rsa, claims)));
    assert.equal(keys.count("/jwks"), before + 1);
  });

  it("the OpenAPI document names the bearer scheme", async () => {
    const doc = (await call(h.app, "GET", `${P}/openapi.json`)).json;
    assert.deepEqual(doc.components.securitySchemes.jwt, {
      type: "http",
      scheme: "bearer",
      bearerFormat: "JWT",
      description: doc.components.securitySchemes.jwt.description,
    });
    assert.deepEqual(doc.security, [{ jwt: [] }, {}]);
    assert.ok(doc.paths["/api/v1/job/{id}/cancel"].post.responses["403"]);
  });

  it("allowed_callers matches the verified identity and group:<name> entries", async () => {
    const restricted = { ...SUBMIT, command_criteria: ["type:restricted"] };
    const denied = await submit(bearer(await token(rsa, { ...claims, groups: ["dev"] })), restricted);
    assert.equal(denied.status, 403);
    assert.equal(denied.json.error, "caller is not allowed to run this command");
    const byGroup = await submit(bearer(await token(rsa, { ...claims, groups: ["dev", "ops"] })), restricted);
    assert.equal(byGroup.status, 200, byGroup.body);
    const byName = await submit(bearer(await token(rsa, { email: "bob@example.com" })), restricted);
    assert.equal(byName.status, 200, byName.body);
  });
});

describe("auth jwt: keys unavailable", () => {
  it("answers 503 while no JWKS could ever be loaded, then recovers", async () => {
    const keys = await new KeyServer().start();
    const rsa = await makeKey("k", "RS256");
    keys.routes.set("/jwks", { status: 500, body: "boom" });
    const h = await startHarness("sqlite", (c) => {
      c.auth = jwtAuth(`${keys.url}/jwks`);
    });
    assert.ok(h);
    try {
      const t = await token(rsa, { email: "a@example.com" });
      const r = await call(h.app, "GET", `${P}/jobs`, { headers: bearer(t) });
      assert.equal(r.status, 503);
      assert.deepEqual(r.json, { error: "cannot verify credentials right now -- try again later" });
      assert.equal(keys.count("/jwks"), 3, "three attempts per load");
      keys.jwks("/jwks", [rsa]);
      assert.equal((await call(h.app, "GET", `${P}/jobs`, { headers: bearer(t) })).status, 200);
    } finally {
      await h.close();
      await keys.close();
    }
  });
});
