// The job lifecycle as one table (spec 9.1): every status change the engine makes is one of these named
// transitions. Each names where it comes from, where it goes, who may take it and what it writes; the spec's row
// number is kept only here, for cross-reference. `casOf` turns a row into the store's compare-and-set.
import type { Job, JobStatus } from "../../core/index.ts";
import type { Transition } from "../../store/index.ts";

/** Who takes a transition: the submit request, the job runner (pool worker or sync request), the janitor, a cancel, a drain. */
export type Actor = "submit" | "worker" | "janitor" | "cancel" | "shutdown";

/** How a transition reaches the store. */
type StoreCall = "insertJob" | "claimJobs" | "transition" | "cancelJob" | "handBack";

export interface LifecycleTransition {
  /** Row of the spec's table (9.1), or the extension that adds it. */
  readonly spec: string;
  /** Statuses it leaves; empty for a job not stored yet. */
  readonly from: readonly JobStatus[];
  readonly to: readonly JobStatus[];
  readonly actors: readonly Actor[];
  /** The compare-and-set guard, in words. */
  readonly guard: string;
  /** What it writes, in words. */
  readonly writes: string;
  readonly storeCall: StoreCall;
  /** Store flags of a `transition` call. */
  readonly ownerGuard?: true;
  readonly removeClaim?: true;
  readonly clearOwner?: true;
  readonly markStarted?: true;
  /** Fixed `error` text written ("" clears it); absent = the caller's error, if any. */
  readonly error?: string;
}

export const AWOL_ERROR = "awol: job is stale, marking failed";
export const KILLED_ERROR = "killed: server shutting down";

export const TRANSITIONS = {
  enqueue: {
    spec: "T1",
    from: [],
    to: ["NEW"],
    actors: ["submit"],
    guard: "—",
    writes: "job, tags, criteria and an unowned claim, in one transaction",
    storeCall: "insertJob",
  },
  submitSync: {
    spec: "T2",
    from: [],
    to: ["RUNNING"],
    actors: ["submit"],
    guard: "—",
    writes: "job and a claim owned by this instance, in one transaction",
    storeCall: "insertJob",
  },
  claim: {
    spec: "T3",
    from: ["NEW"],
    to: ["ACCEPTED"],
    actors: ["worker"],
    guard: "status NEW, no owner (SKIP LOCKED / immediate transaction)",
    writes: "owner = instance, heartbeat = now",
    storeCall: "claimJobs",
  },
  start: {
    spec: "T4",
    from: ["ACCEPTED"],
    to: ["RUNNING"],
    actors: ["worker"],
    guard: "status ACCEPTED, owner = self",
    writes: "`error` cleared; job marked started",
    storeCall: "transition",
    ownerGuard: true,
    markStarted: true,
    error: "",
  },
  recordSyncStart: {
    spec: "9.4 step 3 (sync)",
    from: ["RUNNING"],
    to: ["RUNNING"],
    actors: ["worker"],
    guard: "status RUNNING, owner = self",
    writes: "job marked started (its runtime is prepared)",
    storeCall: "transition",
    ownerGuard: true,
    markStarted: true,
  },
  resumeClaim: {
    spec: "T5",
    from: ["RUNNING"],
    to: ["RUNNING"],
    actors: ["worker"],
    guard: "status RUNNING, no owner, handed back",
    writes: "owner = instance, heartbeat = now; handed-back flag cleared",
    storeCall: "claimJobs",
  },
  unclaim: {
    spec: "T6",
    from: ["ACCEPTED"],
    to: ["NEW"],
    actors: ["shutdown", "worker", "janitor"],
    guard: "status ACCEPTED, owner = self",
    writes: "owner cleared",
    storeCall: "transition",
    ownerGuard: true,
    clearOwner: true,
  },
  finish: {
    spec: "T7",
    from: ["RUNNING"],
    to: ["SUCCEEDED", "FAILED"],
    actors: ["worker"],
    guard: "status RUNNING, owner = self",
    writes: "`error` (FAILED), `job_attributes`, the result if any; claim removed",
    storeCall: "transition",
    ownerGuard: true,
    removeClaim: true,
  },
  kill: {
    spec: "T8",
    from: ["RUNNING"],
    to: ["KILLED"],
    actors: ["shutdown"],
    guard: "status RUNNING, owner = self",
    writes: `\`error\` = \`${KILLED_ERROR}\`; claim removed`,
    storeCall: "transition",
    ownerGuard: true,
    removeClaim: true,
    error: KILLED_ERROR,
  },
  requestCancel: {
    spec: "T9",
    from: ["NEW", "ACCEPTED", "RUNNING", "CANCELING"],
    to: ["CANCELING"],
    actors: ["cancel"],
    guard: "status in the from set",
    writes: "`canceled_by` = caller (API only; not for a disconnected sync client)",
    storeCall: "cancelJob",
  },
  confirmCancel: {
    spec: "T10",
    from: ["CANCELING"],
    to: ["CANCELED"],
    actors: ["worker", "janitor"],
    guard: "status CANCELING, owner = self; after the plugin's cleanup",
    writes: "claim removed",
    storeCall: "transition",
    ownerGuard: true,
    removeClaim: true,
  },
  failStale: {
    spec: "T11",
    from: ["ACCEPTED", "RUNNING"],
    to: ["FAILED"],
    actors: ["janitor"],
    guard: "status as observed, claim taken over by the janitor; after the plugin's cleanup",
    writes: `\`error\` = \`${AWOL_ERROR}\`; claim removed`,
    storeCall: "transition",
    ownerGuard: true,
    removeClaim: true,
    error: AWOL_ERROR,
  },
  failSetup: {
    spec: "T12",
    from: ["ACCEPTED", "RUNNING"],
    to: ["FAILED"],
    actors: ["worker"],
    guard: "owner = self",
    writes: "`error` = the reason; claim removed",
    storeCall: "transition",
    ownerGuard: true,
    removeClaim: true,
  },
  handBack: {
    spec: "D10; issue 2 (stale resumable jobs)",
    from: ["RUNNING"],
    to: ["RUNNING"],
    actors: ["shutdown", "janitor"],
    guard: "owner = self",
    writes: "owner cleared, handed-back flag set (a worker resumes it with resumeClaim)",
    storeCall: "handBack",
  },
} as const satisfies Record<string, LifecycleTransition>;

