// Shared setup for local-ecs tests: a started endpoint and real SDK clients pointed at it.
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { DescribeTasksCommand, ECSClient, RegisterTaskDefinitionCommand, RunTaskCommand, type Task } from "@aws-sdk/client-ecs";
import type { RegisterTaskDefinitionCommandInput, RunTaskCommandInput } from "@aws-sdk/client-ecs";
import { type LocalEcs, startLocalEcs } from "../../src/local-ecs/index.ts";

export interface Env {
  le: LocalEcs;
  ecs: ECSClient;
  logs: CloudWatchLogsClient;
  close(): Promise<void>;
}

export async function setup(settings: Record<string, unknown> = {}, region = "us-east-1"): Promise<Env> {
  const le = await startLocalEcs({ settings: { pacing: "instant", throttling: false, ...settings } });
  const cfg = { endpoint: le.url, region, credentials: { accessKeyId: "x", secretAccessKey: "x" }, maxAttempts: 1 };
  const ecs = new ECSClient(cfg);
  const logs = new CloudWatchLogsClient(cfg);
  return {
    le,
    ecs,
    logs,
    close: async () => {
      ecs.destroy();
      logs.destroy();
      await le.close();
    },
  };
}

export const FARGATE_NET = { awsvpcConfiguration: { subnets: ["subnet-1"], assignPublicIp: "DISABLED" as const } };

/** A Fargate task definition with one container "main" running `command` and awslogs to /test/<family>. */
export function fargateDef(
  family: string,
  command: string[],
  extra: Partial<RegisterTaskDefinitionCommandInput> = {},
): RegisterTaskDefinitionCommandInput {
  return {
    family,
    requiresCompatibilities: ["FARGATE"],
    networkMode: "awsvpc",
    cpu: "256",
    memory: "512",
    executionRoleArn: "arn:aws:iam::000000000000:role/exec",
    containerDefinitions: [
      {
        name: "main",
        image: "alpine:3",
        command,
        logConfiguration: {
          logDriver: "awslogs",
          options: { "awslogs-group": `/test/${family}`, "awslogs-region": "us-east-1", "awslogs-stream-prefix": "ecs" },
        },
      },
    ],
    ...extra,
  };
}

export async function register(env: Env, def: RegisterTaskDefinitionCommandInput): Promise<string> {
  const r = await env.ecs.send(new RegisterTaskDefinitionCommand(def));
  return r.taskDefinition!.taskDefinitionArn!;
}

export async function run(env: Env, input: Partial<RunTaskCommandInput> & { taskDefinition: string }): Promise<Task> {
  const r = await env.ecs.send(new RunTaskCommand({ launchType: "FARGATE", networkConfiguration: FARGATE_NET, ...input }));
  if (!r.tasks?.[0]) throw new Error(`RunTask failed: ${JSON.stringify(r.failures)}`);
  return r.tasks[0];
}

export async function describe(env: Env, arn: string, cluster?: string): Promise<Task> {
  const r = await env.ecs.send(new DescribeTasksCommand({ tasks: [arn], ...(cluster ? { cluster } : {}) }));
  if (!r.tasks?.[0]) throw new Error(`task ${arn} missing: ${JSON.stringify(r.failures)}`);
  return r.tasks[0];
}

/** Poll DescribeTasks until `pred` holds (10 s cap). */
export async function waitTask(env: Env, arn: string, pred: (t: Task) => boolean, timeoutMs = 10_000): Promise<Task> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const t = await describe(env, arn);
    if (pred(t)) return t;
    if (Date.now() > deadline) throw new Error(`timeout waiting for task; last: ${t.lastStatus}/${t.desiredStatus}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}

export const stopped = (t: Task): boolean => t.lastStatus === "STOPPED";

/** Expect `p` to reject with an error whose name is `name`; returns the error. */
export async function rejects(
  p: Promise<unknown>,
  name: string,
  message?: RegExp,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await p;
  } catch (e) {
    const err = e as Error;
    if (err.name !== name) throw new Error(`expected ${name}, got ${err.name}: ${err.message}`);
    if (message && !message.test(err.message)) throw new Error(`expected message ${message}, got: ${err.message}`);
    return err as Error & { $metadata?: { httpStatusCode?: number } };
  }
  throw new Error(`expected ${name}, but the call succeeded`);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
