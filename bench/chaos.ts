// Chaos soak (issue 8): `npm run bench -- chaos` (opt-in: not part of a plain `npm run bench`), or
// `node --import tsx bench/chaos.ts`. 300 jobs (ping, shell, ECS) on two `serve` processes sharing one dedicated
// PostgreSQL, with one local ECS process, while a seeded random schedule kills serve processes (kill -9, then
// restart), stops PostgreSQL for 5-30 s and adds local ECS throttling/faults. Then it waits (bounded) for every
// job to be final and prints: jobs submitted, final, stuck, duplicate executions, outputs differing from an
// uninterrupted run, per-status counts, and every problem (id, kind, why). Targets: 0 stuck, 0 duplicated,
// 0 wrong; missed targets fail the run (exit 1). Knobs: CHAOS_SEED (default random, printed), CHAOS_JOBS (300),
// CHAOS_SECONDS (chaos window, 300), CHAOS_SETTLE_SECONDS (bound of the final wait, 420).
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { ECS_FAULTS, between, ecsFaultWindow, killAndRestart, killProcessesUnder, pick, postgresOutage, rng } from "./chaos/faults.ts";
import type { EcsFault } from "./chaos/faults.ts";
import { check, submit, waitFinal } from "./chaos/jobs.ts";
import type { JobSpec, Kind, Problem, Tracked } from "./chaos/jobs.ts";
import { startChaosPostgres } from "./chaos/postgres.ts";
import { EcsProcess, Serve, serveSpec, sleep } from "./chaos/stack.ts";
import { freePort } from "../test/cli/server-process.ts";

const t0 = Date.now();
const say = (msg: string) => process.stderr.write(`chaos +${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s: ${msg}\n`);

interface SoakOptions {
  seed: number;
  jobs: number;
  chaosSeconds: number;
  /** Bound for the final wait after the chaos window. */
  settleSeconds: number;
}

function specFor(r: () => number, kind: Kind, i: number): JobSpec {
  const base = { kind, sleep: 0, text: "", lines: 0, exit: 0 };
  if (kind === "shell") return { ...base, sleep: between(r, 1, 4), text: `job-${i}-${between(r, 0, 1e6)}` };
  if (kind === "ecs") return { ...base, sleep: between(r, 1, 4), lines: pick(r, [20, 200, 2000, 2000, 20000]), exit: r() < 0.05 ? 3 : 0 };
  return base;
}

