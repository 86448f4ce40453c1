// Task metadata (v4 and v3 shapes) and task-role credentials endpoints, as the ECS agent serves them on
// 169.254.170.2. Containers get ECS_CONTAINER_METADATA_URI(_V4) and, with a taskRoleArn,
// AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN.
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ContainerRecord, EcsState, TaskRecord } from "./ecs/model.ts";
import type { Json } from "./protocol.ts";
import type { LocalEcsSettings } from "./settings.ts";

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

/** Adds the endpoint variables to every container of `task`; `base` is how the container reaches us. */
export function addEndpointEnv(task: TaskRecord, base: string): void {
  const role = task.taskDefinition.body.taskRoleArn;
  if (typeof role === "string" && !task.credentialsToken) task.credentialsToken = randomBytes(24).toString("base64url");
  for (const c of task.containers) {
    const id = `${task.id}-${c.name}`;
    c.env.ECS_CONTAINER_METADATA_URI_V4 = `${base}/v4/${id}`;
    c.env.ECS_CONTAINER_METADATA_URI = `${base}/v3/${id}`;
    if (task.credentialsToken) {
      c.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = `${base}/v2/credentials/${task.id}`;
      c.env.AWS_CONTAINER_AUTHORIZATION_TOKEN = task.credentialsToken;
    }
  }
}

function containerJson(t: TaskRecord, c: ContainerRecord, v4: boolean): Json {
  return {
    DockerId: c.runtimeId ?? "",
    Name: c.name,
    DockerName: `ecs-${t.taskDefinition.family}-${t.taskDefinition.revision}-${c.name}`,
    Image: c.image,
    ImageID: "",
    Labels: {
      "com.amazonaws.ecs.cluster": t.cluster.arn,
      "com.amazonaws.ecs.container-name": c.name,
      "com.amazonaws.ecs.task-arn": t.arn,
      "com.amazonaws.ecs.task-definition-family": t.taskDefinition.family,
      "com.amazonaws.ecs.task-definition-version": String(t.taskDefinition.revision),
    },
    DesiredStatus: t.desiredStatus,
    KnownStatus: c.lastStatus,
    ...(c.exitCode !== undefined ? { ExitCode: c.exitCode } : {}),
    Limits: { CPU: c.cpu, ...(c.memory !== undefined ? { Memory: c.memory } : {}) },
    ...(t.startedAt !== undefined ? { StartedAt: iso(t.startedAt) } : {}),
    Type: "NORMAL",
    ...(v4
      ? {
          ContainerARN: c.arn,
          LogDriver: c.log ? "awslogs" : "none",
          ...(c.log ? { LogOptions: { "awslogs-group": c.log.group, "awslogs-region": t.region, "awslogs-stream": c.log.stream } } : {}),
          Networks: [{ NetworkMode: "awsvpc", IPv4Addresses: ["127.0.0.1"] }],
          ...(c.healthStatus ? { Health: { status: c.healthStatus } } : {}),
        }
      : {}),
  };
}

function taskJson(t: TaskRecord, v4: boolean): Json {
  return {
    Cluster: t.cluster.arn,
    TaskARN: t.arn,
    Family: t.taskDefinition.family,
    Revision: String(t.taskDefinition.revision),
    DesiredStatus: t.desiredStatus,
    KnownStatus: t.lastStatus,
    Containers: t.containers.map((c) => containerJson(t, c, v4)),
    Limits: {
      ...(t.cpu !== undefined ? { CPU: Number(t.cpu) / 1024 } : {}),
      ...(t.memory !== undefined ? { Memory: Number(t.memory) } : {}),
    },
    PullStartedAt: iso(t.pullStartedAt),
    PullStoppedAt: iso(t.pullStoppedAt),
    AvailabilityZone: `${t.region}a`,
    ...(v4
      ? {
          LaunchType: t.launchType ?? "FARGATE",
          ClockDrift: { ClockErrorBound: 0.5, ReferenceTimestamp: new Date().toISOString(), ClockSynchronizationStatus: "SYNCHRONIZED" },
        }
      : {}),
  };
}

/** Placeholder in the Docker stats shape when the runtime has no stats (process runtime). */
function statsJson(c: ContainerRecord): Json {
  return { read: new Date().toISOString(), name: c.name, id: c.runtimeId ?? "", memory_stats: {}, cpu_stats: {}, networks: {} };
}

export type CredentialSource = (
  roleArn: string,
) => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string; expiration?: Date } | undefined>;

/** Credentials for a role from `taskRoles` ("host" = this process's own AWS credential chain). */
export function settingsCredentials(settings: LocalEcsSettings): CredentialSource {
  return async (roleArn) => {
    const c = settings.taskRoles[roleArn];
    if (c === undefined) return undefined;
    if (c !== "host") return c;
    const { defaultProvider } = await import("@aws-sdk/credential-provider-node");
    return defaultProvider()();
  };
}

const send = (res: ServerResponse, status: number, body: unknown): void => {
  const data = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(data) });
  res.end(data);
};

/** Handles /v4/…, /v3/… and /v2/credentials/…; returns false for other paths. `stats`: the engine's (docker). */
export function handleMetadata(
  state: EcsState,
  creds: CredentialSource,
  req: IncomingMessage,
  res: ServerResponse,
  stats?: (c: ContainerRecord) => Promise<unknown>,
): boolean {
  const path = (req.url ?? "/").split("?")[0]!;
  const m = /^\/v([34])\/([0-9a-f]{32})-([A-Za-z0-9_-]+)(\/task)?(\/stats)?\/?$/.exec(path);
  if (m && req.method === "GET") {
    const v4 = m[1] === "4";
    const t = state.tasks.get(m[2]!);
    const c = t?.containers.find((x) => x.name === m[3]);
    if (!t || !c) return (send(res, 404, { error: "unknown container" }), true);
    const one = async (x: ContainerRecord): Promise<Json> =>
      ((await stats?.(x).catch(() => undefined)) as Json | undefined) ?? statsJson(x);
    if (m[4] && m[5])
      void Promise.all(t.containers.map(async (x) => [x.runtimeId ?? x.name, await one(x)] as const)).then((all) =>
        send(res, 200, Object.fromEntries(all)),
      );
    else if (m[4]) send(res, 200, taskJson(t, v4));
    else if (m[5]) void one(c).then((j) => send(res, 200, j));
    else send(res, 200, containerJson(t, c, v4));
    return true;
  }
  const cm = /^\/v2\/credentials\/([0-9a-f]{32})\/?$/.exec(path);
  if (!cm) return false;
  const t = state.tasks.get(cm[1]!);
  const given = Buffer.from(String(req.headers.authorization ?? ""));
  const want = Buffer.from(t?.credentialsToken ?? "");
  if (!t?.credentialsToken || given.length !== want.length || !timingSafeEqual(given, want))
    return (send(res, 401, { code: "AccessDenied", message: "invalid authorization token" }), true);
  const role = String(t.taskDefinition.body.taskRoleArn);
  void creds(role)
    .then((c) => {
      if (!c) return send(res, 404, { code: "NoCredentials", message: `no taskRoles entry for ${role} in the local ECS settings` });
      send(res, 200, {
        RoleArn: role,
        AccessKeyId: c.accessKeyId,
        SecretAccessKey: c.secretAccessKey,
        ...(c.sessionToken ? { Token: c.sessionToken } : {}),
        Expiration: (c.expiration ?? new Date(Date.now() + 6 * 3600_000)).toISOString(),
      });
    })
    .catch((e: unknown) => send(res, 500, { code: "CredentialsError", message: (e as Error).message }));
  return true;
}
