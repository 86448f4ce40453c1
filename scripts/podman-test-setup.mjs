#!/usr/bin/env node
// Podman for the docker-runtime tests: a private containers.conf (no default ulimits, cgroupfs, runc — some
// machines need all three; crun refuses hybrid cgroups), Podman's Docker-compatible service on a private socket,
// and two test images built without any registry from Debian's busybox-static:
//   heimdall-test/busybox:1  — /bin/busybox and its applets, users root and app (1000); no CMD
//   heimdall-test/default:1  — the same with ENTRYPOINT/CMD/ENV/WORKDIR/USER set, for the image-defaults rules
// and, on demand (nodeSdkImage), an image with this machine's node binary, its shared libraries and an esbuild
// bundle of a script (an AWS SDK probe), tagged by the content hash so that it is built once and reused.
// Used by test/local-ecs/docker-*.test.ts; run directly it starts the service and prints DOCKER_HOST until ^C.
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, copyFileSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export const IMAGE = "heimdall-test/busybox:1";
export const DEFAULT_IMAGE = "heimdall-test/default:1";
export const PAUSE = { pauseImage: IMAGE, pauseCommand: ["/bin/sleep", "2147483647"] };

const APPLETS = [
  "sh",
  "sleep",
  "echo",
  "cat",
  "env",
  "id",
  "pwd",
  "ls",
  "nc",
  "dd",
  "head",
  "tail",
  "yes",
  "true",
  "false",
  "kill",
  "printf",
  "seq",
  "trap",
  "wc",
  "grep",
  "tr",
  "cut",
  "mkdir",
  "rm",
  "test",
  "[",
];

