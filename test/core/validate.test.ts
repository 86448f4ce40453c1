import { test } from "node:test";
import assert from "node:assert/strict";
import {
  HeimdallError,
  parseJsonBody,
  topField,
  parseStatusChange,
  validateClusterBody,
  validateCommandBody,
  validateIdentity,
  validateRegistryId,
  validateSubmit,
} from "../../src/core/index.ts";

function badRequest(fn: () => unknown, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof HeimdallError, `not a HeimdallError: ${String(err)}`);
    assert.equal(err.code, "BAD_REQUEST");
    assert.equal(err.status, 400);
    assert.equal(err.message, message);
    return true;
  });
}

const long = (n: number, ch = "a") => ch.repeat(n);
const emoji = "\u{1F600}";

void test("parseJsonBody", () => {
  assert.deepEqual(parseJsonBody(""), {});
  assert.deepEqual(parseJsonBody("  \n\t"), {});
  assert.deepEqual(parseJsonBody('{"a":1}'), { a: 1 });
  for (const raw of ["[]", "1", '"x"', "null", "true"]) badRequest(() => parseJsonBody(raw), "request body: must be a JSON object");
  assert.throws(
    () => parseJsonBody("{bad"),
    (e: unknown) => e instanceof HeimdallError && e.message.startsWith("invalid JSON: "),
  );
});

void test("validateSubmit accepts the spec's example and ignores server-owned keys", () => {
  const input = validateSubmit({
    id: "x",
    status: "SUCCEEDED",
    user: "mallory",
    is_sync: true,
    command_id: "c",
    name: "ping-test",
    version: "0.0.1",
    description: "optional free text",
    tags: ["owner:#dev-core", "env:prod", "env:prod"],
    context: {},
    command_criteria: ["type:ping"],
    cluster_criteria: ["type:localhost"],
    store_result_sync: false,
  });
  assert.deepEqual(input, {
    name: "ping-test",
    version: "0.0.1",
    description: "optional free text",
    tags: ["env:prod", "owner:#dev-core"],
    context: {},
    command_criteria: ["type:ping"],
    cluster_criteria: ["type:localhost"],
    store_result_sync: false,
  });
});

void test("validateSubmit: missing or null criteria stay undefined, [] stays []", () => {
  const a = validateSubmit({});
  assert.equal(a.command_criteria, undefined);
  assert.equal(a.cluster_criteria, undefined);
  assert.equal("context" in a, false);
  const b = validateSubmit({ command_criteria: null, cluster_criteria: [], context: null });
  assert.equal(b.command_criteria, undefined);
  assert.deepEqual(b.cluster_criteria, []);
  assert.equal(b.context, undefined);
  assert.deepEqual(validateSubmit(undefined), { name: "", version: "", description: "", tags: [], store_result_sync: false });
});

void test("validateSubmit: lengths are counted in characters", () => {
  assert.equal(validateSubmit({ name: long(300, emoji) }).name.length, 600);
  assert.equal(validateSubmit({ tags: [long(128, emoji)] }).tags.length, 1);
});

void test("validateSubmit messages", () => {
  const ctxTooBig = { s: long(131_072 - 8) }; // {"s":"..."} = 8 bytes of syntax
  assert.equal(JSON.stringify(ctxTooBig).length, 131_072);
  validateSubmit({ context: ctxTooBig }); // exactly at the limit is fine
  const cases: [unknown, string][] = [
    [[], "request body: must be a JSON object"],
    ["x", "request body: must be a JSON object"],
    [{ name: long(301) }, "name: must be at most 300 characters"],
    [{ name: 5 }, "name: must be a string"],
    [{ version: long(65) }, "version: must be at most 64 characters"],
    [{ description: long(256) }, "description: must be at most 255 characters"],
    [{ tags: "a" }, "tags: must be an array of strings"],
    [{ tags: ["a", 1] }, "tags[1]: must be a string"],
    [{ tags: ["a", "b", long(129)] }, "tags[2]: must be at most 128 characters"],
    [{ tags: [""] }, "tags[0]: must not be empty"],
    [{ tags: Array.from({ length: 101 }, (_, i) => `t${i}`) }, "tags: must have at most 100 entries"],
    [{ context: [] }, "context: must be an object or null"],
    [{ context: "x" }, "context: must be an object or null"],
    [{ context: { s: long(131_072 - 7) } }, "context: must be at most 131072 bytes"],
    [{ command_criteria: [1] }, "command_criteria[0]: must be a string"],
    [{ cluster_criteria: "type:x" }, "cluster_criteria: must be an array of strings"],
    [{ store_result_sync: "yes" }, "store_result_sync: must be a boolean"],
    [
      { name: long(301), tags: ["a", 7], store_result_sync: 1 },
      "name: must be at most 300 characters; tags[1]: must be a string; store_result_sync: must be a boolean",
    ],
  ];
  for (const [body, message] of cases) badRequest(() => validateSubmit(body), message);
});

