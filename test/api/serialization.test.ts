// Response serialization from the route schemas (fast-json-stringify) writes exactly what core's serializers
// build: every field (additions like started_at, finished_at, progress, result included), key order, omissions,
// nulls and open objects (context, task timeline). A field missing from a schema would be dropped silently.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Schema as TSchema } from "../../src/api/json-schema.ts";
import { buildSerializer } from "../../src/api/serializer.ts";
import {
  ClusterSchema,
  CommandSchema,
  ErrorSchema,
  HealthReportSchema,
  JobListSchema,
  JobSchema,
  SHARED_SCHEMAS,
  StatsSchema,
  StatusSchema,
  TaskTimelineSchema,
} from "../../src/api/wire-schemas.ts";
import { clusterToJson, commandToJson, jobToJson, statusToJson } from "../../src/core/index.ts";
import type { Cluster, Command, Job } from "../../src/core/index.ts";

const external = Object.fromEntries(SHARED_SCHEMAS.map((s) => [String(s["$id"]), s]));
const factory = buildSerializer(external, {});
function serialize(schema: TSchema, value: unknown): string {
  const fn = factory({ schema: { $ref: `${String(schema["$id"])}#` }, method: "GET", url: "/x", httpStatus: "200" });
  return fn(value);
}
/** The schema-driven text equals JSON.stringify of the same value (same keys, same order, nothing dropped). */
function same(schema: TSchema, value: unknown): void {
  assert.equal(serialize(schema, value), JSON.stringify(value));
}

const job: Job = {
  id: "3f2b8c1e-6d4a-4c7e-9b1f-2a5d8e0c4b71",
  name: "ping-test",
  version: "0.0.1",
  user: "alice",
  description: "d",
  tags: ["_id:x", "type:ping"],
  context: { a: 1, nested: { b: [1, "two", null, true] } },
  created_at: 1719999990,
  updated_at: 1719999999,
  status: "FAILED",
  is_sync: true,
  store_result_sync: true,
  error: "boom",
  command_criteria: ["type:ping"],
  cluster_criteria: ["type:localhost"],
  command_id: "ping-0.0.1",
  command_name: "ping",
  cluster_id: "localhost-0.0.1",
  cluster_name: "localhost",
  canceled_by: "bob",
  job_attributes: { Logs: { kind: "link", value: "http://x" }, Note: { kind: "text", value: "t" } },
  started_at: 1719999991,
  finished_at: 1719999998,
  progress: { tasks: 3, succeeded: 1, running: 1, retrying: 0, failed: 1, pending: 0 },
};
const bareJob: Job = {
  ...job,
  name: "",
  version: "",
  description: "",
  context: undefined,
  is_sync: false,
  store_result_sync: false,
  error: "",
  command_id: "",
  command_name: "",
  cluster_id: "",
  cluster_name: "",
  canceled_by: "",
  job_attributes: {},
  started_at: null,
  finished_at: null,
  progress: undefined,
};
const command: Command = {
  id: "c",
  name: "n",
  version: "1",
  user: "u",
  description: "d",
  tags: ["t"],
  context: { command: ["/bin/sh", "-c", "x"] },
  created_at: 1,
  updated_at: 2,
  status: "INACTIVE",
  plugin: "shell",
  is_sync: true,
  cluster_tags: ["type:x"],
  allowed_callers: ["alice", "group:dev"],
};
const cluster: Cluster = {
  id: "k",
  name: "n",
  version: "1",
  user: "u",
  description: "d",
  tags: ["t"],
  context: { region: "eu" },
  created_at: 1,
  updated_at: 2,
  status: "DELETED",
  health_check: true,
  attributes: { L: { kind: "link", value: "{{ .Cluster.region }}" } },
};

describe("response serialization from the route schemas", () => {
  it("writes jobs exactly as core does: every field, key order, omissions, nulls, result", () => {
    same(JobSchema, jobToJson(job));
    same(JobSchema, jobToJson(bareJob));
    same(JobSchema, jobToJson(job, { columns: [{ name: "a", type: "string" }], data: [["x", 1, null, { deep: [true] }]] }));
    assert.match(serialize(JobSchema, jobToJson(bareJob)), /"started_at":null,"finished_at":null/);
    same(JobListSchema, { data: [jobToJson(job), jobToJson(bareJob)], has_more: true, next_cursor: "abc" });
    same(JobListSchema, { data: [] });
  });

  it("writes commands, clusters and statuses exactly as core does", () => {
    same(CommandSchema, commandToJson(command));
    same(CommandSchema, commandToJson({ ...command, name: "", description: "", context: undefined, is_sync: false, allowed_callers: [] }));
    same(ClusterSchema, clusterToJson(cluster));
    same(ClusterSchema, clusterToJson({ ...cluster, health_check: false, attributes: {}, context: undefined }));
    same(StatusSchema, statusToJson({ updated_at: 5, status: "FAILED", error: "x" }));
    same(StatusSchema, statusToJson({ updated_at: 5, status: "RUNNING" }));
    same(ErrorSchema, { error: "sync job failed", id: "j" });
  });

  it("writes stats, health reports and open task timelines unchanged", () => {
    same(StatsSchema, {
      since: 1,
      until: 2,
      counts: { NEW: 0, FAILED: 3 },
      finished_per_hour: [{ hour: 0, succeeded: 1, failed: 0, canceled: 2 }],
      running_ecs_tasks: 4,
      slowest: [{ id: "a", name: "n", status: "SUCCEEDED", started_at: 1, finished_at: 9, duration: 8 }],
      recent_failures: [{ id: "b", name: "m", error: "e", finished_at: 3 }],
    });
    same(HealthReportSchema, {
      healthy: false,
      checks: [{ cluster_id: "c", cluster_name: "n", plugin: "ping", status: "error", latency_ms: 3, error: "down" }],
    });
    same(TaskTimelineSchema, {
      job_id: "j",
      task_count: 2,
      outcome: null,
      representative: { slot: 0, attempt: 1 },
      slots: [{ slot: 0, attempts: [{ exit_code: null }] }],
    });
  });
});
