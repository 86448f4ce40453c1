// `heimdall job …` subcommands over the REST API.
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { jobApi } from "./api-calls.ts";
import type { SubmitJob } from "./api-calls.ts";
import { ApiClient, CliError } from "./client.ts";
import type { ClientOptions } from "./client.ts";
import { paletteFor } from "./colour.ts";
import { formatTime, jobDuration, keyValues, table } from "./format.ts";
import { followJobLogs, tailLogs } from "./job-logs.ts";
import { renderTasks } from "./job-tasks.ts";
import { printStderrTail, progressText, watchJob } from "./job-watch.ts";

type Obj = Record<string, unknown>;
interface ListPage {
  data: Obj[];
  has_more?: boolean;
  next_cursor?: string;
}

export function withClientOptions(cmd: Command): Command {
  return cmd
    .option("--server <url>", "Heimdall server URL (env HEIMDALL_URL)")
    .option("--user <name>", "identity sent in the X-Heimdall-User header (env HEIMDALL_USER)")
    .option("--token <jwt>", "bearer token sent as Authorization: Bearer (env HEIMDALL_TOKEN)")
    .option("--ca-file <pem>", "CA certificate(s) to trust for an https:// server (env HEIMDALL_CA_FILE)")
    .option("--json", "print raw JSON")
    .option("--no-color", "no colours (also: environment NO_COLOR; colours are used on a terminal only)")
    .option(
      "--request-timeout <seconds>",
      "seconds to wait for the server to answer (env HEIMDALL_REQUEST_TIMEOUT; default 30; 0 = no limit)",
    );
}

const out = (s: string): void => {
  process.stdout.write(s);
};
const printJson = (v: unknown): void => out(`${JSON.stringify(v, null, 2)}\n`);
const commaList = (s: string): string[] =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x !== "");
const collect = (v: string, prev: string[]) => [...prev, v];

export function printPage(
  page: ListPage,
  json: boolean | undefined,
  headers: string[],
  row: (o: Obj) => unknown[],
  decorate?: (text: string, row: number, col: number) => string,
): void {
  if (json) return printJson(page);
  out(table(headers, page.data.map(row), decorate));
  if (page.has_more && page.next_cursor) out(`(more: --cursor ${page.next_cursor})\n`);
}

interface SubmitOpts extends WaitOpts {
  file?: string;
  name?: string;
  version?: string;
  description?: string;
  commandCriteria?: string;
  clusterCriteria?: string;
  tag: string[];
  context?: string;
  storeResultSync?: boolean;
}

async function submitBody(o: SubmitOpts): Promise<Obj> {
  let body: Obj = {};
  if (o.file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(o.file, "utf8"));
    } catch (err) {
      throw new CliError(`--file ${o.file}: ${(err as Error).message}`);
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
      throw new CliError(`--file ${o.file}: must be a JSON object`);
    body = parsed as Obj;
  }
  if (o.name !== undefined) body["name"] = o.name;
  if (o.version !== undefined) body["version"] = o.version;
  if (o.description !== undefined) body["description"] = o.description;
  if (o.commandCriteria !== undefined) body["command_criteria"] = commaList(o.commandCriteria);
  if (o.clusterCriteria !== undefined) body["cluster_criteria"] = commaList(o.clusterCriteria);
  if (o.tag.length > 0) body["tags"] = o.tag;
  if (o.storeResultSync) body["store_result_sync"] = true;
  if (o.context !== undefined) {
    try {
      body["context"] = JSON.parse(o.context);
    } catch (err) {
      throw new CliError(`--context: invalid JSON: ${(err as Error).message}`);
    }
  }
  return body;
}

function printJob(job: Obj, json: boolean | undefined): void {
  if (json) return printJson(job);
  const shown: Obj = { ...job };
  const took = jobDuration(job);
  if (took !== "") shown["duration"] = took;
  if (job["progress"] !== undefined && job["progress"] !== null)
    shown["progress"] = progressText(job["progress"]).replace(/^ECS tasks: /, "");
  out(keyValues(shown));
}

interface WaitOpts extends ClientOptions {
  wait?: boolean;
  timeout?: string;
  color?: boolean;
}

/**
 * Submits `body`. Without --wait prints the job (details or JSON). With --wait: the id at once on stdout (or, with
 * --json, the final job as JSON at the end), status changes and the ECS task summary on stderr, the stderr tail of
 * a job that did not succeed, and exit 1 unless it SUCCEEDED.
 */
