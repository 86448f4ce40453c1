// Fault injection rules (config `faults:` or POST /_local/faults). See docs/local-ecs.md "Fault injection".
import { randomUUID } from "node:crypto";

export const FAULT_KINDS = [
  "capacity",
  "failToStart",
  "serverError",
  "throttle",
  "latency",
  "invisible",
  "vanish",
  "spotInterruption",
  "exit",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultMatch {
  /** API action (serverError/throttle/latency only), e.g. "RunTask". */
  action?: string;
  startedBy?: string;
  family?: string;
  cluster?: string;
  group?: string;
  /** The task's capacity provider (FARGATE, FARGATE_SPOT; tasks run with a launch type have none). */
  capacityProvider?: string;
  /** Every listed variable must be set (to a value matching the pattern) in some container's final environment. */
  env?: Record<string, string>;
}

export interface FaultRule {
  id: string;
  kind: FaultKind;
  /** 0..1, default 1. */
  probability: number;
  /** Apply to the next N matching events, then the rule is removed. Unset = unlimited. */
  count: number | undefined;
  match: FaultMatch;
  /** latency: milliseconds added before answering. */
  latencyMs: number;
  /**
   * vanish / spotInterruption / exit: delay after the task reaches RUNNING (spotInterruption: until the notice;
   * the task stops a warning later, see settings `spot`); invisible: how long after RunTask.
   */
  afterMs: number;
  /** exit: the exit code of the essential containers. */
  exitCode: number;
  /** Overrides the default failure / stop reason text. */
  reason: string | undefined;
  /** How many times this rule fired. */
  fired: number;
}

export interface FaultContext {
  action?: string;
  startedBy?: string;
  family?: string;
  cluster?: string;
  group?: string;
  capacityProvider?: string;
  envs?: Array<Record<string, string>>;
}

export class FaultRuleError extends Error {
  override name = "FaultRuleError";
}

type Raw = Record<string, unknown>;
const isObj = (v: unknown): v is Raw => typeof v === "object" && v !== null && !Array.isArray(v);

export function parseFaultRule(raw: unknown, where = "fault"): FaultRule {
  if (!isObj(raw)) throw new FaultRuleError(`${where} must be an object`);
  const allowed = new Set(["id", "kind", "probability", "count", "match", "latencyMs", "afterMs", "exitCode", "reason"]);
  for (const k of Object.keys(raw)) if (!allowed.has(k)) throw new FaultRuleError(`${where}: unknown key "${k}"`);
  const kind = raw.kind;
  if (typeof kind !== "string" || !(FAULT_KINDS as readonly string[]).includes(kind))
    throw new FaultRuleError(`${where}.kind must be one of ${FAULT_KINDS.join(", ")}`);
  const numIn = (k: string, def: number, min: number, max: number): number => {
    const v = raw[k];
    if (v === undefined) return def;
    if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max)
      throw new FaultRuleError(`${where}.${k} must be a number in ${min}..${max}`);
    return v;
  };
  let count: number | undefined;
  if (raw.count !== undefined) {
    if (typeof raw.count !== "number" || !Number.isInteger(raw.count) || raw.count < 1)
      throw new FaultRuleError(`${where}.count must be an integer >= 1`);
    count = raw.count;
  }
  const match: FaultMatch = {};
  if (raw.match !== undefined) {
    if (!isObj(raw.match)) throw new FaultRuleError(`${where}.match must be an object`);
    for (const [k, v] of Object.entries(raw.match)) {
      if (k === "env") {
        if (!isObj(v) || Object.values(v).some((x) => typeof x !== "string"))
          throw new FaultRuleError(`${where}.match.env must map names to string patterns`);
        match.env = v as Record<string, string>;
      } else if (["action", "startedBy", "family", "cluster", "group", "capacityProvider"].includes(k)) {
        if (typeof v !== "string") throw new FaultRuleError(`${where}.match.${k} must be a string pattern`);
        (match as Record<string, string>)[k] = v;
      } else throw new FaultRuleError(`${where}.match: unknown key "${k}"`);
    }
  }
  if (raw.reason !== undefined && typeof raw.reason !== "string") throw new FaultRuleError(`${where}.reason must be a string`);
  if (raw.id !== undefined && (typeof raw.id !== "string" || !raw.id)) throw new FaultRuleError(`${where}.id must be a non-empty string`);
  return {
    id: (raw.id as string | undefined) ?? randomUUID(),
    kind: kind as FaultKind,
    probability: numIn("probability", 1, 0, 1),
    count,
    match,
    latencyMs: numIn("latencyMs", 0, 0, 600_000),
    afterMs: numIn("afterMs", 0, 0, 86_400_000),
    exitCode: numIn("exitCode", 1, 0, 255),
    reason: raw.reason as string | undefined,
    fired: 0,
  };
}

/** `*` matches any run of characters; everything else is literal. */
export function globMatch(pattern: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (!pattern.includes("*")) return pattern === value;
  const re = new RegExp(
    `^${pattern
      .split("*")
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
    "s",
  );
  return re.test(value);
}

function matches(m: FaultMatch, ctx: FaultContext): boolean {
  if (m.action !== undefined && !globMatch(m.action, ctx.action)) return false;
  if (m.startedBy !== undefined && !globMatch(m.startedBy, ctx.startedBy)) return false;
  if (m.family !== undefined && !globMatch(m.family, ctx.family)) return false;
  if (m.cluster !== undefined && !globMatch(m.cluster, ctx.cluster)) return false;
  if (m.group !== undefined && !globMatch(m.group, ctx.group)) return false;
  if (m.capacityProvider !== undefined && !globMatch(m.capacityProvider, ctx.capacityProvider)) return false;
  if (m.env !== undefined) {
    const want = Object.entries(m.env);
    const envs = ctx.envs ?? [];
    if (!envs.some((e) => want.every(([k, p]) => globMatch(p, e[k])))) return false;
  }
  return true;
}

export class FaultEngine {
  rules: FaultRule[] = [];
  private random: () => number;
  constructor(rules: FaultRule[], random: () => number = Math.random) {
    this.rules = rules.map((r) => ({ ...r }));
    this.random = random;
  }

  add(rule: FaultRule): FaultRule {
    this.rules = this.rules.filter((r) => r.id !== rule.id);
    this.rules.push(rule);
    return rule;
  }

  remove(id: string): boolean {
    const n = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length !== n;
  }

  clear(): void {
    this.rules = [];
  }

  /** The first rule of `kind` that matches and passes its probability; consumes one of its `count`. */
  take(kind: FaultKind, ctx: FaultContext): FaultRule | undefined {
    for (const r of this.rules) {
      if (r.kind !== kind || !matches(r.match, ctx)) continue;
      if (r.probability < 1 && this.random() >= r.probability) continue;
      r.fired++;
      if (r.count !== undefined) {
        r.count--;
        if (r.count <= 0) this.rules = this.rules.filter((x) => x !== r);
      }
      return { ...r };
    }
    return undefined;
  }
}
