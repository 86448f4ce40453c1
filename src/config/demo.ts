// The built-in demo configuration used by `heimdall serve` / `npm start` when no configuration file exists.
// examples/heimdall.yaml is the same configuration as an annotated file (a test keeps the two equal).
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Document } from "yaml";
import type { HeimdallConfig } from "./types.ts";
import { configFromDocument } from "./load.ts";
import type { Env } from "./env.ts";

export const DEMO_SOURCE = "<built-in demo>";

/** Repository root, found from this file (src/config/demo.ts). */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");

/** Absolute path of the spec's complete-example task definition template. */
export const DEMO_TASK_DEFINITION = fileURLToPath(new URL("../../examples/ecs/task-definition.json", import.meta.url));

/** The demo configuration as a plain object (the same keys a YAML file has). */
export function demoConfigDocument(): Record<string, unknown> {
  return {
    server: { addr: "0.0.0.0:9090" },
    database: { connection_string: "sqlite:./.heimdall/heimdall.db" },
    jobs_directory: "./.heimdall/jobs",
    auth: { plugin: "auth_header", context: { header: "X-Heimdall-User" }, default_user: "local-user" },
    // Commands created through the API may use the template files of the demo's own folder (examples/ecs).
    template_roots: [dirname(DEMO_TASK_DEFINITION)],
    local_ecs: {
      enabled: true,
      host: "127.0.0.1",
      port: 4566,
      settings: {
        pacing: "demo",
        clusters: ["default", "my-fargate-cluster"],
        // A third of the Fargate Spot tasks are interrupted 2-8 s after they start (6 s warning under demo pacing).
        spot: { rate: 0.3, afterSeconds: [2, 8] },
      },
    },
    commands: [
      {
        name: "ping-0.0.1",
        status: "active",
        plugin: "ping",
        version: "0.0.1",
        description: "Test ping command",
        tags: ["type:ping"],
        cluster_tags: ["type:localhost"],
      },
      {
        name: "ping-sync-0.0.1",
        status: "active",
        plugin: "ping",
        version: "0.0.1",
        description: "Synchronous ping: the job runs inside the submit request",
        is_sync: true,
        tags: ["type:ping-sync"],
        cluster_tags: ["type:localhost"],
      },
      {
        name: "shell-0.0.1",
        status: "active",
        plugin: "shell",
        version: "0.0.1",
        description: "Echoes the job's arguments (context.arguments) to stdout",
        tags: ["type:shell"],
        cluster_tags: ["type:localhost"],
        context: { command: ["/bin/echo", "hello from the shell plugin:"] },
      },
      {
        name: "ecs-batch-job-0.0.1",
        status: "active",
        plugin: "ecs",
        version: "0.0.1",
        description: "Run batch jobs on ECS Fargate with retry logic",
        context: {
          task_definition_template: DEMO_TASK_DEFINITION,
          task_count: 2,
          container_overrides: [{ name: "main", environment: [{ name: "CUSTOM_VAR", value: "custom_value" }] }],
          polling_interval: "2s",
          timeout: "1h",
          max_fail_count: 3,
          cpu: 256,
          memory: 512,
        },
        tags: ["type:ecs"],
        cluster_tags: ["type:fargate"],
      },
      {
        name: "ecs-spot-batch-job-0.0.1",
        status: "active",
        plugin: "ecs",
        version: "0.0.1",
        description: "The same batch job on Fargate Spot: interruptions are retried, then the slot moves to FARGATE",
        context: {
          task_definition_template: DEMO_TASK_DEFINITION,
          task_count: 4,
          container_overrides: [{ name: "main", command: ["sh", "-c", 'echo "Task name: $TASK_NAME"; sleep 10; echo done'] }],
          polling_interval: "2s",
          timeout: "1h",
          max_fail_count: 1,
          max_spot_interruptions: 2,
          spot_fallback: true,
          cpu: 256,
          memory: 512,
        },
        tags: ["type:ecs-spot"],
        cluster_tags: ["type:fargate-spot"],
      },
    ],
    clusters: [
      {
        name: "localhost-0.0.1",
        status: "active",
        version: "0.0.1",
        description: "Just a localhost",
        health_check: true,
        attributes: {
          "Job stdout": { kind: "link", value: "{{ .Cluster.base_url }}/api/v1/job/{{ .Job.ID }}/stdout" },
        },
        context: { base_url: "http://localhost:9090" },
        tags: ["type:localhost", "data:local"],
      },
      {
        name: "fargate-cluster",
        status: "active",
        version: "0.0.1",
        description: "ECS Fargate cluster for batch jobs",
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
        tags: ["type:fargate", "data:prod"],
      },
      {
        name: "fargate-spot-cluster",
        status: "active",
        version: "0.0.1",
        description: "The same ECS cluster, tasks placed 3:1 on FARGATE_SPOT and FARGATE",
        context: {
          max_cpu: 4096,
          max_memory: 8192,
          max_task_count: 10,
          execution_role_arn: "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
          task_role_arn: "arn:aws:iam::123456789012:role/ecsTaskRole",
          cluster_name: "my-fargate-cluster",
          capacity_provider_strategy: [
            { capacity_provider: "FARGATE_SPOT", weight: 3 },
            { capacity_provider: "FARGATE", weight: 1 },
          ],
          region: "us-east-1",
          vpc_config: { subnets: ["subnet-12345678", "subnet-87654321"], security_groups: ["sg-12345678"] },
        },
        tags: ["type:fargate-spot", "data:prod"],
      },
    ],
  };
}

/**
 * The validated, frozen demo configuration; `env` overrides apply as for a file. The document is built from the
 * object directly: printing it as YAML and parsing it back cost more than the rest of the validation.
 */
export function demoConfig(cwd: string = process.cwd(), env: Env = {}): HeimdallConfig {
  return configFromDocument(new Document(demoConfigDocument()), undefined, DEMO_SOURCE, env, { cwd, baseDir: REPO_ROOT });
}
