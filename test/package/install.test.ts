// The installable package (issue 11 item 4): `npm pack` (its prepack runs `npm run build`) yields a tarball that
// `npm install -g --prefix <tmp>` installs without any network beyond loopback, and the installed `heimdall`
// serves the built-in demo from an unrelated working directory, UI included, and runs a ping job to SUCCEEDED.
// Dependencies come from a registry on 127.0.0.1 that serves package-lock.json's packages out of the npm cache
// `npm ci` filled (./loopback-registry.ts). No compiler runs: npm's node-gyp is replaced by a script that fails,
// so better-sqlite3 must install from a prebuild, here the project's own build offered as a local prebuild (what
// prebuild-install downloads on a machine with internet access), and the optional ssh2/cpu-features bindings are
// skipped as on a machine without build tools.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess, SpawnSyncReturns } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../cli/server-process.ts";
import { startLoopbackRegistry } from "./loopback-registry.ts";
import type { LoopbackRegistry } from "./loopback-registry.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { name: string; version: string };

function run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number }): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, encoding: "utf8", timeout: opts.timeout ?? 480_000 });
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** As run(), without blocking the event loop: the loopback registry answers from this process. */
async function runAsync(cmd: string, args: string[], opts: { cwd: string; timeout?: number }): Promise<void> {
  const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"], timeout: opts.timeout ?? 480_000 });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on("close", (c, s) => resolve([c, s])),
  );
  assert.equal(code, 0, `${cmd} ${args.join(" ")} failed (${code ?? signal}):\n${output}`);
}

/** A prebuild-install archive (build/Release/better_sqlite3.node) of the project's better-sqlite3 build. */
function localPrebuild(dir: string): void {
  const bs = join(ROOT, "node_modules", "better-sqlite3");
  const version = (JSON.parse(readFileSync(join(bs, "package.json"), "utf8")) as { version: string }).version;
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  mkdirSync(dir, { recursive: true });
  run("tar", ["-czf", join(dir, name), "-C", bs, "build/Release/better_sqlite3.node"], { cwd: ROOT });
}

