#!/usr/bin/env node
// `npm run build`: compiles the server and CLI (src/, without the browser code in src/ui/app) with tsc and
// tsconfig.build.json into dist/ (imports rewritten from .ts to .js), then bundles the web UI into dist/ui/public
// (scripts/build-ui.mjs). tsc runs incrementally (dist/.tsbuildinfo); compiled files whose source was deleted are
// removed first so a package never ships a stale module. Exits non-zero on a type error.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, rmSync, rmdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = join(root, "dist");
const src = join(root, "src");
const uiBundle = join(dist, "ui", "public");

/** Deletes dist/**\/x.js(.map) whose src/**\/x.ts is gone; returns how many files it removed. */
function pruneOrphans(dir) {
  let removed = 0;
  if (!existsSync(dir)) return removed;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (p === uiBundle || entry.name.startsWith(".public-tmp-")) continue;
      removed += pruneOrphans(p);
      if (readdirSync(p).length === 0) rmdirSync(p);
      continue;
    }
    const m = /^(.*)\.js(?:\.map)?$/.exec(relative(dist, p));
    if (m && !existsSync(join(src, `${m[1]}.ts`))) {
      rmSync(p);
      removed++;
    }
  }
  return removed;
}

function run(args) {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const started = Date.now();
const pruned = pruneOrphans(dist);
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
run([tsc, "-p", "tsconfig.build.json"]);
run([join(root, "scripts", "build-ui.mjs")]);
console.log(`build: dist/ in ${Date.now() - started} ms${pruned ? ` (${pruned} stale files removed)` : ""}`);