async function submitJob(api: ApiClient, body: Obj, o: WaitOpts): Promise<void> {
  // A synchronous command runs inside the submit request: no response bound unless --timeout is given.
  const timeoutSec = Number(o.timeout) || 0;
  const submitted: Obj = await jobApi.submit(api, body as SubmitJob, timeoutSec * 1000);
  if (!o.wait) return printJob(submitted, o.json);
  const id = String(submitted["id"]);
  if (!o.json) out(`${id}\n`);
  const errColour = paletteFor(process.stderr, o);
  const job = await watchJob(api, id, submitted, { timeoutSec, colour: errColour });
  if (o.json) printJson(job);
  if (job["status"] !== "SUCCEEDED") {
    await printStderrTail(api, id, errColour);
    const err = typeof job["error"] === "string" ? `: ${job["error"]}` : "";
    throw new CliError(`job ${id} ended ${String(job["status"])}${err}`);
  }
}

/** The submit body that runs a job again: the same name, version, criteria and context. */
export function rerunBody(job: Obj): Obj {
  const body: Obj = {};
  for (const k of ["name", "version", "command_criteria", "cluster_criteria", "context"])
    if (job[k] !== undefined && job[k] !== null) body[k] = job[k];
  return body;
}

/** Help text of a command that takes a job id. */
const example = (cmd: string) => `
Examples:
  $ heimdall job ${cmd} 3f2b8c1e-6d4a-4c7e-9b1f-2a5d8e0c4b71
  $ heimdall job ${cmd} 3f2b8c1e-6d4a-4c7e-9b1f-2a5d8e0c4b71 --json
${CLIENT_HELP}`;

const CLIENT_HELP = `
Server and identity: --server or HEIMDALL_URL (default http://127.0.0.1:9090), --user or HEIMDALL_USER,
--token or HEIMDALL_TOKEN. Times are UTC.`;

