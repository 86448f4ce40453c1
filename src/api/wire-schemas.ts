// Wire objects of the REST API as JSON schemas (json-schema.ts builders; shared schemas with an `$id`, registered with
// app.addSchema): they drive response serialization (fast-json-stringify keeps only the properties listed here, in this order —
// the canonical key order of core's serializers, spec 2.1–2.4) and become the OpenAPI components.
import { Type } from "./json-schema.ts";
import type { Schema as TSchema } from "./json-schema.ts";
import { JOB_STATUSES, REGISTRY_STATUSES } from "../core/index.ts";

/** `{$ref}` to a shared schema by its `$id` (resolved by Fastify's serializer and by @fastify/swagger). */
export const ref = (id: string): TSchema => Type.Unsafe({ $ref: `${id}#` });

const str = Type.String();
const int = Type.Integer();
const tagList = Type.Array(Type.String(), { example: ["type:shell", "env:dev"] });
/** Free-form JSON object (job/command/cluster context): every key is kept. */
const openObject = (description: string) => Type.Object({}, { additionalProperties: true, nullable: true, description });
const epoch = (description: string) => Type.Integer({ description, example: 1767225600 });

export const JobStatusSchema = Type.Unsafe({ type: "string", enum: [...JOB_STATUSES], example: "SUCCEEDED" });
export const RegistryStatusSchema = Type.Unsafe({ type: "string", enum: [...REGISTRY_STATUSES], example: "ACTIVE" });

const attributes = Type.Record(Type.Object({ kind: Type.Unsafe({ type: "string", enum: ["link", "text"] }), value: str }), {
  description: "Label → rendered attribute",
});

/** The fields every job, command and cluster starts with (core serialize.ts `base`). */
const base = {
  id: Type.String({ example: "0196a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b" }),
  name: Type.Optional(Type.String({ example: "nightly-report" })),
  version: Type.Optional(Type.String({ example: "1.0" })),
  user: Type.String({ example: "alice" }),
  description: Type.Optional(str),
  tags: tagList,
  context: Type.Optional(openObject("Plugin-specific settings (any JSON object)")),
  created_at: epoch("Epoch seconds"),
  updated_at: epoch("Epoch seconds"),
};

export const ErrorSchema = Type.Object(
  {
    error: Type.String({ example: "name: required" }),
    id: Type.Optional(Type.String({ description: "The job's id when one was created" })),
  },
  { $id: "Error", example: { error: "unknown job_id" } },
);

export const ResultSchema = Type.Object(
  {
    columns: Type.Array(Type.Object({ name: str, type: str })),
    data: Type.Array(Type.Array(Type.Unknown())),
  },
  { $id: "Result" },
);

export const JobProgressSchema = Type.Object(
  { tasks: int, succeeded: int, running: int, retrying: int, failed: int, pending: int },
  { $id: "JobProgress", description: "Task summary of a multi-task (ECS) job; omitted when none" },
);

export const JobSchema = Type.Object(
  {
    ...base,
    status: JobStatusSchema,
    is_sync: Type.Optional(Type.Boolean()),
    store_result_sync: Type.Optional(Type.Boolean()),
    error: Type.Optional(str),
    command_criteria: tagList,
    cluster_criteria: tagList,
    command_id: Type.Optional(str),
    command_name: Type.Optional(str),
    cluster_id: Type.Optional(str),
    cluster_name: Type.Optional(str),
    canceled_by: Type.Optional(str),
    job_attributes: Type.Optional(attributes),
    started_at: Type.Integer({ nullable: true, description: "Epoch seconds of the first transition to RUNNING; null until then" }),
    finished_at: Type.Integer({ nullable: true, description: "Epoch seconds of the transition to a final status; null until then" }),
    progress: Type.Optional(ref("JobProgress")),
    result: Type.Optional(ref("Result")),
  },
  { $id: "Job" },
);

export const SubmitJobSchema = Type.Object(
  {
    name: str,
    version: str,
    description: Type.Optional(str),
    tags: Type.Optional(tagList),
    context: Type.Optional(openObject("Layered over the command's and cluster's context")),
    command_criteria: tagList,
    cluster_criteria: tagList,
    store_result_sync: Type.Optional(Type.Boolean()),
  },
  {
    $id: "SubmitJob",
    additionalProperties: true,
    example: {
      name: "hello",
      version: "1",
      command_criteria: ["type:shell"],
      cluster_criteria: ["type:local"],
      context: { command: "echo hi" },
    },
  },
);

