// auth.plugin aws_alb: x-amzn-oidc-data tokens (ES256, padded base64 as ALBs emit) with PEM keys served by kid
// from a local key endpoint.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { AlbAuth } from "../../src/config/types.ts";
import { call, startHarness, type Harness } from "./harness.ts";
import { albToken, KeyServer, makeKey, type TestKey } from "./auth-fixtures.ts";

const P = "/api/v1";
const SIGNER = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/heimdall/50dc6c495c0c9188";
const REFUSED = { error: "invalid credentials -- access denied" };
const SUBMIT = { name: "n", version: "1", command_criteria: ["type:ping"], cluster_criteria: ["type:localhost"] };

describe("auth aws_alb", () => {
  let keys: KeyServer;
  let h: Harness;
  let alb: TestKey;
  let other: TestKey;

  before(async () => {
    keys = await new KeyServer().start();
    alb = await makeKey("6f3c2d1e-aaaa-4bbb-8ccc-0123456789ab", "ES256");
    other = await makeKey("6f3c2d1e-aaaa-4bbb-8ccc-0123456789ab", "ES256");
    keys.routes.set(`/${alb.kid}`, { status: 200, body: alb.publicPem });
    const auth: AlbAuth = {
      plugin: "aws_alb",
      signer: SIGNER,
      key_url: keys.url,
      issuer: ["https://idp.test"],
      audience: [],
      user_claim: "email",
      clock_skew: 30,
      fetch_timeout: 2,
    };
    const started = await startHarness("sqlite", (c) => {
      c.auth = auth;
    });
    assert.ok(started);
    h = started;
  });
  after(async () => {
    await h.close();
    await keys.close();
  });

  const submit = (headers: Record<string, string>) => call(h.app, "POST", `${P}/job`, { headers, body: SUBMIT });
  const oidc = (t: string) => ({ "x-amzn-oidc-data": t });

  it("accepts the ALB's token; identity from user_claim; the key is fetched once per kid", async () => {
    const t = albToken(alb, SIGNER);
    assert.ok(t.includes("="), "the test token carries base64 padding like real ALB tokens");
    const r = await submit({ ...oidc(t), "X-Heimdall-User": "mallory" });
    assert.equal(r.status, 200, r.body);
    assert.equal(r.json.user, "alice@example.com");
    const again = await submit(oidc(albToken(alb, SIGNER, { email: "bob@example.com" })));
    assert.equal(again.json.user, "bob@example.com");
    assert.equal(keys.count(`/${alb.kid}`), 1);
  });

  const cases: [string, () => string][] = [
    ["another load balancer's signer", () => albToken(alb, SIGNER.replace("heimdall", "other"))],
    ["signed by another key", () => albToken(other, SIGNER)],
    ["expired", () => albToken(alb, SIGNER, { exp: Math.floor(Date.now() / 1000) - 300 })],
    ["wrong issuer", () => albToken(alb, SIGNER, { iss: "https://evil.test" })],
    ["unknown kid (key endpoint 404)", () => albToken(alb, SIGNER, {}, { kid: "no-such-kid" })],
    ["path-like kid", () => albToken(alb, SIGNER, {}, { kid: "../etc/passwd" })],
    ["alg other than ES256", () => albToken(alb, SIGNER, {}, { alg: "none" })],
    [
      "tampered payload",
      () => {
        const [hd, , sig] = albToken(alb, SIGNER).split(".");
        return `${hd}.${Buffer.from(JSON.stringify({ email: "root@example.com", exp: 9_999_999_999, iss: "https://idp.test" })).toString("base64url")}.${sig}`;
      },
    ],
  ];
  for (const [name, make] of cases) {
    it(`refuses ${name} → 401 without a reason`, async () => {
      const r = await submit(oidc(make()));
      assert.equal(r.status, 401, r.body);
      assert.deepEqual(r.json, REFUSED);
    });
  }

  it("without the header the caller is anonymous (GET 200, POST 401)", async () => {
    assert.equal((await call(h.app, "GET", `${P}/jobs`)).status, 200);
    const r = await submit({ "X-Heimdall-User": "mallory" });
    assert.equal(r.status, 401);
    assert.deepEqual(r.json, { error: "cannot identify caller -- access denied" });
  });
});
