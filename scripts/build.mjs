#!/usr/bin/env node
// `npm run build`: bundles the server and CLI (src/cli/main.ts and everything it imports, without the browser code
// in src/ui/app) with esbuild into dist/cli/main.js plus lazily loaded chunks in dist/chunks/, type-checks src/
// with tsc (tsconfig.build.json, no output) at the same time, then bundles the web UI into dist/ui/public
// (scripts/build-ui.mjs). Exits non-zero on a type or bundling error. Design: docs/decisions.md, "Build and packaging".
//
// One bundle instead of ~200 compiled modules plus ~450 CommonJS files of dependencies: `serve` loads a few files.
// Code behind a dynamic import() (the serve command, each store engine, local ECS, the docker runtime, jwt/alb
// auth) is split into its own chunk and loaded only when used. Packages in EXTERNAL stay in node_modules: native
// code (better-sqlite3), packages only some configurations load (pg, dockerode, the AWS SDK, jose), and the docs
// packages that serve files from their own folder (@fastify/swagger-ui). Every other dependency is bundled; a
// bundled package that locates files relative to itself (__dirname, __filename, require.resolve, import.meta.url)
// would break, so the build fails on one unless it is in REVIEWED (those paths are never taken by Heimdall).
// The licences of the bundled packages are collected into dist/THIRD-PARTY-LICENSES.txt.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = join(root, "dist");

/** Not bundled: imported from node_modules at run time (each only on the code path that needs it). */
const EXTERNAL = [
  "better-sqlite3",
  "pg",
  "dockerode",
  "jose",
  "@aws-sdk/*",
  "@smithy/*",
  "@fastify/swagger",
  "@fastify/swagger-ui",
  // Fastify's default validator compiler (Ajv): src/api supplies its own factory, so it is never loaded.
  "@fastify/ajv-compiler",
];

/**
 * Bundled packages that mention their own location, and why that is safe: pino and thread-stream locate worker
 * files only for pino transports (Heimdall's logger writes to a stream of its own); commander's executable
 * subcommands (which look for files next to the script) are not used.
 */
const REVIEWED = new Set(["pino", "thread-stream", "commander"]);
const SELF_LOCATING = /\b__dirname\b|\b__filename\b|\brequire\.resolve\s*\(|\bimport\.meta\.url\b/;

/** The package a node_modules path belongs to (`@scope/name` or `name`), or undefined outside node_modules. */
function packageOf(path) {
  const parts = path.split(sep);
  const i = parts.lastIndexOf("node_modules");
  if (i < 0) return undefined;
  const first = parts[i + 1] ?? "";
  return first.startsWith("@") ? `${first}/${parts[i + 2]}` : first;
}

const guardSelfLocating = {
  name: "guard-self-locating",
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/].*\.[cm]?js$/ }, (args) => {
      const pkg = packageOf(args.path);
      const text = readFileSync(args.path, "utf8");
      if (pkg && !REVIEWED.has(pkg) && SELF_LOCATING.test(text)) {
        return {
          errors: [
            {
              text: `${pkg} locates files relative to itself (${relative(root, args.path)}): add it to EXTERNAL, or review it into REVIEWED`,
            },
          ],
        };
      }
      return { contents: text, loader: "js" };
    });
  },
};

/** Type-checks src/ (no output); resolves to tsc's exit code. */
function typecheck() {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const child = spawn(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
  return new Promise((resolve) => child.on("exit", (code) => resolve(code ?? 1)));
}

/** The licence texts of the bundled packages, one block per package. */
function thirdPartyLicenses(inputs) {
  const dirs = new Map();
  for (const input of inputs) {
    const abs = join(root, input);
    const pkg = packageOf(abs);
    if (!pkg) continue;
    const parts = abs.split(sep);
    const i = parts.lastIndexOf("node_modules");
    dirs.set(parts.slice(0, i + 1 + pkg.split("/").length).join(sep), pkg);
  }
  const blocks = [];
  for (const [dir, pkg] of [...dirs].sort((a, b) => a[1].localeCompare(b[1]))) {
    const meta = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    const file = readdirSync(dir).find((f) => /^(licen[sc]e|copying)(\.|$)/i.test(f));
    const text = file ? readFileSync(join(dir, file), "utf8").trim() : `License: ${meta.license ?? "see the package"}`;
    blocks.push(`${pkg}@${meta.version} (${meta.license ?? "unknown licence"})\n\n${text}\n`);
  }
  return `Third-party software bundled into dist/cli and dist/chunks by scripts/build.mjs\n\n${blocks.join(`\n${"-".repeat(78)}\n\n`)}`;
}

const started = Date.now();
const checking = typecheck();
// Written next to dist/ first, then moved in: a server running from dist/ meanwhile keeps a complete set of files.
const tmp = join(dist, `.build-tmp-${process.pid}`);
rmSync(tmp, { recursive: true, force: true });
let result;
try {
  result = await build({
    absWorkingDir: root,
    entryPoints: { "cli/main": "src/cli/main.ts" },
    outdir: tmp,
    chunkNames: "chunks/[name]-[hash]",
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20.19",
    external: EXTERNAL,
    // Bundled CommonJS calls require() for Node's built-in modules; an ES module has none of its own.
    banner: { js: 'import { createRequire as __heimdallRequire } from "node:module"; const require = __heimdallRequire(import.meta.url);' },
    // Less source for V8 to read at every start (≈ 30 % fewer bytes); names are kept, so stack traces still name
    // functions, and the linked source maps (node --enable-source-maps) give the original files and lines.
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: "linked",
    sourcesContent: false,
    metafile: true,
    plugins: [guardSelfLocating],
    logLevel: "warning",
  });
} catch {
  rmSync(tmp, { recursive: true, force: true });
  process.exit(1);
}
writeFileSync(join(tmp, "THIRD-PARTY-LICENSES.txt"), thirdPartyLicenses(Object.keys(result.metafile.inputs)));
const code = await checking;
if (code !== 0) {
  rmSync(tmp, { recursive: true, force: true });
  process.exit(code);
}

// dist/ now holds exactly the bundle and the UI (files of an older layout, e.g. tsc's per-module output, go).
mkdirSync(dist, { recursive: true });
for (const entry of readdirSync(dist)) {
  if (entry === "ui" || entry === ".tsbuildinfo" || entry.startsWith(".build-tmp-")) continue;
  rmSync(join(dist, entry), { recursive: true, force: true });
}
if (existsSync(join(dist, "ui"))) {
  for (const entry of readdirSync(join(dist, "ui"))) {
    if (entry !== "public" && !entry.startsWith(".public-tmp-")) rmSync(join(dist, "ui", entry), { recursive: true, force: true });
  }
}
for (const entry of readdirSync(tmp)) renameSync(join(tmp, entry), join(dist, entry));
rmSync(tmp, { recursive: true, force: true });

const ui = spawn(process.execPath, [join(root, "scripts", "build-ui.mjs")], { cwd: root, stdio: "inherit" });
const uiCode = await new Promise((resolve) => ui.on("exit", (c) => resolve(c ?? 1)));
if (uiCode !== 0) process.exit(uiCode);
const files = Object.keys(result.metafile.outputs).filter((f) => f.endsWith(".js")).length;
console.log(
  `build: dist/ in ${Date.now() - started} ms (${files} JavaScript files from ${Object.keys(result.metafile.inputs).length} modules)`,
);
