// Task metadata (v4/v3) and task-role credentials endpoints. Process runtime: the real AWS SDK credential chain
// and fetch inside the task process. Docker runtime (real Podman): a container reads both endpoints over the
// container network (busybox nc); with docker.hostAddress 169.254.170.2 (the ECS address, put on the host's lo
// by this test when it may) the host's SDK accepts the very URL the container was given, and the AWS SDK inside a
// container (a node image built without a registry, scripts/podman-test-setup.mjs) finds both endpoints.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, test } from "node:test";
import { GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import type { Task } from "@aws-sdk/client-ecs";
import { fromHttp } from "@aws-sdk/credential-provider-http";
import { IMAGE, type Podman, dockerEnv, podman, sdkProbeImage, waitStopped } from "./docker-env.ts";
import { type Env, fargateDef, register, run, setup, stopped, waitTask } from "./helpers.ts";

const ROLE = "arn:aws:iam::000000000000:role/app";
const KEYS = { accessKeyId: "AKIDLOCALTASK", secretAccessKey: "local-secret", sessionToken: "local-session" };
const repo = new URL("../..", import.meta.url).pathname;
/**
 * A task here takes 1–3 s. In CI (the rest of the suite beside it, Podman's storage shared with other test files)
 * one stayed RUNNING past a 60 s deadline twice, after set-ups of 30 s: twice the usual deadline, and a wait that
 * still times out prints the container's processes and sockets (docker-env.ts).
 */
const ENGINE_WAIT_MS = 120_000;

/** Runs one task of `family` and waits (ENGINE_WAIT_MS) until it has stopped. */
async function runToEnd(env: Env, family: string): Promise<Task> {
  return waitStopped(env, (await run(env, { taskDefinition: family })).taskArn!, ENGINE_WAIT_MS);
}

let pm: Podman | string;
before(async () => {
  pm = await podman();
});
after(async () => {
  if (typeof pm !== "string") await pm.stop();
});

async function lines(env: Env, family: string, task: Task): Promise<string[]> {
  const id = task.taskArn!.split("/").pop();
  const r = await env.logs.send(
    new GetLogEventsCommand({ logGroupName: `/test/${family}`, logStreamName: `ecs/main/${id}`, startFromHead: true }),
  );
  return (r.events ?? []).map((e) => e.message!);
}

test("process runtime: the AWS SDK's default chain and fetch inside the task find credentials and metadata", async () => {
  const env = await setup({ taskRoles: { [ROLE]: KEYS } });
  try {
    const script = [
      `const { createRequire } = await import("node:module");`,
      `const req = createRequire(process.env.REPO + "/package.json");`,
      `const { defaultProvider } = req("@aws-sdk/credential-provider-node");`,
      `const c = await defaultProvider()();`,
      `console.log("key=" + c.accessKeyId + " token=" + c.sessionToken);`,
      `const t = await (await fetch(process.env.ECS_CONTAINER_METADATA_URI_V4 + "/task")).json();`,
      `console.log("task=" + t.TaskARN + " family=" + t.Family + " containers=" + t.Containers.map((x) => x.Name).join(","));`,
      `const c4 = await (await fetch(process.env.ECS_CONTAINER_METADATA_URI_V4)).json();`,
      `console.log("container=" + c4.Name + " arn=" + (c4.ContainerARN ? "yes" : "no"));`,
    ].join("\n");
    const d = fargateDef("meta-proc", ["node", "--input-type=module", "-e", script], { taskRoleArn: ROLE });
    d.containerDefinitions![0]!.environment = [{ name: "REPO", value: repo }];
    await register(env, d);
    const task = await waitTask(env, (await run(env, { taskDefinition: "meta-proc" })).taskArn!, stopped, 30_000);
    assert.equal(task.containers?.[0]?.exitCode, 0, (await lines(env, "meta-proc", task)).join("\n"));
    assert.deepEqual(await lines(env, "meta-proc", task), [
      "key=AKIDLOCALTASK token=local-session",
      `task=${task.taskArn} family=meta-proc containers=main`,
      "container=main arn=yes",
    ]);
  } finally {
    await env.close();
  }
});

/** busybox: GET a URL with nc (HTTP/1.0), print the body (last line). */
// busybox nc half-closes when its stdin ends, and Node's HTTP server then drops a request it has not answered yet:
// $3 seconds keep stdin open for a slower answer (stats). A wait that times out prints the container's processes
// and sockets (docker-env.ts), so a hang shows which GET it was.
const GET = `get() { u=\${1#http://}; hp=\${u%%/*}; p=/\${u#*/}; { printf "GET $p HTTP/1.0\\r\\nAuthorization: $2\\r\\n\\r\\n"; sleep \${3:-0}; } | nc \${hp%:*} \${hp#*:} | tail -n 1; echo; };`;

test("docker runtime: containers read metadata and credentials over the container network; no role, no credentials variable", async (t) => {
  if (typeof pm === "string") return t.skip(pm);
  const env = await dockerEnv(pm, { taskRoles: { [ROLE]: KEYS } });
  try {
    const script = `${GET} echo "creds=\${AWS_CONTAINER_CREDENTIALS_FULL_URI:+set}"; get "$ECS_CONTAINER_METADATA_URI_V4"; get "$ECS_CONTAINER_METADATA_URI_V4/task"; [ -n "$AWS_CONTAINER_CREDENTIALS_FULL_URI" ] && get "$AWS_CONTAINER_CREDENTIALS_FULL_URI" "$AWS_CONTAINER_AUTHORIZATION_TOKEN" && get "$AWS_CONTAINER_CREDENTIALS_FULL_URI" wrong; get "$ECS_CONTAINER_METADATA_URI_V4/stats" "" 2; exit 0`;
    const mk = (family: string, role: boolean) => {
      const d = fargateDef(family, ["/bin/sh", "-c", script], role ? { taskRoleArn: ROLE } : {});
      d.containerDefinitions![0]!.image = IMAGE;
      return d;
    };
    await register(env, mk("meta-role", true));
    await register(env, mk("meta-norole", false));
    const a = await runToEnd(env, "meta-role");
    const out = await lines(env, "meta-role", a);
    assert.equal(out[0], "creds=set");
    const container = JSON.parse(out[1]!) as Record<string, unknown>;
    assert.equal(container.Name, "main");
    assert.equal(container.Image, IMAGE);
    assert.equal(container.DockerId, a.containers?.[0]?.runtimeId);
    const task = JSON.parse(out[2]!) as Record<string, unknown>;
    assert.equal(task.TaskARN, a.taskArn);
    assert.equal(task.Family, "meta-role");
    const creds = JSON.parse(out[3]!) as Record<string, unknown>;
    assert.deepEqual(
      [creds.AccessKeyId, creds.SecretAccessKey, creds.Token, creds.RoleArn],
      [KEYS.accessKeyId, KEYS.secretAccessKey, KEYS.sessionToken, ROLE],
    );
    assert.equal((JSON.parse(out[4]!) as Record<string, unknown>).code, "AccessDenied", "a wrong token is refused");
    const stats = JSON.parse(out[5]!) as { memory_stats?: { usage?: number } };
    assert.ok((stats.memory_stats?.usage ?? 0) > 0, `engine stats: ${out[5]}`);
    const b = await runToEnd(env, "meta-norole");
    const out2 = await lines(env, "meta-norole", b);
    assert.equal(out2[0], "creds=", "no taskRoleArn → no credentials variable");
    assert.equal((JSON.parse(out2[2]!) as Record<string, unknown>).TaskARN, b.taskArn);
  } finally {
    await env.close();
  }
});

function dropLinkLocal(): void {
  try {
    execFileSync("ip", ["addr", "del", "169.254.170.2/32", "dev", "lo"], { stdio: "pipe" });
  } catch {
    /* already gone */
  }
}

function canUseLinkLocal(): string | undefined {
  if (process.getuid?.() !== 0) return "not root: cannot put 169.254.170.2 on lo";
  try {
    execFileSync("ip", ["addr", "add", "169.254.170.2/32", "dev", "lo"], { stdio: "pipe" });
    return undefined;
  } catch (e) {
    const msg = String((e as { stderr?: Buffer }).stderr ?? e);
    return /File exists/.test(msg) ? undefined : `cannot add 169.254.170.2 to lo: ${msg.trim()}`;
  }
}

test("docker runtime with hostAddress 169.254.170.2: the host's AWS SDK accepts the container's credentials URL", async (t) => {
  if (typeof pm === "string") return t.skip(pm);
  const why = canUseLinkLocal();
  if (why) return t.skip(why);
  const env = await dockerEnv(pm, { taskRoles: { [ROLE]: KEYS }, docker: { hostAddress: "169.254.170.2" } });
  try {
    const d = fargateDef(
      "meta-ll",
      [
        "/bin/sh",
        "-c",
        `${GET} echo "$AWS_CONTAINER_CREDENTIALS_FULL_URI"; echo "$AWS_CONTAINER_AUTHORIZATION_TOKEN"; get "$AWS_CONTAINER_CREDENTIALS_FULL_URI" "$AWS_CONTAINER_AUTHORIZATION_TOKEN"`,
      ],
      { taskRoleArn: ROLE },
    );
    d.containerDefinitions![0]!.image = IMAGE;
    await register(env, d);
    const task = await runToEnd(env, "meta-ll");
    const [url, token, body] = await lines(env, "meta-ll", task);
    assert.match(url ?? "", /^http:\/\/169\.254\.170\.2:\d+\/v2\/credentials\/[0-9a-f]{32}$/);
    assert.equal((JSON.parse(body!) as Record<string, unknown>).AccessKeyId, KEYS.accessKeyId, "reachable from the container");
    const creds = await fromHttp({ awsContainerCredentialsFullUri: url!, awsContainerAuthorizationToken: token! })();
    assert.equal(creds.accessKeyId, KEYS.accessKeyId);
    assert.equal(creds.sessionToken, KEYS.sessionToken);
  } finally {
    await env.close();
    dropLinkLocal();
  }
});

interface Probe {
  variables?: { credentialsFullUri: string | null; authorizationToken: string | null; metadataUriV4: string | null };
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken: string | null } | null;
  error?: string;
  metadata?: { TaskARN?: string; Family?: string; containers?: string[] } | null;
}