export const CommandSchema = Type.Object(
  {
    ...base,
    status: RegistryStatusSchema,
    plugin: Type.String({ example: "shell" }),
    is_sync: Type.Optional(Type.Boolean()),
    cluster_tags: tagList,
    allowed_callers: Type.Optional(tagList),
  },
  { $id: "Command" },
);

export const ClusterSchema = Type.Object(
  { ...base, status: RegistryStatusSchema, health_check: Type.Optional(Type.Boolean()), attributes: Type.Optional(attributes) },
  { $id: "Cluster" },
);

/** PUT bodies: the documented fields; validation stays in core (validateCommandBody/validateClusterBody). */
export const CommandBodySchema = Type.Object(
  {},
  { $id: "CommandBody", additionalProperties: true, description: "A command as in Command, without the server-set fields" },
);
export const ClusterBodySchema = Type.Object(
  {},
  { $id: "ClusterBody", additionalProperties: true, description: "A cluster as in Cluster, without the server-set fields" },
);

export const StatusSchema = Type.Object(
  { updated_at: epoch("Epoch seconds"), status: Type.String({ example: "RUNNING" }), error: Type.Optional(str) },
  { $id: "Status" },
);

const listOf = (item: string) =>
  Type.Object(
    {
      data: Type.Array(ref(item)),
      has_more: Type.Optional(Type.Boolean()),
      next_cursor: Type.Optional(Type.String({ description: "Pass as ?cursor= for the next page" })),
    },
    { $id: `${item}List` },
  );
export const JobListSchema = listOf("Job");
export const CommandListSchema = listOf("Command");
export const ClusterListSchema = listOf("Cluster");

export const StatsSchema = Type.Object(
  {
    since: int,
    until: int,
    counts: Type.Record(int, { description: "Jobs created since `since`, by status (every status, 0 when none)" }),
    finished_per_hour: Type.Array(Type.Object({ hour: int, succeeded: int, failed: int, canceled: int }), {
      description: "Every hour from the hour of `since` to now, zeros included",
    }),
    running_ecs_tasks: Type.Integer({ description: "Sum of progress.running over RUNNING jobs" }),
    slowest: Type.Array(Type.Object({ id: str, name: str, status: JobStatusSchema, started_at: int, finished_at: int, duration: int }), {
      description: "Top 5 by finished_at - started_at among jobs finished since `since`",
    }),
    recent_failures: Type.Array(Type.Object({ id: str, name: str, error: str, finished_at: int }), {
      description: "The 5 latest FAILED jobs finished since `since`",
    }),
  },
  { $id: "Stats" },
);

export const HealthReportSchema = Type.Object(
  {
    healthy: Type.Boolean(),
    checks: Type.Array(
      Type.Object({
        cluster_id: str,
        cluster_name: str,
        plugin: str,
        status: Type.String({ example: "ok" }),
        latency_ms: Type.Number(),
        error: Type.Optional(str),
      }),
    ),
  },
  { $id: "HealthReport" },
);

export const InstanceHealthSchema = Type.Object(
  {
    healthy: Type.Boolean(),
    version: str,
    instance: str,
    checks: Type.Array(
      Type.Object({
        name: Type.String({ example: "database" }),
        status: Type.Unsafe({ type: "string", enum: ["ok", "error"] }),
        latency_ms: Type.Number(),
        error: Type.Optional(str),
      }),
    ),
  },
  { $id: "InstanceHealth" },
);

export const TaskTimelineSchema = Type.Object(
  {},
  {
    $id: "TaskTimeline",
    additionalProperties: true,
    description:
      "ECS task timeline: job_id, task_count, max_fail_count, outcome, representative, containers, slots[].attempts[] (plugin contract TaskTimeline)",
  },
);

/** Every shared schema, registered once with app.addSchema (order: referenced before referencing). */
export const SHARED_SCHEMAS: TSchema[] = [
  ErrorSchema,
  ResultSchema,
  JobProgressSchema,
  JobSchema,
  SubmitJobSchema,
  CommandSchema,
  ClusterSchema,
  CommandBodySchema,
  ClusterBodySchema,
  StatusSchema,
  JobListSchema,
  CommandListSchema,
  ClusterListSchema,
  StatsSchema,
  HealthReportSchema,
  InstanceHealthSchema,
  TaskTimelineSchema,
];
