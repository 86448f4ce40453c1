// Commands and clusters the UI tests run against: the built-in demo's (src/config/demo.ts), some with test
// additions, plus shell scripts that fail, tick or echo.
import { demoConfigDocument } from "../../src/config/index.ts";

type Entry = Record<string, unknown> & { name: string; context?: Record<string, unknown> };
const demo = demoConfigDocument() as { commands: Entry[]; clusters: Entry[] };
const fromDemo = (list: Entry[], name: string): Entry => {
  const entry = list.find((e) => e.name === name);
  if (!entry) throw new Error(`demo config has no ${name}`);
  return entry;
};
const demoLocalhost = fromDemo(demo.clusters, "localhost-0.0.1");
const demoEcs = fromDemo(demo.commands, "ecs-batch-job-0.0.1");

export const localhost = {
  ...demoLocalhost,
  context: { ...demoLocalhost.context, properties: { owner: "data-platform", tier: "dev" } },
  attributes: { ...(demoLocalhost["attributes"] as object), "Ran as": { kind: "text", value: "{{ .Job.User }}" } },
};

export const localCommands = [
  fromDemo(demo.commands, "ping-0.0.1"),
  fromDemo(demo.commands, "ping-sync-0.0.1"),
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

/** The demo's ECS command, polling faster and with a shorter timeout. */
export const ecsCommand = { ...demoEcs, context: { ...demoEcs.context, polling_interval: "1s", timeout: "5m" } };

export const fargateCluster = fromDemo(demo.clusters, "fargate-cluster");

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