void test("validateRegistryId and identity", () => {
  validateRegistryId("ping-0.0.1");
  validateRegistryId(long(128));
  const cases: [string, string][] = [
    ["", "id: must not be empty"],
    [long(129), "id: must be at most 128 characters"],
    ["a/b", 'id: must not contain "/"'],
    ["a\u0007b", "id: must not contain control characters"],
    ["a\nb", "id: must not contain control characters"],
    [" a", "id: must not have leading or trailing spaces"],
    ["a ", "id: must not have leading or trailing spaces"],
    ["statuses", 'id: "statuses" is reserved'],
  ];
  for (const [id, message] of cases) badRequest(() => validateRegistryId(id), message);
  validateIdentity(long(64));
  badRequest(() => validateIdentity(long(65)), "user: must be at most 64 characters");
});

void test("validateCommandBody builds the stored definition with defaults", () => {
  const c = validateCommandBody(
    "export-0.0.1",
    {
      id: "ignored",
      user: "ignored",
      created_at: 1,
      version: "0.0.1",
      description: "Nightly export script",
      plugin: "shell",
      status: "Inactive",
      tags: ["type:shell", "_id:fake"],
      cluster_tags: ["type:localhost", "b", "b"],
      allowed_callers: ["svc-.*", "airflow"],
      context: { command: ["/opt/jobs/export.sh"] },
    },
    "alice",
  );
  assert.deepEqual(c, {
    id: "export-0.0.1",
    name: "export-0.0.1",
    version: "0.0.1",
    user: "alice",
    description: "Nightly export script",
    tags: ["_id:export-0.0.1", "_name:export-0.0.1", "_version:0.0.1", "type:shell"],
    status: "INACTIVE",
    plugin: "shell",
    is_sync: false,
    cluster_tags: ["b", "type:localhost"],
    allowed_callers: ["airflow", "svc-.*"],
    context: { command: ["/opt/jobs/export.sh"] },
  });
  const d = validateCommandBody("p", { plugin: "ping", name: "Ping", is_sync: true }, "u");
  assert.equal(d.status, "ACTIVE");
  assert.equal(d.is_sync, true);
  assert.equal(d.name, "Ping");
  assert.deepEqual(d.tags, ["_id:p", "_name:Ping", "_version:"]);
  assert.equal("context" in d, false);
});

void test("validateCommandBody messages", () => {
  const cases: [string, unknown, string][] = [
    ["c", {}, "plugin: is required"],
    ["c", { plugin: 3 }, "plugin: must be a string"],
    ["c", { plugin: "ping", status: "paused" }, "unknown status: paused"],
    ["c", { plugin: "ping", status: 1 }, "status: must be a string"],
    ["c", { plugin: "ping", is_sync: "true" }, "is_sync: must be a boolean"],
    ["c", { plugin: "ping", name: long(129) }, "name: must be at most 128 characters"],
    ["c", { plugin: "ping", name: "a/b" }, 'name: must not contain "/"'],
    ["c", { plugin: "ping", cluster_tags: [""] }, "cluster_tags[0]: must not be empty"],
    ["c", { plugin: "ping", allowed_callers: [""] }, "command c: allowed_callers contains empty pattern"],
    [
      "export-0.0.1",
      { plugin: "shell", allowed_callers: ["svc-("] },
      'command export-0.0.1: invalid allowed_callers pattern "svc-(": missing closing )',
    ],
    ["c", { plugin: "ping", allowed_callers: "x" }, "allowed_callers: must be an array of strings"],
    ["c", { plugin: "ping", allowed_callers: [long(257)] }, "allowed_callers[0]: must be at most 256 characters"],
    ["c", { plugin: "ping", allowed_callers: Array.from({ length: 101 }, () => "a") }, "allowed_callers: must have at most 100 entries"],
    ["c", { plugin: "ping", context: [1] }, "context: must be an object or null"],
    ["statuses", { plugin: "ping" }, 'id: "statuses" is reserved'],
    ["c", [], "request body: must be a JSON object"],
    ["c", { version: long(65), status: "x" }, "version: must be at most 64 characters; unknown status: x; plugin: is required"],
  ];
  for (const [id, body, message] of cases) badRequest(() => validateCommandBody(id, body, "u"), message);
});

