// HTTPS with a self-signed certificate (openssl, generated here): the CLI with --ca-file and --token /
// HEIMDALL_TOKEN against a jwt-authenticated server, and SIGHUP reloading the certificate without dropping an
// open connection.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { makeKey, token, type TestKey } from "../api/auth-fixtures.ts";
import { cliAsync } from "./server-process.ts";
import { hasOpenssl, selfSigned, startTlsServer, type TlsServer } from "./tls-server.ts";

/** The subject CN of the certificate a fresh TLS connection is shown. */
function peerCn(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => {
      const cn = s.getPeerCertificate().subject?.CN;
      s.end();
      resolve(String(cn));
    });
    s.once("error", reject);
  });
}

describe("HTTPS and tokens through the CLI", { skip: hasOpenssl ? false : "openssl not installed" }, () => {
  let dir: string;
  let srv: TlsServer;
  let key: TestKey;
  let first: { cert: string; key: string };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "heimdall-tls-"));
    first = selfSigned(dir, "first");
    key = await makeKey("k1", "ES256");
    writeFileSync(join(dir, "jwks.json"), JSON.stringify({ keys: [key.publicJwk] }));
    srv = await startTlsServer(dir, first, {
      auth: {
        plugin: "jwt",
        job_cancel: "owner",
        context: { jwks_file: join(dir, "jwks.json"), issuer: "https://idp.test", audience: "heimdall", user_claim: "email" },
      },
    });
  });
  after(async () => {
    await srv?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const submit = [
    "job",
    "submit",
    "--name",
    "t",
    "--version",
    "1",
    "--command-criteria",
    "type:ping",
    "--cluster-criteria",
    "type:localhost",
    "--json",
  ];

  it("submits over https with --ca-file and --token; the job belongs to the token's user", async () => {
    const t = await token(key, { email: "alice@example.com" });
    const r = await cliAsync([...submit, "--server", srv.url, "--ca-file", first.cert, "--token", t]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).user, "alice@example.com");
    // HEIMDALL_TOKEN / HEIMDALL_CA_FILE do the same.
    const env = await cliAsync([...submit, "--server", srv.url], {
      HEIMDALL_TOKEN: await token(key, { email: "bob@example.com" }),
      HEIMDALL_CA_FILE: first.cert,
    });
    assert.equal(env.code, 0, env.stderr);
    assert.equal(JSON.parse(env.stdout).user, "bob@example.com");
    // Owner-only cancel through the CLI: bob may not cancel alice's job.
    const id = JSON.parse(r.stdout).id as string;
    const cancel = await cliAsync([
      "job",
      "cancel",
      id,
      "--server",
      srv.url,
      "--ca-file",
      first.cert,
      "--token",
      await token(key, { email: "bob@example.com" }),
    ]);
    assert.notEqual(cancel.code, 0);
    assert.match(cancel.stderr, /only the job's owner or an admin may cancel this job|already in a final state/);
  });

  it("refuses an untrusted certificate and a bad token with clear messages", async () => {
    const untrusted = await cliAsync([...submit, "--server", srv.url, "--token", await token(key, { email: "a@example.com" })]);
    assert.equal(untrusted.code, 2);
    assert.match(untrusted.stderr, /cannot reach https:\/\/127\.0\.0\.1:\d+: .*(SELF_SIGNED|CERT).*--ca-file/);
    const expired = await token(key, { email: "a@example.com", exp: Math.floor(Date.now() / 1000) - 3600 });
    const bad = await cliAsync([...submit, "--server", srv.url, "--ca-file", first.cert, "--token", expired]);
    assert.equal(bad.code, 1);
    assert.equal(
      bad.stderr,
      "heimdall: invalid credentials -- access denied [HTTP 401] (the token was refused: expired or not for this server?)\n",
    );
    const none = await cliAsync([...submit, "--server", srv.url, "--ca-file", first.cert, "--user", "mallory"]);
    assert.equal(none.stderr, "heimdall: cannot identify caller -- access denied [HTTP 401]\n");
  });

  it("SIGHUP reloads the certificate; an open keep-alive connection keeps working", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: readFileSync(first.cert) });
    const get = () =>
      new Promise<{ status: number; socket: unknown }>((resolve, reject) => {
        const req = request(`${srv.url}/api/v1/health`, { agent }, (res) => {
          res.resume();
          res.once("end", () => resolve({ status: res.statusCode ?? 0, socket: req.socket }));
        });
        req.once("error", reject);
        req.end();
      });
    const a = await get();
    assert.equal(a.status, 200);
    assert.equal(await peerCn(srv.port), "first");
    // Replace the files in place (as a certificate renewal does), then SIGHUP.
    const second = selfSigned(dir, "second");
    writeFileSync(first.cert, readFileSync(second.cert));
    writeFileSync(first.key, readFileSync(second.key));
    srv.proc.kill("SIGHUP");
    const deadline = Date.now() + 20_000;
    while (!srv.output().includes("TLS certificate reloaded")) {
      assert.ok(Date.now() < deadline, `no reload logged: ${srv.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const b = await get();
    assert.equal(b.status, 200);
    assert.equal(b.socket, a.socket, "the same connection was reused across the reload");
    assert.equal(await peerCn(srv.port), "second");
    assert.ok(srv.proc.exitCode === null, "server still running");
    agent.destroy();
    // A broken pair on SIGHUP keeps the previous certificate.
    writeFileSync(first.key, "not a key");
    srv.proc.kill("SIGHUP");
    while (!srv.output().includes("TLS reload failed")) {
      assert.ok(Date.now() < deadline + 20_000, srv.output());
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(await peerCn(srv.port), "second");
  });
});