export type TransitionName = keyof typeof TRANSITIONS;
/** The transitions written with the store's generic compare-and-set. */
export type CasName = { [K in TransitionName]: (typeof TRANSITIONS)[K]["storeCall"] extends "transition" ? K : never }[TransitionName];

export class LifecycleRuleError extends Error {}

/**
 * The store's compare-and-set for transition `name` taken by `actor`: guards and flags from the table. `to` picks
 * one of the row's targets (default: its only one); `from` narrows the row's sources (the janitor's observed status).
 * Throws LifecycleRuleError when the actor may not take it or `to`/`from` are outside the row.
 */
export function casOf(
  name: CasName,
  actor: Actor,
  a: {
    id: string;
    owner: string;
    to?: JobStatus;
    from?: readonly JobStatus[];
    error?: string;
    jobAttributes?: Job["job_attributes"];
    result?: string;
  },
): Transition {
  const rule: LifecycleTransition = TRANSITIONS[name];
  if (!rule.actors.includes(actor)) throw new LifecycleRuleError(`${actor} may not take transition ${name}`);
  const to = a.to ?? rule.to[0]!;
  if (!rule.to.includes(to)) throw new LifecycleRuleError(`transition ${name} cannot lead to ${to}`);
  const from = a.from ?? rule.from;
  if (from.some((s) => !rule.from.includes(s))) throw new LifecycleRuleError(`transition ${name} cannot leave ${from.join(", ")}`);
  const t: Transition = { id: a.id, from, to };
  if (rule.ownerGuard) t.owner = a.owner;
  const error = rule.error ?? a.error;
  if (error !== undefined) t.error = error;
  if (a.jobAttributes !== undefined) t.jobAttributes = a.jobAttributes;
  if (a.result !== undefined) t.result = a.result;
  if (rule.removeClaim) t.removeClaim = true;
  if (rule.clearOwner) t.clearOwner = true;
  if (rule.markStarted) t.markStarted = true;
  return t;
}

/** The table as Markdown (docs/engine.md "The job lifecycle" is this text; a test keeps them equal). */
export function transitionTableMarkdown(): string {
  const rows = Object.entries(TRANSITIONS).map(([name, r]: [string, LifecycleTransition]) => {
    const from = r.from.length === 0 ? "—" : r.from.join(", ");
    return `| \`${name}\` | ${r.spec} | ${from} | ${r.to.join(", ")} | ${r.actors.join(", ")} | ${r.guard} | ${r.writes} |`;
  });
  return ["| Transition | Spec | From | To | Taken by | Guard | Writes |", "|---|---|---|---|---|---|---|", ...rows].join("\n");
}