test("An AWS SDK inside a container finds both the metadata and credentials endpoints", async (t) => {
  if (typeof pm === "string") return t.skip(pm);
  // The SDKs accept a plain-http credentials URL only on loopback or the ECS address 169.254.170.2.
  const why = canUseLinkLocal();
  if (why) return t.skip(why);
  const image = await sdkProbeImage(pm);
  const env = await dockerEnv(pm, { taskRoles: { [ROLE]: KEYS }, docker: { hostAddress: "169.254.170.2" } });
  try {
    const mk = (family: string, role: boolean) => {
      const d = fargateDef(family, [], role ? { taskRoleArn: ROLE } : {});
      const c = d.containerDefinitions![0]!;
      c.image = image;
      delete c.command; // the image's CMD runs the probe
      // No instance metadata service here: without it the chain ends at once instead of timing out on IMDS.
      c.environment = [{ name: "AWS_EC2_METADATA_DISABLED", value: "true" }];
      return d;
    };
    const probe = async (family: string, task: Task): Promise<Probe> => {
      const out = await lines(env, family, task);
      assert.equal(task.containers?.[0]?.exitCode, 0, out.join("\n"));
      return Object.assign({}, ...out.map((l) => JSON.parse(l) as Probe)) as Probe;
    };
    await register(env, mk("sdk-role", true));
    await register(env, mk("sdk-norole", false));
    const a = await runToEnd(env, "sdk-role");
    const withRole = await probe("sdk-role", a);
    assert.match(withRole.variables?.credentialsFullUri ?? "", /^http:\/\/169\.254\.170\.2:\d+\/v2\/credentials\/[0-9a-f]{32}$/);
    assert.deepEqual(withRole.credentials, KEYS, `the SDK's default chain got the role's keys (${withRole.error ?? ""})`);
    assert.equal(withRole.metadata?.TaskARN, a.taskArn);
    assert.equal(withRole.metadata?.Family, "sdk-role");
    assert.deepEqual(withRole.metadata?.containers, ["main"]);

    const b = await runToEnd(env, "sdk-norole");
    const noRole = await probe("sdk-norole", b);
    assert.deepEqual(
      [noRole.variables?.credentialsFullUri, noRole.variables?.authorizationToken],
      [null, null],
      "no taskRoleArn → no credentials variable",
    );
    assert.equal(noRole.credentials, null);
    assert.match(noRole.error ?? "", /Could not load credentials from any providers/);
    assert.equal(noRole.metadata?.TaskARN, b.taskArn, "metadata is there without a role");
  } finally {
    await env.close();
    dropLinkLocal();
  }
});
