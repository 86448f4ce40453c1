#!/usr/bin/env node
// Podman for the docker-runtime tests: a private containers.conf (no default ulimits, cgroupfs, runc — some
// machines need all three; crun refuses hybrid cgroups), Podman's Docker-compatible service on a private socket,
// and two test images built without any registry from Debian's busybox-static:
//   heimdall-test/busybox:1  — /bin/busybox and its applets, users root and app (1000); no CMD
//   heimdall-test/default:1  — the same with ENTRYPOINT/CMD/ENV/WORKDIR/USER set, for the image-defaults rules
// Used by test/local-ecs/docker-*.test.ts; run directly it starts the service and prints DOCKER_HOST until ^C.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, copyFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const IMAGE = "heimdall-test/busybox:1";
export const DEFAULT_IMAGE = "heimdall-test/default:1";
export const PAUSE = { pauseImage: IMAGE, pauseCommand: ["/bin/sleep", "2147483647"] };

const APPLETS = ["sh", "sleep", "echo", "cat", "env", "id", "pwd", "ls", "nc", "dd", "head", "tail", "yes", "true", "false", "kill", "printf", "seq", "trap", "wc", "grep", "tr", "cut", "mkdir", "rm", "test", "["];

function which(cmd) {
  try {
    return execFileSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

function podman(env, args, input) {
  return execFileSync("podman", args, { env, input, encoding: "utf8", stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"], timeout: 120_000 });
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
        "--change", 'ENTRYPOINT ["/bin/sh", "-c"]',
        "--change", 'CMD ["echo image-cmd user=$(id -u) dir=$(pwd) greeting=$GREETING"]',
        "--change", "ENV GREETING=from-image",
        "--change", "WORKDIR /app",
        "--change", "USER 1000",
        "-", DEFAULT_IMAGE,
      ],
      { env, input: tar, stdio: ["pipe", "ignore", "pipe"], timeout: 120_000 },
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
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
  const env = { ...process.env, CONTAINERS_CONF: conf };
  try {
    buildImages(env);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    return { skip: `cannot build the test images with podman: ${String(e.stderr ?? e.message).trim().split("\n").pop()}` };
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
    return { skip: `podman cannot run containers here: ${String(e.stderr ?? e.message).trim().split("\n").pop()}` };
  }
  return { dockerHost: `unix://${sock}`, env, stop };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await startPodman();
  if (r.skip) {
    console.error(r.skip);
    process.exit(1);
  }
  console.log(`DOCKER_HOST=${r.dockerHost}\nCONTAINERS_CONF=${r.env.CONTAINERS_CONF}`);
  const bye = () => void r.stop().then(() => process.exit(0));
  process.on("SIGINT", bye);
  process.on("SIGTERM", bye);
}
