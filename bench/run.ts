// `npm run bench [-- name…]`: runs every benchmark script in bench/ and prints one markdown report.
//
// Convention: a benchmark is a file `bench/<name>.ts` (not `run.ts`, not starting with `_`) that exports
// `run(): Promise<string>` returning a markdown section (starting with a `## ` heading). Shared helpers live in
// files starting with `_`; files that do not export `run` (e.g. processes a benchmark spawns) are skipped. Scripts run one after another (never in parallel) so they do not disturb each other.
// Pass names to run only some (`npm run bench -- api-submit`). `--out FILE` also writes the report to FILE.
// Opt-in benchmarks (OPT_IN, e.g. the ~10 minute chaos soak) run only when named. A benchmark that fails may throw
// an error with a `report` string (its figures); that report is printed and the run exits 1.
import { execSync } from "node:child_process";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { cpus, freemem, totalmem } from "node:os";
import { basename, join } from "node:path";

const here = new URL(".", import.meta.url).pathname;
const OPT_IN = new Set(["chaos"]);
const RUN_EXPORT = /export\s+(?:async\s+)?function\s+run\s*\(|export\s+(?:const|let)\s+run\b|export\s*\{[^}]*\brun\b/;

export function machineDescription(): string {
  const sh = (cmd: string) => {
    try {
      return execSync(cmd, { encoding: "utf8" }).trim();
    } catch {
      return "n/a";
    }
  };
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  return [
    `- Date: ${new Date().toISOString()}`,
    `- \`nproc\`: ${sh("nproc")} (${cpu})`,
    `- Memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB total, ${(freemem() / 2 ** 30).toFixed(1)} GiB free (\`free -h\`: ${sh("free -h | sed -n 2p | tr -s ' '")})`,
    `- Node: ${process.version}, ${process.platform}/${process.arch}`,
  ].join("\n");
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const outIdx = args.indexOf("--out");
  const out = outIdx >= 0 ? args[outIdx + 1] : undefined;
  const only = args.filter((a, i) => !a.startsWith("--") && !(outIdx >= 0 && i === outIdx + 1));
  const scripts = readdirSync(here)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts") && f !== "run.ts" && !f.startsWith("_"))
    // Only files that export run(): helpers meant to be spawned as processes are left alone.
    .filter((f) => RUN_EXPORT.test(readFileSync(join(here, f), "utf8")))
    .map((f) => basename(f, ".ts"))
    .filter((n) => (only.length === 0 ? !OPT_IN.has(n) : only.includes(n)))
    .sort();
  const sections: string[] = [`# Benchmark run\n\n${machineDescription()}\n`];
  let failed = 0;
  for (const name of scripts) {
    process.stderr.write(`bench: ${name}…\n`);
    const t0 = performance.now();
    try {
      const mod = (await import(join(here, `${name}.ts`))) as { run?: () => Promise<string> };
      if (typeof mod.run !== "function") throw new Error("does not export run(): Promise<string>");
      sections.push((await mod.run()).trim() + "\n");
    } catch (err) {
      failed++;
      const report = (err as { report?: unknown } | null)?.report;
      sections.push(typeof report === "string" ? `${report.trim()}\n` : `## ${name}\n\nFAILED: ${(err as Error).stack ?? String(err)}\n`);
    }
    process.stderr.write(`bench: ${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  const report = sections.join("\n");
  process.stdout.write(report);
  if (out) writeFileSync(out, report);
  process.exit(failed > 0 ? 1 : 0);
}

if (process.argv[1] && basename(process.argv[1]) === "run.ts") await main();