function which(cmd) {
  try {
    return execFileSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

function podman(env, args, input) {
  return execFileSync("podman", args, {
    env,
    input,
    encoding: "utf8",
    stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    timeout: 120_000,
  });
}

function hasImage(env, ref) {
  try {
    podman(env, ["image", "exists", ref]);
    return true;
  } catch {
    return false;
  }
}

function buildImages(env) {
  if (hasImage(env, IMAGE) && hasImage(env, DEFAULT_IMAGE)) return;
  const busybox = ["/bin/busybox", "/usr/bin/busybox"].find((p) => existsSync(p));
  if (!busybox) throw new Error("busybox-static is not installed (apt-get install -y busybox-static)");
  const root = mkdtempSync(join(tmpdir(), "heimdall-rootfs-"));
  try {
    for (const d of ["bin", "tmp", "etc", "home/app", "app", "root"]) mkdirSync(join(root, d), { recursive: true });
    copyFileSync(busybox, join(root, "bin/busybox"));
    for (const a of APPLETS) symlinkSync("busybox", join(root, "bin", a));
    writeFileSync(join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n");
    writeFileSync(join(root, "etc/group"), "root:x:0:\napp:x:1000:\n");
    writeFileSync(join(root, "etc/nsswitch.conf"), "hosts: files\npasswd: files\ngroup: files\nservices: files\n");
    const tar = execFileSync("tar", ["-C", root, "-c", "."], { maxBuffer: 64 * 1024 * 1024 });
    execFileSync("podman", ["import", "-", IMAGE], { env, input: tar, stdio: ["pipe", "ignore", "pipe"], timeout: 120_000 });
    execFileSync(
      "podman",
      [
        "import",
        "--change",
        'ENTRYPOINT ["/bin/sh", "-c"]',
        "--change",
        'CMD ["echo image-cmd user=$(id -u) dir=$(pwd) greeting=$GREETING"]',
        "--change",
        "ENV GREETING=from-image",
        "--change",
        "WORKDIR /app",
        "--change",
        "USER 1000",
        "-",
        DEFAULT_IMAGE,
      ],
      { env, input: tar, stdio: ["pipe", "ignore", "pipe"], timeout: 120_000 },
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The files `ldd` lists for a binary (shared libraries and the loader), as absolute paths. */
function sharedLibraries(binary) {
  const out = execFileSync("ldd", [binary], { encoding: "utf8" });
  const paths = [];
  for (const line of out.split("\n")) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)/.exec(line);
    if (m) paths.push(m[1]);
  }
  return paths;
}

/**
 * An image with no registry behind it: this machine's node binary (process.execPath) and the shared libraries
 * and loader `ldd` lists for it, plus `entry` bundled by esbuild for platform node as /app/main.cjs
 * (CMD node /app/main.cjs). Tagged heimdall-test/node:<hash of node version and bundle>, so a second call (or
 * a second test run) reuses it; older tags are removed. Resolves to the image reference.
 */
export async function nodeSdkImage(env, entry) {
  const { build } = await import("esbuild");
  const bundled = await build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: `node${process.versions.node.split(".")[0]}`,
    write: false,
    logLevel: "silent",
  });
  const code = bundled.outputFiles[0].contents;
  const hash = createHash("sha256").update(process.version).update(process.execPath).update(code).digest("hex").slice(0, 12);
  const ref = `heimdall-test/node:${hash}`;
  if (hasImage(env, ref)) return ref;
  const root = mkdtempSync(join(tmpdir(), "heimdall-noderoot-"));
  try {
    const put = (from, to) => {
      mkdirSync(dirname(join(root, to)), { recursive: true });
      copyFileSync(from, join(root, to)); // copyFileSync follows symlinks: the real file lands at the listed path
    };
    put(process.execPath, "/usr/bin/node");
    for (const lib of sharedLibraries(process.execPath)) put(lib, lib);
    for (const d of ["tmp", "app", "root", "etc"]) mkdirSync(join(root, d), { recursive: true });
    writeFileSync(join(root, "app/main.cjs"), code);
    writeFileSync(join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
    writeFileSync(join(root, "etc/group"), "root:x:0:\n");
    writeFileSync(join(root, "etc/hosts"), "127.0.0.1 localhost\n");
    const old = podman(env, ["images", "--filter", "reference=heimdall-test/node", "--format", "{{.Repository}}:{{.Tag}}"])
      .split("\n")
      .filter(Boolean);
    const tar = execFileSync("tar", ["-C", root, "-c", "."], { maxBuffer: 512 * 1024 * 1024 });
    execFileSync("podman", ["import", "--change", 'CMD ["/usr/bin/node", "/app/main.cjs"]', "--change", "WORKDIR /app", "-", ref], {
      env,
      input: tar,
      stdio: ["pipe", "ignore", "pipe"],
      maxBuffer: 64 * 1024 * 1024,
      timeout: 120_000,
    });
    for (const o of old) {
      try {
        podman(env, ["rmi", o]);
      } catch {
        /* in use or gone: harmless */
      }
    }
    return ref;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.once("error", reject);
  });
}

function waitForSocket(path, deadlineMs) {
  return new Promise((resolve, reject) => {
    const end = Date.now() + deadlineMs;
    const tryOnce = () => {
      const s = connect(path);
      s.once("connect", () => {
        s.destroy();
        resolve();
      });
      s.once("error", () => {
        s.destroy();
        if (Date.now() > end) reject(new Error(`podman service socket ${path} did not come up`));
        else setTimeout(tryOnce, 100);
      });
    };
    tryOnce();
  });
}

/**
 * Starts Podman's Docker-compatible service; resolves to {dockerHost, stop} or {skip: reason} when Podman
 * cannot run here (the caller prints the reason and skips).
 */
export async function startPodman() {
  if (!which("podman")) return { skip: "podman is not installed (.ci/run installs it: apt-get install -y podman runc busybox-static)" };
  const dir = mkdtempSync(join(tmpdir(), "heimdall-podman-"));
  const conf = join(dir, "containers.conf");
  const runtime = which("runc") ? 'runtime = "runc"\n' : "";
  writeFileSync(conf, `[containers]\ndefault_ulimits = []\n\n[engine]\ncgroup_manager = "cgroupfs"\n${runtime}`);
  // A loopback registry for pull tests (test/local-ecs/oci-registry.ts listens on this port): plain http is
  // allowed for it only. No search registries, as in the system default here.
  const registry = `127.0.0.1:${await freePort()}`;
  const registries = join(dir, "registries.conf");
  writeFileSync(registries, `[[registry]]\nlocation = "${registry}"\ninsecure = true\n`);
  const env = { ...process.env, CONTAINERS_CONF: conf, CONTAINERS_REGISTRIES_CONF: registries };
  try {
    buildImages(env);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    return {
      skip: `cannot build the test images with podman: ${String(e.stderr ?? e.message)
        .trim()
        .split("\n")
        .pop()}`,
    };
  }
  const sock = join(dir, "podman.sock");
  // cwd: conmon drops files (e.g. "oom" after an OOM kill) into the directory it was started in.
  const proc = spawn("podman", ["system", "service", "--time=0", `unix://${sock}`], { cwd: dir, env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  proc.stderr.on("data", (b) => (stderr += b));
  const stop = async () => {
    if (proc.exitCode === null) {
      proc.kill("SIGTERM");
      await new Promise((r) => {
        const t = setTimeout(() => {
          proc.kill("SIGKILL");
          r();
        }, 5000);
        proc.once("exit", () => {
          clearTimeout(t);
          r();
        });
      });
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForSocket(sock, 20_000);
  } catch (e) {
    await stop();
    return { skip: `podman system service did not start: ${e.message} ${stderr.trim()}` };
  }
  // A container must actually run here (rlimits, cgroups, runtime).
  try {
    podman(env, ["run", "--rm", IMAGE, "/bin/true"]);
  } catch (e) {
    await stop();
    return {
      skip: `podman cannot run containers here: ${String(e.stderr ?? e.message)
        .trim()
        .split("\n")
        .pop()}`,
    };
  }
  return { dockerHost: `unix://${sock}`, env, registry, stop };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await startPodman();
  if (r.skip) {
    console.error(r.skip);
    process.exit(1);
  }
  console.log(
    `DOCKER_HOST=${r.dockerHost}\nCONTAINERS_CONF=${r.env.CONTAINERS_CONF}\nCONTAINERS_REGISTRIES_CONF=${r.env.CONTAINERS_REGISTRIES_CONF}`,
  );
  const bye = () => void r.stop().then(() => process.exit(0));
  process.on("SIGINT", bye);
  process.on("SIGTERM", bye);
}