describe("the npm package", { timeout: 600_000 }, () => {
  const tmp = mkdtempSync(join(tmpdir(), "heimdall-package-"));
  const prefix = join(tmp, "prefix");
  const installed = join(prefix, "lib", "node_modules", pkg.name);
  const bin = join(prefix, "bin", "heimdall");
  let tarball = "";
  let registry: LoopbackRegistry | undefined;
  let server: ChildProcess | undefined;

  before(async () => {
    const packed = run("npm", ["pack", "--pack-destination", tmp, "--json"], { cwd: ROOT });
    tarball = join(tmp, (JSON.parse(packed.stdout.slice(packed.stdout.indexOf("["))) as { filename: string }[])[0]!.filename);
    const npmCache = run("npm", ["config", "get", "cache"], { cwd: ROOT }).stdout.trim();
    registry = await startLoopbackRegistry(join(ROOT, "package-lock.json"), npmCache);
    mkdirSync(prefix);
    localPrebuild(join(tmp, "prebuilds"));
    writeFileSync(join(prefix, ".prebuild-installrc"), `local-prebuilds=${join(tmp, "prebuilds")}\n`);
    const noGyp = join(tmp, "no-node-gyp.cjs");
    writeFileSync(noGyp, 'console.error("node-gyp: no compiler in this install test"); process.exit(1);\n');
    const install = ["install", "--global", "--prefix", prefix, "--registry", registry.url, "--cache", join(tmp, "npm-cache")];
    await runAsync("npm", [...install, "--node-gyp", noGyp, "--no-audit", "--no-fund", "--no-update-notifier", tarball], { cwd: tmp });
  });

  after(async () => {
    if (server && server.exitCode === null) {
      server.kill("SIGTERM");
      await new Promise((resolve) => server!.once("exit", resolve));
    }
    await registry?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("packs the compiled code, the built UI, bin and the demo's examples, and no TypeScript sources", () => {
    const files = run("tar", ["-tzf", tarball], { cwd: tmp }).stdout.split("\n").filter(Boolean);
    for (const f of [
      "package/bin/heimdall.js",
      "package/dist/cli/main.js",
      "package/dist/ui/public/index.html",
      "package/examples/ecs/task-definition.json",
      "package/README.md",
    ]) {
      assert.ok(files.includes(f), `${f} in the tarball`);
    }
    assert.ok(
      files.some((f) => /^package\/dist\/ui\/public\/assets\/main-\w+\.js$/.test(f)),
      "the UI bundle in the tarball",
    );
    assert.deepEqual(
      files.filter((f) => f.endsWith(".ts") || f.startsWith("package/src/") || f.startsWith("package/test/")),
      [],
    );
  });

  it("installs only runtime dependencies, resolved through the loopback registry", () => {
    assert.ok(registry!.requested.has("better-sqlite3") && registry!.requested.has("fastify"));
    for (const dev of ["tsx", "esbuild", "typescript", "preact"])
      assert.ok(!existsSync(join(installed, "node_modules", dev)), `${dev} not installed`);
    assert.ok(existsSync(join(installed, "node_modules", "better-sqlite3", "build", "Release", "better_sqlite3.node")));
  });

  it("heimdall --version prints the package version", () => {
    assert.equal(run(process.execPath, [bin, "--version"], { cwd: tmp }).stdout.trim(), pkg.version);
  });

  it("heimdall serve runs the demo from another directory: UI, a ping job to SUCCEEDED, templates in the package", async () => {
    const cwd = join(tmp, "elsewhere");
    mkdirSync(cwd);
    const [port, ecsPort] = [await freePort(), await freePort()];
    const url = `http://127.0.0.1:${port}`;
    const env = { ...process.env, HEIMDALL_ADDR: `127.0.0.1:${port}`, HEIMDALL_LOCAL_ECS_PORT: String(ecsPort) };
    let output = "";
    server = spawn(process.execPath, [bin, "serve"], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    server.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    server.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    for (let i = 0; ; i++) {
      const ok = await fetch(`${url}/api/v1/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      assert.ok(i < 300 && server.exitCode === null, `server did not answer /api/v1/health:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(existsSync(join(cwd, ".heimdall", "heimdall.db")), "the demo's SQLite database under ./.heimdall of the working directory");

    const page = await (await fetch(`${url}/`)).text();
    const script = /src="(\/assets\/main-\w+\.js)"/.exec(page)?.[1];
    assert.ok(script, page);
    assert.equal((await fetch(`${url}${script}`)).status, 200);

    const submitted = await fetch(`${url}/api/v1/job`, {
      method: "POST",
      headers: { "content-type": "application/json", "X-Heimdall-User": "alice" },
      body: JSON.stringify({ command_criteria: ["type:ping"], cluster_criteria: ["type:localhost"] }),
    });
    assert.equal(submitted.status, 200, await submitted.clone().text());
    const { id } = (await submitted.json()) as { id: string };
    let status = "";
    for (let i = 0; i < 300 && !["SUCCEEDED", "FAILED", "KILLED", "CANCELED"].includes(status); i++) {
      if (i) await new Promise((r) => setTimeout(r, 100));
      status = ((await (await fetch(`${url}/api/v1/job/${id}/status`)).json()) as { status: string }).status;
    }
    assert.equal(status, "SUCCEEDED", output);
    assert.equal(
      await (await fetch(`${url}/api/v1/job/${id}/result`)).text(),
      '{"columns":[{"name":"message","type":"string"}],"data":[["Hello, alice!"]]}',
    );

    const commands = (await (await fetch(`${url}/api/v1/commands?plugin=ecs`)).json()) as {
      data: { context?: { task_definition_template?: string } }[];
    };
    const templates = commands.data.map((c) => c.context?.task_definition_template);
    assert.ok(templates.length > 0);
    for (const t of templates) assert.equal(t, join(installed, "examples", "ecs", "task-definition.json"));
  });
});