export function registerJobCommands(program: Command): void {
  const job = program
    .command("job")
    .description("submit, watch, inspect, rerun and cancel jobs")
    .addHelpText(
      "after",
      `
Examples:
  $ heimdall job submit --command-criteria type:ping --cluster-criteria type:localhost --wait
  $ heimdall job list --status RUNNING
  $ heimdall job logs ID --follow        # ECS jobs: every task's lines, prefixed [slot.attempt]
  $ heimdall job tasks ID                # ECS jobs: slots x attempts
  $ heimdall job rerun ID --wait
${CLIENT_HELP}`,
    );

  withClientOptions(job.command("submit").description("submit a job (from flags and/or --file job.json)"))
    .option("--file <path>", "JSON file with the submit body")
    .option("--name <name>", "job name")
    .option("--version <version>", "job version")
    .option("--description <text>", "job description")
    .option("--command-criteria <tags>", "comma-separated command criteria")
    .option("--cluster-criteria <tags>", "comma-separated cluster criteria")
    .option("--tag <tag>", "job tag (repeatable)", collect, [])
    .option("--context <json>", "job context as JSON")
    .option("--store-result-sync", "set store_result_sync")
    .option("--wait", "print the id, then wait until the job is final (progress on stderr); exit 1 unless it SUCCEEDED")
    .option("--timeout <seconds>", "give up after this many seconds (the submit itself, and with --wait the wait)", "0")
    .addHelpText(
      "after",
      `
Examples:
  $ heimdall job submit --user alice --command-criteria type:ping --cluster-criteria type:localhost --wait
  $ heimdall job submit --file job.json --tag env:dev --json
  $ heimdall job submit --command-criteria type:ecs --cluster-criteria type:fargate \\
      --context '{"task_count": 3}' --wait        # prints the id, then status and task progress on stderr
${CLIENT_HELP}`,
    )
    .action(async (o: SubmitOpts) => {
      await submitJob(new ApiClient(o), await submitBody(o), o);
    });

  withClientOptions(job.command("rerun").argument("<id>").description("submit a job again: the same name, version, criteria and context"))
    .option("--wait", "wait until the new job is final (as with submit --wait)")
    .option("--timeout <seconds>", "give up after this many seconds", "0")
    .addHelpText(
      "after",
      `
Prints the new job's id (or its JSON with --json). The new job belongs to the caller (--user / --token).

Examples:
  $ heimdall job rerun 3f2b8c1e-6d4a-4c7e-9b1f-2a5d8e0c4b71
  $ heimdall job rerun 3f2b8c1e-6d4a-4c7e-9b1f-2a5d8e0c4b71 --wait
${CLIENT_HELP}`,
    )
    .action(async (id: string, o: WaitOpts) => {
      const api = new ApiClient(o);
      const old: Obj = await jobApi.get(api, id);
      if (o.wait) return submitJob(api, rerunBody(old), o);
      const created = await jobApi.submit(api, rerunBody(old) as SubmitJob, (Number(o.timeout) || 0) * 1000);
      if (o.json) printJson(created);
      else out(`${String(created["id"])}\n`);
    });

  withClientOptions(job.command("get").argument("<id>").description("job details"))
    .addHelpText("after", example("get"))
    .action(async (id: string, o: ClientOptions) => {
      printJob(await jobApi.get(new ApiClient(o), id), o.json);
    });

  withClientOptions(job.command("status").argument("<id>").description("job status"))
    .addHelpText("after", example("status"))
    .action(async (id: string, o: ClientOptions) => {
      const st = await jobApi.status(new ApiClient(o), id);
      if (o.json) return printJson(st);
      out(`${st.status}${typeof st.error === "string" ? `: ${st.error}` : ""}\n`);
    });

  withClientOptions(job.command("cancel").argument("<id>").description("cancel a job"))
    .addHelpText("after", example("cancel"))
    .action(async (id: string, o: ClientOptions) => {
      const r = await jobApi.cancel(new ApiClient(o), id);
      if (o.json) return printJson(r);
      out(`${r.status}\n`);
    });

  withClientOptions(job.command("result").argument("<id>").description("job result"))
    .addHelpText("after", example("result"))
    .action(async (id: string, o: ClientOptions) => {
      const r = await new ApiClient(o).request<{ columns: { name: string }[]; data: unknown[][] }>(
        "GET",
        `/job/${encodeURIComponent(id)}/result`,
      );
      if (o.json) return printJson(r);
      out(
        table(
          r.columns.map((c) => c.name),
          r.data,
        ),
      );
    });

  withListOptions(withClientOptions(job.command("list").description("list jobs")))
    .option("--command <pattern>", "command name pattern")
    .option("--cluster <pattern>", "cluster name pattern")
    .option("--tags <tags>", "comma-separated tags (all must match)")
    .addHelpText(
      "after",
      `
Patterns use % (any text) and _ (one character). Times are UTC; DURATION runs to now while a job runs.

Examples:
  $ heimdall job list --status RUNNING,FAILED --limit 20
  $ heimdall job list --username alice --name 'nightly-%' --order-by created_at --direction desc
  $ heimdall job list --tags env:prod --json`,
    )
    .action(async (o: ListOpts) => {
      const page: ListPage = await jobApi.list(new ApiClient(o), listQuery(o, ["command", "cluster", "tags"]));
      const c = paletteFor(process.stdout, o);
      const headers = ["ID", "NAME", "USER", "STATUS", "COMMAND", "CLUSTER", "CREATED", "STARTED", "FINISHED", "DURATION"];
      const row = (j: Obj) => [
        j["id"],
        j["name"],
        j["user"],
        j["status"],
        j["command_name"],
        j["cluster_name"],
        formatTime(j["created_at"]),
        formatTime(j["started_at"]),
        formatTime(j["finished_at"]),
        jobDuration(j),
      ];
      printPage(page, o.json, headers, row, (text, _r, col) => (col === 3 ? c.status(text) : text));
    });

  withClientOptions(job.command("logs").argument("<id>").description("print a job's stdout (or --stderr); --follow streams it live"))
    .option("--stderr", "stderr instead of stdout")
    .option("--follow", "keep streaming until the job is final, then print its status; exit 1 unless it SUCCEEDED")
    .option("--slot <n>", "ECS jobs with --follow: only this slot's tasks")
    .option("--timestamps", "ECS jobs with --follow: show each line's time (UTC)")
    .addHelpText(
      "after",
      `
With --follow an ECS job streams every task attempt's log lines as they arrive, prefixed [slot.attempt] (like
docker compose logs -f; a colour per slot on a terminal), reconnecting where it stopped if the connection drops.
Other jobs (and --stderr) tail the job's file. The final status goes to stderr.

Examples:
  $ heimdall job logs 3f2b8c1e-6d4a-4c7e-9b1f-2a5d8e0c4b71
  $ heimdall job logs 3f2b8c1e-6d4a-4c7e-9b1f-2a5d8e0c4b71 --follow
  $ heimdall job logs 3f2b8c1e-6d4a-4c7e-9b1f-2a5d8e0c4b71 --follow --slot 2 --timestamps
  $ heimdall job logs 3f2b8c1e-6d4a-4c7e-9b1f-2a5d8e0c4b71 --stderr`,
    )
    .action(
      async (
        id: string,
        o: ClientOptions & { stderr?: boolean; follow?: boolean; slot?: string; timestamps?: boolean; color?: boolean },
      ) => {
        const api = new ApiClient(o);
        if (!o.follow) {
          await tailLogs(api, id, o.stderr ? "stderr" : "stdout", false);
          return;
        }
        let slot: number | undefined;
        if (o.slot !== undefined) {
          if (!/^\d+$/.test(o.slot)) throw new CliError(`--slot: must be a non-negative integer, got ${o.slot}`);
          slot = Number(o.slot);
        }
        let status: string;
        const followed = o.stderr
          ? undefined
          : await followJobLogs(api, id, { slot, timestamps: o.timestamps, colour: paletteFor(process.stdout, o) });
        if (followed?.kind === "final") status = followed.status;
        else status = await tailLogs(api, id, o.stderr ? "stderr" : "stdout", true);
        await finalStatus(api, id, status, o);
      },
    );

  withClientOptions(job.command("tasks").argument("<id>").description("an ECS job's tasks: slots × attempts"))
    .option("--wide", "also one row per attempt: capacity, start/stop times (UTC), duration, reason, task ARN")
    .addHelpText(
      "after",
      `
Each cell is an attempt's status and exit code (SUCCEEDED 0, FAILED 2, RUNNING, INTERRUPTED spot, ...).

Examples:
  $ heimdall job tasks 3f2b8c1e-6d4a-4c7e-9b1f-2a5d8e0c4b71
  $ heimdall job tasks 3f2b8c1e-6d4a-4c7e-9b1f-2a5d8e0c4b71 --wide`,
    )
    .action(async (id: string, o: ClientOptions & { wide?: boolean; color?: boolean }) => {
      const t = await jobApi.tasks(new ApiClient(o), id);
      if (o.json) return printJson(t);
      out(renderTasks(t, paletteFor(process.stdout, o), Boolean(o.wide)));
    });
}

