// `heimdall job …` subcommands over the REST API.
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { ApiClient, CliError } from "./client.ts";
import type { ClientOptions } from "./client.ts";
import { formatTime, keyValues, table } from "./format.ts";

const FINAL = new Set(["FAILED", "KILLED", "SUCCEEDED", "CANCELED"]);
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
    .option("--request-timeout <seconds>", "seconds to wait for the server to answer (env HEIMDALL_REQUEST_TIMEOUT; default 30; 0 = no limit)");
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
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function printPage(page: ListPage, json: boolean | undefined, headers: string[], row: (o: Obj) => unknown[]): void {
  if (json) return printJson(page);
  out(table(headers, page.data.map(row)));
  if (page.has_more && page.next_cursor) out(`(more: --cursor ${page.next_cursor})\n`);
}

interface SubmitOpts extends ClientOptions {
  file?: string;
  name?: string;
  version?: string;
  description?: string;
  commandCriteria?: string;
  clusterCriteria?: string;
  tag: string[];
  context?: string;
  storeResultSync?: boolean;
  wait?: boolean;
  timeout?: string;
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
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new CliError(`--file ${o.file}: must be a JSON object`);
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
  if (json) printJson(job);
  else out(keyValues(job));
}

async function waitFinal(api: ApiClient, id: string, timeoutSec: number): Promise<Obj> {
  const deadline = timeoutSec > 0 ? Date.now() + timeoutSec * 1000 : Number.POSITIVE_INFINITY;
  for (;;) {
    const st = await api.request<Obj>("GET", `/job/${encodeURIComponent(id)}/status`);
    if (FINAL.has(String(st["status"]))) return api.request<Obj>("GET", `/job/${encodeURIComponent(id)}`);
    if (Date.now() > deadline) throw new CliError(`job ${id} is still ${String(st["status"])} after ${timeoutSec}s`);
    await sleep(250);
  }
}

export function registerJobCommands(program: Command): void {
  const job = program.command("job").description("submit, inspect and cancel jobs");

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
    .option("--wait", "poll until the job is final; non-zero exit unless it SUCCEEDED")
    .option("--timeout <seconds>", "give up after this many seconds (the submit itself, and with --wait the wait)", "0")
    .action(async (o: SubmitOpts) => {
      const api = new ApiClient(o);
      // A synchronous command runs inside the submit request: no response bound unless --timeout is given.
      const submitTimeoutMs = (Number(o.timeout) || 0) * 1000;
      let jobObj = await api.request<Obj>("POST", "/job", { body: await submitBody(o), timeoutMs: submitTimeoutMs });
      if (o.wait && !FINAL.has(String(jobObj["status"]))) jobObj = await waitFinal(api, String(jobObj["id"]), Number(o.timeout) || 0);
      printJob(jobObj, o.json);
      if (o.wait && jobObj["status"] !== "SUCCEEDED") {
        const err = typeof jobObj["error"] === "string" ? `: ${jobObj["error"]}` : "";
        throw new CliError(`job ${String(jobObj["id"])} ended ${String(jobObj["status"])}${err}`);
      }
    });

  withClientOptions(job.command("get").argument("<id>").description("job details")).action(async (id: string, o: ClientOptions) => {
    printJob(await new ApiClient(o).request<Obj>("GET", `/job/${encodeURIComponent(id)}`), o.json);
  });

  withClientOptions(job.command("status").argument("<id>").description("job status")).action(async (id: string, o: ClientOptions) => {
    const st = await new ApiClient(o).request<Obj>("GET", `/job/${encodeURIComponent(id)}/status`);
    if (o.json) return printJson(st);
    out(`${String(st["status"])}${typeof st["error"] === "string" ? `: ${st["error"]}` : ""}\n`);
  });

  withClientOptions(job.command("cancel").argument("<id>").description("cancel a job")).action(async (id: string, o: ClientOptions) => {
    const r = await new ApiClient(o).request<Obj>("POST", `/job/${encodeURIComponent(id)}/cancel`);
    if (o.json) return printJson(r);
    out(`${String(r["status"])}\n`);
  });

  withClientOptions(job.command("result").argument("<id>").description("job result")).action(async (id: string, o: ClientOptions) => {
    const r = await new ApiClient(o).request<{ columns: { name: string }[]; data: unknown[][] }>("GET", `/job/${encodeURIComponent(id)}/result`);
    if (o.json) return printJson(r);
    out(table(r.columns.map((c) => c.name), r.data));
  });

  withListOptions(withClientOptions(job.command("list").description("list jobs")))
    .option("--command <pattern>", "command name pattern")
    .option("--cluster <pattern>", "cluster name pattern")
    .option("--tags <tags>", "comma-separated tags (all must match)")
    .action(async (o: ListOpts) => {
      const page = await new ApiClient(o).request<ListPage>("GET", "/jobs", { query: listQuery(o, ["command", "cluster", "tags"]) });
      printPage(page, o.json, ["ID", "NAME", "USER", "STATUS", "COMMAND", "CLUSTER", "CREATED"], (j) => [
        j["id"],
        j["name"],
        j["user"],
        j["status"],
        j["command_name"],
        j["cluster_name"],
        formatTime(j["created_at"]),
      ]);
    });

  withClientOptions(job.command("logs").argument("<id>").description("print a job's stdout (or --stderr)"))
    .option("--stderr", "stderr instead of stdout")
    .option("--follow", "keep tailing until the job is final")
    .action(async (id: string, o: ClientOptions & { stderr?: boolean; follow?: boolean }) => {
      await tailLogs(new ApiClient(o), id, o.stderr ? "stderr" : "stdout", Boolean(o.follow));
    });
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

/** Prints a job file; with `follow`, tails via ?offset= and X-Heimdall-File-Size until the job is final. */
export async function tailLogs(api: ApiClient, id: string, file: "stdout" | "stderr", follow: boolean): Promise<void> {
  let offset = 0;
  for (;;) {
    const res = await api.raw("GET", api.url(`/job/${encodeURIComponent(id)}/${file}`, { offset }));
    if (!res.ok) {
      const body = (await res.json().catch(() => ({}))) as { error?: string };
      throw new CliError(`${body.error ?? `HTTP ${res.status}`} [HTTP ${res.status}]`);
    }
    const buf = Buffer.from(await res.arrayBuffer());
    if (buf.length > 0) process.stdout.write(buf);
    const size = Number(res.headers.get("x-heimdall-file-size") ?? offset + buf.length);
    offset = Math.max(offset + buf.length, Number.isFinite(size) ? size : 0);
    const status = res.headers.get("x-heimdall-job-status") ?? "";
    if (!follow || FINAL.has(status)) return;
    await sleep(1000);
  }
}
