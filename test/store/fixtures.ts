// Builders for store tests: complete domain objects with sensible defaults.
import { randomUUID } from "node:crypto";
import type { Cluster, Command, PageQuery } from "../../src/core/index.ts";
import type { NewJob } from "../../src/store/index.ts";

/** The fields commands and clusters share, with the system tags of `id`. */
function base(id: string, tag: string) {
  return {
    id,
    name: id,
    version: "1.0",
    user: "heimdall",
    description: "",
    tags: [`_id:${id}`, `_name:${id}`, "_version:1.0", tag],
    status: "ACTIVE" as const,
  };
}

export function command(id: string, over: Partial<Omit<Command, "created_at" | "updated_at">> = {}) {
  return {
    ...base(id, "type:test"),
    plugin: "ping",
    is_sync: false,
    cluster_tags: ["type:localhost"],
    allowed_callers: [],
    ...over,
  } satisfies Omit<Command, "created_at" | "updated_at">;
}

export function cluster(id: string, over: Partial<Omit<Cluster, "created_at" | "updated_at">> = {}) {
  return {
    ...base(id, "type:localhost"),
    health_check: false,
    attributes: {},
    ...over,
  } satisfies Omit<Cluster, "created_at" | "updated_at">;
}

export function newJob(over: Partial<NewJob> = {}): NewJob {
  const id = over.id ?? randomUUID();
  const name = over.name ?? "job";
  const version = over.version ?? "1";
  return {
    id,
    name,
    version,
    user: "alice",
    description: "",
    tags: [`_id:${id}`, `_name:${name}`, `_version:${version}`],
    status: "NEW",
    is_sync: false,
    store_result_sync: false,
    error: "",
    command_criteria: ["type:ping"],
    cluster_criteria: ["type:localhost"],
    command_id: "ping",
    command_name: "ping",
    cluster_id: "local",
    cluster_name: "local",
    canceled_by: "",
    job_attributes: {},
    ...over,
  };
}

export const page = (over: Partial<PageQuery> = {}): PageQuery => ({
  limit: 101,
  order_by: "seq",
  direction: "desc",
  ...over,
});

/** Walks every page of a list and returns all items in order, checking the page size invariant. */
export async function walkPages<T>(
  list: (p: PageQuery) => Promise<{ data: T[]; next_cursor?: { v: string | number; i: number } }>,
  base: PageQuery,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: PageQuery["cursor"];
  let pages = 0;
  for (;;) {
    const p = await list(cursor ? { ...base, cursor } : base);
    pages++;
    items.push(...p.data);
    if (!p.next_cursor) return { items, pages };
    if (p.data.length !== base.limit) throw new Error(`page with next_cursor has ${p.data.length} rows`);
    cursor = p.next_cursor;
    if (pages > 10_000) throw new Error("pagination does not terminate");
  }
}