/** After `logs --follow`: `job ID SUCCEEDED` on stderr (exit 0), or the error and exit 1. */
async function finalStatus(api: ApiClient, id: string, status: string, o: { color?: boolean }): Promise<void> {
  const c = paletteFor(process.stderr, o);
  const job: Obj = await jobApi.get(api, id).catch(() => ({ status }) as Obj);
  const final = String(job["status"] ?? status);
  const took = jobDuration(job);
  if (final === "SUCCEEDED") {
    process.stderr.write(`job ${id} ${c.status(final)}${took !== "" ? ` after ${took}` : ""}\n`);
    return;
  }
  const err = typeof job["error"] === "string" && job["error"] !== "" ? `: ${job["error"]}` : "";
  throw new CliError(`job ${id} ended ${c.status(final)}${took !== "" ? ` after ${took}` : ""}${err}`);
}

export interface ListOpts extends ClientOptions {
  username?: string;
  id?: string;
  name?: string;
  version?: string;
  status?: string;
  limit?: string;
  orderBy?: string;
  direction?: string;
  cursor?: string;
  [k: string]: unknown;
}

export function withListOptions(cmd: Command): Command {
  return cmd
    .option("--username <pattern>", "user pattern (% and _ wildcards)")
    .option("--id <pattern>", "id pattern")
    .option("--name <pattern>", "name pattern")
    .option("--version <pattern>", "version pattern")
    .option("--status <list>", "comma-separated statuses")
    .option("--limit <n>", "page size (max 101)")
    .option("--order-by <key>", "id | created_at | updated_at")
    .option("--direction <dir>", "asc | desc")
    .option("--cursor <cursor>", "next page cursor");
}

export function listQuery(o: ListOpts, extra: string[] = []): Record<string, string | undefined> {
  const q: Record<string, string | undefined> = {
    username: o.username,
    id: o.id,
    name: o.name,
    version: o.version,
    status: o.status,
    limit: o.limit,
    order_by: o.orderBy,
    direction: o.direction,
    cursor: o.cursor,
  };
  for (const k of extra) q[k] = typeof o[k] === "string" ? (o[k] as string) : undefined;
  return q;
}
