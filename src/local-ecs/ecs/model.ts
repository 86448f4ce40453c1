// ECS in-memory state: clusters, task definitions, tasks and RunTask idempotency tokens.
import type { ChildProcess } from "node:child_process";
import type { Json } from "../protocol.ts";

export interface Tag {
  key: string;
  value: string;
}

export interface Cluster {
  name: string;
  arn: string;
  status: "ACTIVE" | "INACTIVE";
  tags: Tag[];
  settings: Json[];
  configuration: Json | undefined;
  capacityProviders: string[];
  defaultCapacityProviderStrategy: Json[];
}

export interface TaskDefinition {
  family: string;
  revision: number;
  arn: string;
  /** The full TaskDefinition shape as returned by DescribeTaskDefinition (defaults filled in). */
  body: Json;
  status: "ACTIVE" | "INACTIVE" | "DELETE_IN_PROGRESS";
  tags: Tag[];
}

export type TaskStatus = "PROVISIONING" | "PENDING" | "ACTIVATING" | "RUNNING" | "DEACTIVATING" | "STOPPING" | "DEPROVISIONING" | "STOPPED";

export interface ContainerRecord {
  name: string;
  arn: string;
  image: string;
  essential: boolean;
  dependsOn: Array<{ containerName: string; condition: string }>;
  /** entryPoint + command after overrides and the image map; undefined = nothing to run. */
  argv: string[] | undefined;
  env: Record<string, string>;
  cpu: number;
  memory: number | undefined;
  memoryReservation: number | undefined;
  stopTimeoutSeconds: number;
  log: { group: string; stream: string; createGroup: boolean } | undefined;
  lastStatus: "PENDING" | "RUNNING" | "STOPPED";
  exitCode: number | undefined;
  reason: string | undefined;
  runtimeId: string | undefined;
  proc: ChildProcess | undefined;
  workDir: string | undefined;
  /** What a container runtime needs beyond argv (docker: the image's own ENTRYPOINT/CMD apply when unset). */
  spec?: ContainerSpec;
  /** Result of the definition's healthCheck (docker runtime). */
  healthStatus?: "HEALTHY" | "UNHEALTHY";
  /** Set when the container was killed on purpose with a known exit code (OOM, injected exit). */
  forcedExit: { code: number; reason?: string } | undefined;
}

export interface ContainerSpec {
  entryPoint?: string[];
  /** containerOverrides command, else the definition's command. */
  command?: string[];
  workingDirectory?: string;
  user?: string;
  healthCheck?: Json;
  secrets?: Array<{ name: string; valueFrom: string }>;
  environmentFiles?: Array<{ value: string; type: string }>;
}

export interface TaskRecord {
  id: string;
  arn: string;
  cluster: Cluster;
  region: string;
  taskDefinition: TaskDefinition;
  overridesEcho: Json;
  startedBy: string | undefined;
  group: string;
  launchType: string | undefined;
  capacityProviderName: string | undefined;
  platformVersion: string | undefined;
  cpu: string | undefined;
  memory: string | undefined;
  ephemeralStorage: Json | undefined;
  subnet: string | undefined;
  enableExecuteCommand: boolean;
  tags: Tag[];
  lastStatus: TaskStatus;
  desiredStatus: "RUNNING" | "STOPPED";
  version: number;
  createdAt: number;
  pullStartedAt?: number;
  pullStoppedAt?: number;
  startedAt?: number;
  connectivityAt?: number;
  stoppingAt?: number;
  executionStoppedAt?: number;
  stoppedAt?: number;
  stopCode: string | undefined;
  stoppedReason: string | undefined;
  containers: ContainerRecord[];
  /** Eventual-consistency fault: DescribeTasks/ListTasks/StopTask do not see the task before this time (ms). */
  visibleAt?: number;
  /** Fault timers scheduled for this task at RunTask (from matching fault rules). */
  /** Task-scoped secret for the credentials endpoint (AWS_CONTAINER_AUTHORIZATION_TOKEN). */
  credentialsToken?: string;
  pendingFaults: Array<{
    kind: "vanish" | "spotInterruption" | "exit" | "failToStart";
    afterMs: number;
    exitCode: number;
    reason: string | undefined;
  }>;
}

export interface IdempotencyEntry {
  fingerprint: string;
  taskArns: string[];
  failures: Json[];
  snapshot: Json[];
  expiresAt: number;
}

export class EcsState {
  readonly clusters = new Map<string, Cluster>();
  /** family → revisions (index = revision - 1). */
  readonly families = new Map<string, TaskDefinition[]>();
  readonly tasks = new Map<string, TaskRecord>();
  readonly tokens = new Map<string, IdempotencyEntry>();
}
