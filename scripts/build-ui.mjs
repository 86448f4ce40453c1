#!/usr/bin/env node
// Builds the web UI (src/ui/app, Preact) into dist/ui/public with esbuild: one hashed JS bundle, one hashed CSS
// file and index.html. Runs from `npm run build` (so `npm start` and `npm pack`) and `npm run build:ui`;
// src/ui/index.ts (ensureUiBuilt) runs it when the bundle is missing or older than its sources.
// Updates are safe while a server is serving dist: hashed assets are added next to the old ones, index.html is
// replaced by an atomic rename, and assets no longer referenced are pruned only once they are 10 minutes old.
import { build } from "esbuild";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const uiDir = join(root, "src", "ui");
const distDir = join(root, "dist", "ui", "public");
const tmpDir = join(root, "dist", "ui", `.public-tmp-${process.pid}-${Date.now()}`);

async function main() {
  const started = Date.now();
  mkdirSync(tmpDir, { recursive: true });
  const result = await build({
    entryPoints: [join(uiDir, "app", "main.ts")],
    outdir: join(tmpDir, "assets"),
    entryNames: "[name]-[hash]",
    bundle: true,
    minify: true,
    sourcemap: "linked",
    format: "esm",
    target: ["es2020", "chrome100", "firefox100", "safari15"],
    legalComments: "none",
    metafile: true,
    logLevel: "warning",
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
  const js = outputs.find((f) => f.endsWith(".js"));
  const css = outputs.find((f) => f.endsWith(".css"));
  if (!js || !css) throw new Error(`build-ui: expected a .js and a .css output, got ${outputs.join(", ")}`);
  const template = readFileSync(join(uiDir, "app", "index.html"), "utf8");
  const html = template.replace("%CSS%", `/assets/${css}`).replace("%JS%", `/assets/${js}`);
  const assetsDir = join(distDir, "assets");
  mkdirSync(assetsDir, { recursive: true });
  for (const f of outputs) renameSync(join(tmpDir, "assets", f), join(assetsDir, f));
  writeFileSync(join(tmpDir, "index.html"), html);
  renameSync(join(tmpDir, "index.html"), join(distDir, "index.html"));
  rmSync(tmpDir, { recursive: true, force: true });
  const keep = new Set(outputs);
  for (const f of readdirSync(assetsDir)) {
    const p = join(assetsDir, f);
    if (!keep.has(f) && Date.now() - statSync(p).mtimeMs > 10 * 60_000) rmSync(p, { force: true });
  }
  console.log(`build-ui: ${distDir} (${js}, ${css}) in ${Date.now() - started} ms`);
}

main().catch((err) => {
  rmSync(tmpDir, { recursive: true, force: true });
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
