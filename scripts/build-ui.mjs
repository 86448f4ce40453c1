#!/usr/bin/env node
// Builds the web UI (src/ui/app, Preact) into src/ui/dist with esbuild: one hashed JS bundle, one hashed CSS
// file and index.html. Runs from `npm install` (postinstall), `npm start` (prestart) and `npm run build:ui`;
// src/ui/index.ts (ensureUiBuilt) runs it when the bundle is missing or older than its sources.
// The output is written to a temporary directory and renamed into place, so a reader never sees half a build.
import { build } from "esbuild";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const uiDir = join(root, "src", "ui");
const distDir = join(uiDir, "dist");
const tmpDir = join(uiDir, `.dist-tmp-${process.pid}-${Date.now()}`);

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
  writeFileSync(join(tmpDir, "index.html"), html);
  rmSync(distDir, { recursive: true, force: true });
  try {
    renameSync(tmpDir, distDir);
  } catch (err) {
    // A concurrent build won the rename; its output is equivalent.
    if (!existsSync(join(distDir, "index.html"))) throw err;
    rmSync(tmpDir, { recursive: true, force: true });
  }
  console.log(`build-ui: ${distDir} (${js}, ${css}) in ${Date.now() - started} ms`);
}

main().catch((err) => {
  rmSync(tmpDir, { recursive: true, force: true });
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
