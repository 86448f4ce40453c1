// The auth section's new keys (jwt, aws_alb, admins, job_cancel, registry_write) and server.tls.
import { test } from "node:test";
import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/index.ts";

const load = (text: string) => configFromYaml(text, "heimdall.yaml", {}, { cwd: "/srv", baseDir: "/etc/heimdall" });
const problems = (text: string): string => {
  try {
    load(text);
  } catch (err) {
    return (err as Error).message;
  }
  return "";
};

void test("jwt: defaults, lists, file paths relative to the configuration file", () => {
  const c = load(`
auth:
  plugin: jwt
  admins: [carol, "group:platform"]
  job_cancel: owner
  registry_write: admins
  context:
    jwks_file: keys/jwks.json
    issuer: https://idp.example.com
    audience: [heimdall, heimdall-cli]
    user_claim: email
    groups_claim: groups
`);
  assert.deepEqual(c.auth, {
    plugin: "jwt",
    issuer: ["https://idp.example.com"],
    audience: ["heimdall", "heimdall-cli"],
    user_claim: "email",
    groups_claim: "groups",
    clock_skew: 60,
    algorithms: ["RS256", "ES256"],
    jwks_cache: 600,
    jwks_cooldown: 30,
    fetch_timeout: 5,
    jwks_file: "/etc/heimdall/keys/jwks.json",
    admins: ["carol", "group:platform"],
    job_cancel: "owner",
    registry_write: "admins",
  });
});

void test("jwt: every mistake is named with its line", () => {
  const msg = problems(`
auth:
  plugin: jwt
  default_user: me
  job_cancel: nobody
  context:
    jwks_url: ftp://x
    jwks_file: k.json
    algorithms: [RS256, none, HS256]
`);
  assert.match(msg, /heimdall\.yaml:4: auth\.default_user: only for the auth_header plugin/);
  assert.match(msg, /heimdall\.yaml:5: auth\.job_cancel: must be one of anyone, owner/);
  assert.match(msg, /heimdall\.yaml:7: auth\.context\.jwks_url: must be an http:\/\/ or https:\/\/ URL/);
  assert.match(msg, /heimdall\.yaml:8: auth\.context\.jwks_file: give jwks_url or jwks_file, not both/);
  assert.match(msg, /heimdall\.yaml:9: auth\.context\.algorithms: must be a list of RS256, ES256 \(got none, HS256\)/);
  assert.match(msg, /auth\.context\.issuer: required for the jwt plugin/);
  assert.match(msg, /auth\.context\.audience: required for the jwt plugin/);
  assert.match(
    problems("auth:\n  plugin: jwt\n  context:\n    issuer: i\n    audience: a\n"),
    /auth\.context: the jwt plugin needs jwks_url or jwks_file/,
  );
});

void test("aws_alb: region and key URL from the signer ARN; a bad signer is an error", () => {
  const arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/heimdall/50dc6c495c0c9188";
  const c = load(`auth:\n  plugin: aws_alb\n  context:\n    signer: ${arn}\n    user_claim: email\n`);
  assert.deepEqual(c.auth, {
    plugin: "aws_alb",
    issuer: [],
    audience: [],
    user_claim: "email",
    clock_skew: 60,
    signer: arn,
    key_url: "https://public-keys.auth.elb.eu-west-1.amazonaws.com",
    fetch_timeout: 5,
  });
  const local = load(`auth:\n  plugin: aws_alb\n  context:\n    signer: ${arn}\n    key_url: http://127.0.0.1:8080/keys/\n`);
  assert.equal(local.auth?.plugin === "aws_alb" && local.auth.key_url, "http://127.0.0.1:8080/keys");
  assert.match(
    problems("auth:\n  plugin: aws_alb\n  context:\n    signer: my-alb\n"),
    /heimdall\.yaml:4: auth\.context\.signer: required for aws_alb/,
  );
});

void test("auth_header keeps its shape; policies are added only when configured", () => {
  assert.deepEqual(load("auth: {}\n").auth, { plugin: "auth_header", header: "X-Heimdall-User" });
  const c = load("auth:\n  registry_write: admins\n");
  assert.deepEqual(c.auth, { plugin: "auth_header", header: "X-Heimdall-User", registry_write: "admins" });
  assert.match(c.warnings?.join("\n") ?? "", /auth\.registry_write: admins, but auth\.admins is empty/);
  assert.match(problems("auth:\n  plugin: kerberos\n"), /auth\.plugin: unknown auth plugin: kerberos/);
});

void test("server.tls: both files, relative to the configuration file", () => {
  const c = load("server:\n  tls:\n    cert_file: tls/cert.pem\n    key_file: /secrets/key.pem\n");
  assert.deepEqual(c.server.tls, { cert_file: "/etc/heimdall/tls/cert.pem", key_file: "/secrets/key.pem" });
  assert.match(problems("server:\n  tls:\n    cert_file: c.pem\n"), /server\.tls\.key_file: required: path of a PEM file/);
});
