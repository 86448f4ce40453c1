// The `heimdall` command: `serve`, `local-ecs`, and REST client subcommands (job, command, cluster).
import { Command, CommanderError } from "commander";
import { ApiClient, CliError } from "./client.ts";
import type { ClientOptions } from "./client.ts";
import { formatTime, keyValues } from "./format.ts";
import { listQuery, printPage, registerJobCommands, withClientOptions, withListOptions } from "./job-commands.ts";
import type { ListOpts } from "./job-commands.ts";
import { VERSION } from "./version.ts";

/** `-conf FILE` / `--conf FILE` (compatibility with the original server) → `--config FILE`. */
export function normalizeArgv(argv: string[]): string[] {
  return argv.map((a) => (a === "-conf" || a === "--conf" ? "--config" : a.replace(/^--?conf=/, "--config=")));
}

function registryCommands(program: Command, kind: "command" | "cluster"): void {
  const plural = `${kind}s`;
  const group = program.command(kind).description(`inspect ${plural}`);
  const list = withListOptions(withClientOptions(group.command("list").description(`list ${plural}`)));
  if (kind === "command") list.option("--plugin <pattern>", "plugin pattern");
  list.action(async (o: ListOpts) => {
    const page = await new ApiClient(o).request<{ data: Record<string, unknown>[] }>("GET", `/${plural}`, {
      query: listQuery(o, kind === "command" ? ["plugin"] : []),
    });
    const headers =
      kind === "command"
        ? ["ID", "NAME", "VERSION", "PLUGIN", "STATUS", "USER", "UPDATED"]
        : ["ID", "NAME", "VERSION", "STATUS", "USER", "UPDATED"];
    printPage(page, o.json, headers, (c) =>
      kind === "command"
        ? [c["id"], c["name"], c["version"], c["plugin"], c["status"], c["user"], formatTime(c["updated_at"])]
        : [c["id"], c["name"], c["version"], c["status"], c["user"], formatTime(c["updated_at"])],
    );
  });
  withClientOptions(group.command("get").argument("<id>").description(`${kind} details`)).action(async (id: string, o: ClientOptions) => {
    const obj = await new ApiClient(o).request<Record<string, unknown>>("GET", `/${kind}/${encodeURIComponent(id)}`);
    process.stdout.write(o.json ? `${JSON.stringify(obj, null, 2)}\n` : keyValues(obj));
  });
}

export function buildProgram(): Command {
  const program = new Command("heimdall")
    .description("Heimdall job orchestration service")
    .version(VERSION, "-V, --version", "print the version")
    .enablePositionalOptions()
    .showHelpAfterError();

  program
    .command("serve")
    .description("run the server (no --config: the built-in demo configuration)")
    .option("-c, --config <file>", "YAML configuration file")
    .action(async (o: { config?: string }) => {
      const { serve } = await import("./serve.ts");
      await serve({ configFile: o.config });
    });

  program
    .command("local-ecs")
    .description("run the standalone local ECS / CloudWatch Logs endpoint")
    .option("--port <port>", "listen port", "4566")
    .option("--host <host>", "listen address", "127.0.0.1")
    .option("-c, --config <file>", "local-ecs YAML configuration")
    .option("--runtime <runtime>", "what runs task containers: process (host processes) or docker (real images via Docker/Podman)")
    .option("--data-dir <dir>", "where state, logs and task directories live (default ./.heimdall/local-ecs)")
    .action(async (o: { port: string; host: string; config?: string; runtime?: string; dataDir?: string }) => {
      const { runLocalEcs } = await import("./serve.ts");
      await runLocalEcs({ port: Number(o.port), host: o.host, config: o.config, runtime: o.runtime, dataDir: o.dataDir });
    });

  registerJobCommands(program);
  registryCommands(program, "command");
  registryCommands(program, "cluster");
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(normalizeArgv(argv));
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof CliError) {
      process.stderr.write(`heimdall: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`heimdall: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

/**
 * Runs the CLI on `argv` (process.argv) and exits with its code, except after `serve` / `local-ecs`, which keep
 * running until a signal. bin/heimdall.js calls this on the compiled code (dist/cli/main.js).
 */
export async function runCli(argv: string[]): Promise<void> {
  const code = await main(argv);
  const longRunning = argv.slice(2).some((a) => a === "serve" || a === "local-ecs");
  if (code !== 0 || !longRunning) process.exit(code);
}

// Run directly (`node --import tsx src/cli/main.ts ...` in tests and development, or `node dist/cli/main.js`).
const isEntry = process.argv[1] !== undefined && /main\.[jt]s$/.test(process.argv[1]);
if (isEntry) await runCli(process.argv);