export async function soak(o: SoakOptions): Promise<{ ok: boolean; report: string }> {
  const r = rng(o.seed);
  say(`seed ${o.seed}, ${o.jobs} jobs, chaos window ${o.chaosSeconds} s`);
  const base = mkdtempSync(join(tmpdir(), "heimdall-chaos-"));
  const sideDir = join(base, "side");
  mkdirSync(sideDir);
  const pg = await startChaosPostgres();
  let ecs: EcsProcess | undefined;
  const serves: Serve[] = [];
  const events: Array<{ t: number; line: string }> = [];
  let start = Date.now();
  const tracked: Tracked[] = [];
  let submitErrors = 0;
  try {
    ecs = await EcsProcess.start(base);
    for (const label of ["a", "b"]) {
      const s = new Serve(serveSpec(label, base, await freePort(), pg.url, ecs.url, sideDir));
      await s.start();
      serves.push(s);
    }
    say(`stack up: PostgreSQL, local ECS ${ecs.url}, serve a ${serves[0]!.url}, serve b ${serves[1]!.url}`);
    const kinds: Kind[] = Array.from({ length: o.jobs }, (_, i) => (["ping", "shell", "ecs"] as const)[i % 3]!);
    for (let i = kinds.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
    }
    const specs = kinds.map((k, i) => specFor(r, k, i));
    start = Date.now();
    const chaosEnd = start + o.chaosSeconds * 1000;
    const submitEvery = (o.chaosSeconds * 800) / o.jobs; // submissions spread over 80 % of the window

    const submitter = (async () => {
      for (const spec of specs) {
        try {
          tracked.push(await submit(serves, spec));
        } catch (err) {
          submitErrors++;
          say(`submit failed: ${(err as Error).message}`);
        }
        await sleep(submitEvery);
      }
      say(`submitted ${tracked.length} jobs`);
    })();

    const record = (t: number, line: string) => {
      events.push({ t, line: `+${((t - start) / 1000).toFixed(0)} s ${line}` });
      say(line);
    };
    // Lane 1: kill -9 of a serve process (restart 2-6 s later) and PostgreSQL outages (5-30 s), one at a time.
    const processLane = (async () => {
      const caps = { kill: 6, postgres: 3 };
      const order: Array<keyof typeof caps> = r() < 0.5 ? ["kill", "postgres"] : ["postgres", "kill"];
      await sleep(between(r, 5, 15) * 1000);
      for (let n = 0; n < 20 && Date.now() < chaosEnd; n++) {
        const left = (Object.keys(caps) as Array<keyof typeof caps>).filter((k) => caps[k] > 0);
        if (left.length === 0) break;
        const what = order.shift() ?? pick(r, left);
        caps[what]--;
        const t = Date.now();
        try {
          if (what === "kill") record(t, await killAndRestart(pick(r, serves), between(r, 2, 6) * 1000));
          else record(t, await postgresOutage(pg, between(r, 5, 30) * 1000));
        } catch (err) {
          record(t, `${what} event failed: ${(err as Error).message}`);
        }
        await sleep(between(r, 10, 25) * 1000);
      }
    })();
    // Lane 2, overlapping lane 1: local ECS faults and throttling for 10-30 s each, every kind before a repeat.
    const ecsLane = (async () => {
      let cycle: EcsFault[] = [];
      await sleep(between(r, 5, 15) * 1000);
      for (let n = 0; n < 12 && Date.now() < chaosEnd; n++) {
        if (cycle.length === 0) cycle = [...ECS_FAULTS].sort(() => r() - 0.5);
        const kind = cycle.shift()!;
        const t = Date.now();
        try {
          record(t, await ecsFaultWindow(ecs!, kind, between(r, 10, 30) * 1000));
        } catch (err) {
          record(t, `ECS ${kind} event failed: ${(err as Error).message}`);
        }
        await sleep(between(r, 5, 15) * 1000);
      }
    })();
    const chaos = Promise.all([processLane, ecsLane]);

    await Promise.all([submitter, chaos]);
    await ecs.clearFaults();
    for (const s of serves) if (!s.running()) await s.start();
    say(`chaos over (${events.length} events); waiting up to ${o.settleSeconds} s for ${tracked.length} jobs to be final`);
    await waitFinal(serves, tracked, Date.now() + o.settleSeconds * 1000, 2000);
    // A process that outlived its FAILED job writes its side effect within its sleep (≤ 4 s): wait that long.
    await sleep(6000);
    const problems: Problem[] = [];
    for (let i = 0; i < tracked.length; i += 10)
      (await Promise.all(tracked.slice(i, i + 10).map((t) => check(serves, t, sideDir)))).forEach((ps) => problems.push(...ps));
    for (const p of problems) say(`problem: ${p.id} ${p.kind} ${p.category}: ${p.why}`);
    const stats = await ecs.stats().catch(() => undefined);
    const lines = events.sort((x, y) => x.t - y.t).map((e) => e.line);
    const report = render(o, tracked, problems, lines, submitErrors, stats?.calls ?? {}, (Date.now() - start) / 1000);
    const ok = problems.length === 0 && submitErrors === 0 && tracked.length === o.jobs;
    return { ok, report };
  } finally {
    for (const s of serves) await s.stop().catch(() => undefined);
    await ecs?.close().catch(() => undefined);
    killProcessesUnder(base);
    await pg.close();
    rmSync(base, { recursive: true, force: true });
  }
}

