// Commands and clusters the UI tests run against (ping, shell scripts that fail, tick or echo; an ECS command).
import { join } from "node:path";
import { ROOT } from "./harness.ts";

export const localhost = {
  name: "localhost-0.0.1",
  version: "0.0.1",
  description: "Just a localhost",
  health_check: true,
  tags: ["type:localhost", "data:local"],
  context: { base_url: "http://localhost:9090", properties: { owner: "data-platform", tier: "dev" } },
  attributes: {
    "Job stdout": { kind: "link", value: "{{ .Cluster.base_url }}/api/v1/job/{{ .Job.ID }}/stdout" },
    "Ran as": { kind: "text", value: "{{ .Job.User }}" },
  },
};

export const localCommands = [
  { name: "ping-0.0.1", plugin: "ping", version: "0.0.1", description: "Test ping command", tags: ["type:ping"], cluster_tags: ["type:localhost"] },
  {
    name: "ping-sync-0.0.1",
    plugin: "ping",
    version: "0.0.1",
    description: "Synchronous ping: the job runs inside the submit request",
    is_sync: true,
    tags: ["type:ping-sync"],
    cluster_tags: ["type:localhost"],
  },
  {
    name: "echo-0.0.1",
    plugin: "shell",
    version: "0.0.1",
    description: "Echoes the job's arguments",
    tags: ["type:shell"],
    cluster_tags: ["type:localhost"],
    context: { command: ["/bin/echo", "hello from the shell plugin:"] },
  },
  {
    name: "fail-0.0.1",
    plugin: "shell",
    version: "0.0.1",
    description: "Writes to stderr and exits 3",
    tags: ["type:fail"],
    cluster_tags: ["type:localhost"],
    context: { command: ["/bin/sh", "-c", "echo 'starting the export'; echo 'boom: disk on fire' >&2; exit 3"] },
  },
  {
    name: "ticker-0.0.1",
    plugin: "shell",
    version: "0.0.1",
    description: "Prints a tick every 300 ms until stopped",
    tags: ["type:ticker"],
    cluster_tags: ["type:localhost"],
    context: { command: ["/bin/sh", "-c", "i=0; while true; do i=$((i+1)); echo tick-$i; sleep 0.3; done"] },
  },
  {
    name: "spare-0.0.1",
    plugin: "ping",
    version: "0.0.1",
    description: "A command to switch on and off",
    tags: ["type:spare"],
    cluster_tags: ["type:localhost"],
    allowed_callers: ["registry-admin", "svc-.*"],
    context: { logs_uri: "https://logs.example.com/spare", properties: { team: "platform" } },
  },
];

export const ecsCommand = {
  name: "ecs-batch-job-0.0.1",
  plugin: "ecs",
  version: "0.0.1",
  description: "Run batch jobs on ECS Fargate with retry logic",
  context: {
    task_definition_template: join(ROOT, "examples/ecs/task-definition.json"),
    task_count: 2,
    container_overrides: [{ name: "main", environment: [{ name: "CUSTOM_VAR", value: "custom_value" }] }],
    polling_interval: "1s",
    timeout: "5m",
    max_fail_count: 3,
    cpu: 256,
    memory: 512,
  },
  tags: ["type:ecs"],
  cluster_tags: ["type:fargate"],
};

export const fargateCluster = {
  name: "fargate-cluster",
  version: "0.0.1",
  description: "ECS Fargate cluster for batch jobs",
  tags: ["type:fargate", "data:prod"],
  context: {
    max_cpu: 4096,
    max_memory: 8192,
    max_task_count: 10,
    execution_role_arn: "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
    task_role_arn: "arn:aws:iam::123456789012:role/ecsTaskRole",
    cluster_name: "my-fargate-cluster",
    launch_type: "FARGATE",
    region: "us-east-1",
    vpc_config: { subnets: ["subnet-12345678", "subnet-87654321"], security_groups: ["sg-12345678"] },
  },
};

/** The spec's complete-example job submission (ecs-plugin.md, "Job Submission"). */
export const ecsExampleJob = {
  name: "run-batch-job",
  version: "0.0.1",
  command_criteria: ["type:ecs"],
  cluster_criteria: ["type:fargate"],
  context: {
    task_count: 2,
    container_overrides: [{ name: "main", environment: [{ name: "DATA_SOURCE", value: "s3://my-bucket/data/" }] }],
  },
};
