// Task definition: reuse an identical ACTIVE revision (content hash tag, cached per process) or register one;
// or adopt an existing revision (task_revision / use_latest_revision).
import type { RegisterTaskDefinitionCommandInput, TaskDefinition } from "@aws-sdk/client-ecs";
import type { Json } from "../../core/index.ts";
import type { Endpoint } from "./aws.ts";
import { ecsSdk } from "./sdk.ts";
import { abortError } from "./sleep.ts";
import { HASH_TAG, buildDefinition, checkDefinition, contentHash } from "./template.ts";
import type { BuildInput, Template } from "./template.ts";

export interface ResolvedDefinition {
  arn: string;
  /** Containers of the definition that will run (the template's, or the adopted revision's). */
  template: Template;
  registered: boolean;
}

/** Newest ACTIVE revisions inspected for a matching hash before registering a new one. */
const REUSE_SCAN = 5;
/** Budget of the shared lookup/registration; it belongs to no one job, so no job's cancel may abort it. */
const SHARED_BUDGET_MS = 120_000;
const byHash = new Map<string, Promise<string>>();

export async function ensureDefinition(ep: Endpoint, b: BuildInput, signal: AbortSignal): Promise<ResolvedDefinition> {
  const definition = buildDefinition(b);
  const hash = contentHash(definition);
  const key = `${ep.key}|${hash}`;
  let registered = false;
  let pending = byHash.get(key);
  if (pending === undefined) {
    const shared = AbortSignal.timeout(SHARED_BUDGET_MS);
    pending = (async () => {
      const found = await findByHash(ep, b.family, hash, shared);
      if (found !== undefined) return found;
      registered = true;
      const input = { ...(definition as unknown as RegisterTaskDefinitionCommandInput), tags: [{ key: HASH_TAG, value: hash }] };
      const res = await ep.call("taskdef-modify", "RegisterTaskDefinition", shared, (abortSignal) =>
        ep.ecs.send(new (ecsSdk().RegisterTaskDefinitionCommand)(input), { abortSignal }),
      );
      const arn = res.taskDefinition?.taskDefinitionArn;
      if (arn === undefined) throw new Error("RegisterTaskDefinition returned no taskDefinitionArn");
      return arn;
    })();
    byHash.set(key, pending);
    pending.catch(() => byHash.delete(key));
  }
  const arn = await untilAborted(pending, signal);
  return { arn, template: b.template, registered };
}

/** `p`, or the abort reason as soon as `signal` aborts (`p` itself runs on). */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

async function findByHash(ep: Endpoint, family: string, hash: string, signal: AbortSignal): Promise<string | undefined> {
  const list = await ep.call("taskdef-read", "ListTaskDefinitions", signal, (abortSignal) =>
    ep.ecs.send(
      new (ecsSdk().ListTaskDefinitionsCommand)({ familyPrefix: family, status: "ACTIVE", sort: "DESC", maxResults: REUSE_SCAN }),
      { abortSignal },
    ),
  );
  for (const arn of list.taskDefinitionArns ?? []) {
    const d = await ep.call("taskdef-read", "DescribeTaskDefinition", signal, (abortSignal) =>
      ep.ecs.send(new (ecsSdk().DescribeTaskDefinitionCommand)({ taskDefinition: arn, include: ["TAGS"] }), { abortSignal }),
    );
    if ((d.tags ?? []).some((t) => t.key === HASH_TAG && t.value === hash)) return arn;
  }
  return undefined;
}

/** Adopts `family:revision` or the latest ACTIVE revision of the family; returns its containers. */
export async function adoptRevision(
  ep: Endpoint,
  family: string,
  revision: number | undefined,
  signal: AbortSignal,
): Promise<ResolvedDefinition> {
  let ref = revision === undefined ? undefined : `${family}:${revision}`;
  if (ref === undefined) {
    const list = await ep.call("taskdef-read", "ListTaskDefinitions", signal, (abortSignal) =>
      ep.ecs.send(new (ecsSdk().ListTaskDefinitionsCommand)({ familyPrefix: family, status: "ACTIVE", sort: "DESC", maxResults: 1 }), {
        abortSignal,
      }),
    );
    ref = list.taskDefinitionArns?.[0];
    if (ref === undefined) throw new Error(`use_latest_revision: no ACTIVE revision of task definition family ${family}`);
  }
  const taskRef = ref;
  let td: TaskDefinition | undefined;
  try {
    const d = await ep.call("taskdef-read", "DescribeTaskDefinition", signal, (abortSignal) =>
      ep.ecs.send(new (ecsSdk().DescribeTaskDefinitionCommand)({ taskDefinition: taskRef }), { abortSignal }),
    );
    td = d.taskDefinition;
  } catch (err) {
    throw new Error(`task_revision: cannot describe task definition ${taskRef}: ${(err as Error).message}`);
  }
  if (td?.taskDefinitionArn === undefined) throw new Error(`task_revision: task definition ${taskRef} not found`);
  const template = checkDefinition(JSON.parse(JSON.stringify(td)) as Json, `task definition ${taskRef}`);
  return { arn: td.taskDefinitionArn, template, registered: false };
}