function render(
  o: SoakOptions,
  tracked: Tracked[],
  problems: Problem[],
  events: string[],
  submitErrors: number,
  calls: Record<string, number>,
  seconds: number,
): string {
  const final = tracked.filter((t) => t.finalSeenAt !== undefined);
  const jobsWith = (c: Problem["category"]) => new Set(problems.filter((p) => p.category === c).map((p) => p.id)).size;
  const byStatus = new Map<string, number>();
  const byKind = new Map<string, Map<string, number>>();
  for (const t of tracked) {
    const st = t.finalSeenAt === undefined ? `not final (${t.job?.status ?? "?"})` : String(t.job?.status);
    byStatus.set(st, (byStatus.get(st) ?? 0) + 1);
    const m = byKind.get(t.spec.kind) ?? new Map<string, number>();
    m.set(st, (m.get(st) ?? 0) + 1);
    byKind.set(t.spec.kind, m);
  }
  const fmt = (m: Map<string, number>) =>
    [...m]
      .sort()
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
  // Job errors grouped with their ids, ARNs and task names blanked out.
  const failedErrors = new Map<string, number>();
  for (const t of final) {
    if (t.job?.status === "SUCCEEDED") continue;
    const e = String(t.job?.error ?? "")
      .replace(/arn:aws:ecs:[^\s\]),]+/g, "<arn>")
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<id>")
      .slice(0, 240);
    const key = `${t.spec.kind}${t.spec.exit !== 0 ? " (task exits non-zero on purpose)" : ""}: ${e}`;
    failedErrors.set(key, (failedErrors.get(key) ?? 0) + 1);
  }
  const stuck = jobsWith("stuck");
  const dup = jobsWith("duplicate");
  const wrong = jobsWith("wrong");
  const verdict = stuck === 0 && dup === 0 && wrong === 0 ? "targets met" : "TARGETS MISSED";
  return [
    "## Chaos soak",
    "",
    `Seed ${o.seed}; ${o.jobs} jobs (ping/shell/ECS, a third each); chaos window ${o.chaosSeconds} s; final wait bound ${o.settleSeconds} s; ` +
      `${seconds.toFixed(0)} s from the first submit to the end of the checks.`,
    "",
    "| figure | value |",
    "|---|---:|",
    `| jobs submitted | ${tracked.length}${submitErrors ? ` (${submitErrors} submits failed)` : ""} |`,
    `| jobs final | ${final.length} |`,
    `| jobs stuck (not final at the deadline) | ${stuck} |`,
    `| duplicate executions (jobs whose work ran twice or after they were final) | ${dup} |`,
    `| outputs differing from an uninterrupted run (jobs) | ${wrong} |`,
    "",
    `**${verdict}** (0 stuck, 0 duplicated, 0 wrong).`,
    "",
    `Per status: ${fmt(byStatus)}.`,
    "",
    ...[...byKind].sort().map(([k, m]) => `- ${k}: ${fmt(m)}`),
    "",
    "Errors of jobs that did not succeed:",
    "",
    ...[...failedErrors].map(([e, n]) => `- ${n} × ${e}`).concat(failedErrors.size ? [] : ["- none"]),
    "",
    "Chaos events (start time after the first submit):",
    "",
    ...events.map((e) => `- ${e}`),
    "",
    `Local ECS calls: ${Object.entries(calls)
      .sort()
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}.`,
    "",
    "Problems (id, kind, category, why):",
    "",
    ...(problems.length === 0 ? ["- none"] : problems.slice(0, 60).map((p) => `- ${p.id} ${p.kind} ${p.category}: ${p.why}`)),
    ...(problems.length > 60 ? [`- … and ${problems.length - 60} more (all printed on stderr)`] : []),
  ].join("\n");
}

function optionsFromEnv(): SoakOptions {
  const num = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
  return {
    seed: num("CHAOS_SEED", Math.floor(Math.random() * 2 ** 31)),
    jobs: num("CHAOS_JOBS", 300),
    chaosSeconds: num("CHAOS_SECONDS", 300),
    settleSeconds: num("CHAOS_SETTLE_SECONDS", 420),
  };
}

/** The bench runner's entry: the report; a missed target throws an error carrying the report (exit 1). */
export async function run(): Promise<string> {
  const { ok, report } = await soak(optionsFromEnv());
  if (!ok) throw Object.assign(new Error("chaos soak: targets missed"), { report });
  return report;
}

if (process.argv[1] && basename(process.argv[1]) === "chaos.ts") {
  const { ok, report } = await soak(optionsFromEnv());
  process.stdout.write(`${report}\n`);
  process.exit(ok ? 0 : 1);
}
