import { test } from "node:test";
import assert from "node:assert/strict";
import { clusterToJson, commandToJson, jobToJson, statusToJson, type Cluster, type Command, type Job } from "../../src/core/index.ts";

const command: Command = {
  id: "ping-0.0.1",
  name: "ping-0.0.1",
  version: "0.0.1",
  user: "heimdall",
  description: "Test ping command",
  tags: ["_id:ping-0.0.1", "_name:ping-0.0.1", "_version:0.0.1", "type:ping"],
  created_at: 1719990000,
  updated_at: 1719990000,
  status: "ACTIVE",
  plugin: "ping",
  is_sync: false,
  cluster_tags: ["type:localhost"],
  allowed_callers: [],
};

void test("command: spec 2.2 example, exact text (key order and omissions)", () => {
  assert.equal(
    JSON.stringify(commandToJson(command)),
    '{"id":"ping-0.0.1","name":"ping-0.0.1","version":"0.0.1","user":"heimdall","description":"Test ping command",' +
      '"tags":["_id:ping-0.0.1","_name:ping-0.0.1","_version:0.0.1","type:ping"],"created_at":1719990000,"updated_at":1719990000,' +
      '"status":"ACTIVE","plugin":"ping","cluster_tags":["type:localhost"]}',
  );
  const full = commandToJson({ ...command, is_sync: true, context: {}, allowed_callers: ["a"], cluster_tags: [] });
  assert.deepEqual(Object.keys(full), [
    "id",
    "name",
    "version",
    "user",
    "description",
    "tags",
    "context",
    "created_at",
    "updated_at",
    "status",
    "plugin",
    "is_sync",
    "cluster_tags",
    "allowed_callers",
  ]);
  assert.deepEqual(full["cluster_tags"], []);
  assert.deepEqual(full["context"], {});
  const bare = commandToJson({ ...command, name: "", version: "", description: "" });
  assert.deepEqual(Object.keys(bare), ["id", "user", "tags", "created_at", "updated_at", "status", "plugin", "cluster_tags"]);
});

void test("cluster: key order and omissions", () => {
  const cluster: Cluster = {
    id: "localhost-0.0.1",
    name: "localhost-0.0.1",
    version: "0.0.1",
    user: "heimdall",
    description: "Just a localhost",
    tags: ["_id:localhost-0.0.1"],
    context: { test_url: "http://localhost:8080" },
    created_at: 1,
    updated_at: 2,
    status: "ACTIVE",
    health_check: true,
    attributes: { L: { kind: "link", value: "{{ .Cluster.test_url }}" } },
  };
  assert.deepEqual(Object.keys(clusterToJson(cluster)), [
    "id",
    "name",
    "version",
    "user",
    "description",
    "tags",
    "context",
    "created_at",
    "updated_at",
    "status",
    "health_check",
    "attributes",
  ]);
  assert.deepEqual(clusterToJson(cluster)["attributes"], { L: { kind: "link", value: "{{ .Cluster.test_url }}" } });
  const plain = clusterToJson({ ...cluster, health_check: false, attributes: {}, context: undefined });
  assert.deepEqual(Object.keys(plain), ["id", "name", "version", "user", "description", "tags", "created_at", "updated_at", "status"]);
});

const job: Job = {
  id: "3f2b8c1e-6d4a-4c7e-9b1f-2a5d8e0c4b71",
  name: "ping-test",
  version: "0.0.1",
  user: "test_user",
  description: "",
  tags: ["_id:3f2b8c1e-6d4a-4c7e-9b1f-2a5d8e0c4b71", "_name:ping-test", "_version:0.0.1"],
  context: {},
  created_at: 1719999990,
  updated_at: 1719999999,
  status: "SUCCEEDED",
  is_sync: false,
  store_result_sync: false,
  error: "",
  command_criteria: ["type:ping"],
  cluster_criteria: ["type:localhost"],
  command_id: "ping-0.0.1",
  command_name: "ping-0.0.1",
  cluster_id: "localhost-0.0.1",
  cluster_name: "localhost-0.0.1",
  canceled_by: "",
  job_attributes: {},
};

void test("job: key order and omissions", () => {
  assert.deepEqual(Object.keys(jobToJson(job)), [
    "id",
    "name",
    "version",
    "user",
    "tags",
    "context",
    "created_at",
    "updated_at",
    "status",
    "command_criteria",
    "cluster_criteria",
    "command_id",
    "command_name",
    "cluster_id",
    "cluster_name",
    "started_at",
    "finished_at",
  ]);
  const result = { columns: [{ name: "message", type: "string" }], data: [["Hello, test_user!"]] };
  const all = jobToJson(
    {
      ...job,
      description: "d",
      is_sync: true,
      store_result_sync: true,
      error: "boom",
      canceled_by: "alice",
      job_attributes: { A: { kind: "text", value: "v" } },
      started_at: 1719999991,
      finished_at: 1719999999,
      progress: { tasks: 2, succeeded: 2, running: 0, retrying: 0, failed: 0, pending: 0 },
    },
    result,
  );
  assert.deepEqual(Object.keys(all), [
    "id",
    "name",
    "version",
    "user",
    "description",
    "tags",
    "context",
    "created_at",
    "updated_at",
    "status",
    "is_sync",
    "store_result_sync",
    "error",
    "command_criteria",
    "cluster_criteria",
    "command_id",
    "command_name",
    "cluster_id",
    "cluster_name",
    "canceled_by",
    "job_attributes",
    "started_at",
    "finished_at",
    "progress",
    "result",
  ]);
  assert.deepEqual(all["result"], result);
  assert.deepEqual(
    [all["started_at"], all["finished_at"], all["progress"]],
    [1719999991, 1719999999, { tasks: 2, succeeded: 2, running: 0, retrying: 0, failed: 0, pending: 0 }],
  );
  const fresh = jobToJson({
    ...job,
    status: "NEW",
    command_id: "",
    command_name: "",
    cluster_id: "",
    cluster_name: "",
    context: undefined,
    command_criteria: [],
    cluster_criteria: [],
  });
  assert.deepEqual(Object.keys(fresh), [
    "id",
    "name",
    "version",
    "user",
    "tags",
    "created_at",
    "updated_at",
    "status",
    "command_criteria",
    "cluster_criteria",
    "started_at",
    "finished_at",
  ]);
  // started_at / finished_at are always present: null until the job starts / ends.
  assert.deepEqual([fresh["started_at"], fresh["finished_at"]], [null, null]);
  assert.deepEqual(fresh["command_criteria"], []);
});

void test("statusToJson", () => {
  assert.equal(JSON.stringify(statusToJson({ updated_at: 5, status: "RUNNING", error: "" })), '{"updated_at":5,"status":"RUNNING"}');
  assert.equal(
    JSON.stringify(statusToJson({ updated_at: 5, status: "FAILED", error: "x" })),
    '{"updated_at":5,"status":"FAILED","error":"x"}',
  );
});