void test("validateClusterBody builds the stored definition", () => {
  const c = validateClusterBody(
    "localhost-0.0.1",
    {
      version: "0.0.1",
      description: "Just a localhost",
      tags: ["type:localhost", "data:local"],
      health_check: true,
      attributes: {
        "Test Link Label": { kind: "link", value: "{{ .Cluster.test_url }}/remaining_static_or_runtime_generated_path" },
      },
      context: { test_url: "http://localhost:8080" },
    },
    "alice",
  );
  assert.deepEqual(c, {
    id: "localhost-0.0.1",
    name: "localhost-0.0.1",
    version: "0.0.1",
    user: "alice",
    description: "Just a localhost",
    tags: ["_id:localhost-0.0.1", "_name:localhost-0.0.1", "_version:0.0.1", "data:local", "type:localhost"],
    status: "ACTIVE",
    health_check: true,
    attributes: {
      "Test Link Label": { kind: "link", value: "{{ .Cluster.test_url }}/remaining_static_or_runtime_generated_path" },
    },
    context: { test_url: "http://localhost:8080" },
  });
  assert.deepEqual(validateClusterBody("k", null, "u").attributes, {});
});

void test("validateClusterBody messages", () => {
  const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`l${i}`, { kind: "text", value: "" }]));
  const cases: [unknown, string][] = [
    [{ attributes: { "Test Link Label": { kind: "url", value: "x" } } }, 'attributes.Test Link Label.kind: must be "link" or "text"'],
    [{ attributes: { X: { value: "x" } } }, 'attributes.X.kind: must be "link" or "text"'],
    [{ attributes: { "Spark History": { kind: "link", value: "{{ .Cluster.x" } } }, "attributes.Spark History.value: unclosed action"],
    [{ attributes: { X: { kind: "text", value: 1 } } }, "attributes.X.value: must be a string"],
    [{ attributes: { X: { kind: "text", value: long(4097) } } }, "attributes.X.value: must be at most 4096 characters"],
    [{ attributes: { X: "y" } }, 'attributes.X: must be an object with "kind" and "value"'],
    [{ attributes: { [long(129)]: { kind: "text", value: "" } } }, `attributes.${long(129)}: label must be at most 128 characters`],
    [{ attributes: [] }, "attributes: must be an object"],
    [{ attributes: many }, "attributes: must have at most 50 entries"],
    [{ health_check: "yes" }, "health_check: must be a boolean"],
    [{ status: "gone" }, "unknown status: gone"],
    [{ tags: [1, 2] }, "tags[0]: must be a string; tags[1]: must be a string"],
  ];
  for (const [body, message] of cases) badRequest(() => validateClusterBody("k", body, "u"), message);
});

void test("parseStatusChange: query wins, case-insensitive, required", () => {
  assert.equal(parseStatusChange(undefined, { status: "inactive" }), "INACTIVE");
  assert.equal(parseStatusChange("active", { status: "inactive" }), "ACTIVE");
  assert.equal(parseStatusChange("Deleted", undefined), "DELETED");
  badRequest(() => parseStatusChange(undefined, {}), "status is required");
  badRequest(() => parseStatusChange("", { status: "" }), "status is required");
  badRequest(() => parseStatusChange("paused", {}), "unknown status: paused");
});

void test("a validation failure carries one {path, message} problem per field; the message joins their texts", () => {
  const body = {
    name: "a/b",
    status: "paused",
    tags: ["ok", ""],
    attributes: { "GPU.count": { kind: "url", value: "{{ .Cluster.x" } },
  };
  const err = (() => {
    try {
      validateClusterBody("k", body, "u");
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  assert.ok(err instanceof HeimdallError);
  assert.deepEqual(err.problems, [
    { path: "name", message: 'name: must not contain "/"' },
    { path: "tags[1]", message: "tags[1]: must not be empty" },
    { path: "status", message: "unknown status: paused" },
    { path: "attributes.GPU.count.kind", message: 'attributes.GPU.count.kind: must be "link" or "text"' },
    { path: "attributes.GPU.count.value", message: "attributes.GPU.count.value: unclosed action" },
  ]);
  assert.equal(err.message, err.problems.map((p) => p.message).join("; "));
  assert.deepEqual(
    err.problems.map((p) => topField(p.path)),
    ["name", "tags", "status", "attributes", "attributes"],
  );
  // An allowed_callers pattern's 8.2 text does not start with its path; the path still names the entry.
  const callers = (() => {
    try {
      validateCommandBody("c", { plugin: "ping", allowed_callers: ["ok", "bad("] }, "u");
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  assert.ok(callers instanceof HeimdallError);
  assert.deepEqual(callers.problems, [
    { path: "allowed_callers[1]", message: 'command c: invalid allowed_callers pattern "bad(": missing closing )' },
  ]);
  // A job id given to the error keeps the problems.
  assert.deepEqual(callers.withJobId("j1").problems, callers.problems);
  // Other errors have none.
  assert.throws(
    () => parseStatusChange("paused", {}),
    (e: unknown) => e instanceof HeimdallError && e.problems.length === 0,
  );
});
