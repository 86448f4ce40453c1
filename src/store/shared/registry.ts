// Registry (commands, clusters): upserts, status changes, lists. Every write bumps the registry revision in the
// same transaction, so routing caches can tell whether they are current.
import type { Cluster, Command, CommandFilter, Page, PageQuery, RegistryFilter, RegistryStatus } from "../../core/index.ts";
import type { Db, Row } from "./db.ts";
import { num } from "./db.ts";
import type { ListSpec } from "./list-query.ts";
import { listPage } from "./list-query.ts";
import { CLUSTER_COLUMNS, COMMAND_COLUMNS, clusterFromRow, commandFromRow, contextText } from "./rows.ts";
import type { SetTable } from "./tag-sets.ts";
import { fetchSets, replaceSet, setOf } from "./tag-sets.ts";

const COMMAND_SETS: SetTable[] = [
  { kind: "tags", table: "command_tags", seqColumn: "command_seq" },
  { kind: "cluster_tags", table: "command_cluster_tags", seqColumn: "command_seq" },
];
const CLUSTER_SETS: SetTable[] = [{ kind: "tags", table: "cluster_tags", seqColumn: "cluster_seq" }];

async function bumpRevision(db: Db, op: string): Promise<void> {
  await db.exec(op, `UPDATE registry_revision SET revision = revision + 1 WHERE id = 1`);
}

export async function registryRevision(db: Db): Promise<number> {
  const rows = await db.query("registryRevision", `SELECT revision FROM registry_revision WHERE id = 1`);
  return num(rows[0]?.revision ?? 0);
}

async function commandsFromRows(db: Db, op: string, rows: Row[], all = false): Promise<Command[]> {
  const sets = await fetchSets(db, op, COMMAND_SETS, all ? undefined : rows.map((r) => num(r.seq)));
  return rows.map((r) => commandFromRow(r, setOf(sets, "tags", num(r.seq)), setOf(sets, "cluster_tags", num(r.seq))));
}
async function clustersFromRows(db: Db, op: string, rows: Row[], all = false): Promise<Cluster[]> {
  const sets = await fetchSets(db, op, CLUSTER_SETS, all ? undefined : rows.map((r) => num(r.seq)));
  return rows.map((r) => clusterFromRow(r, setOf(sets, "tags", num(r.seq))));
}

export async function getCommand(db: Db, id: string): Promise<Command | undefined> {
  const rows = await db.query("getCommand", `SELECT ${COMMAND_COLUMNS} FROM commands WHERE id = $1`, [id]);
  return (await commandsFromRows(db, "getCommand", rows))[0];
}
export async function getCluster(db: Db, id: string): Promise<Cluster | undefined> {
  const rows = await db.query("getCluster", `SELECT ${CLUSTER_COLUMNS} FROM clusters WHERE id = $1`, [id]);
  return (await clustersFromRows(db, "getCluster", rows))[0];
}

export async function putCommand(db: Db, cmd: Omit<Command, "created_at" | "updated_at">): Promise<Command> {
  const now = db.dialect.now;
  await db.tx("putCommand", async (tx) => {
    const rows = await tx.query(
      "putCommand",
      `INSERT INTO commands (id, name, version, user_name, description, status, plugin, is_sync, context,
         allowed_callers, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, ${now}, ${now})
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, version = excluded.version,
         user_name = excluded.user_name, description = excluded.description, status = excluded.status,
         plugin = excluded.plugin, is_sync = excluded.is_sync, context = excluded.context,
         allowed_callers = excluded.allowed_callers, updated_at = excluded.updated_at
       RETURNING seq`,
      [
        cmd.id,
        cmd.name,
        cmd.version,
        cmd.user,
        cmd.description,
        cmd.status,
        cmd.plugin,
        cmd.is_sync,
        contextText(cmd.context),
        JSON.stringify(cmd.allowed_callers),
      ],
    );
    const seq = num(rows[0]?.seq);
    await replaceSet(tx, "putCommand", COMMAND_SETS[0] as SetTable, seq, cmd.tags);
    await replaceSet(tx, "putCommand", COMMAND_SETS[1] as SetTable, seq, cmd.cluster_tags);
    await bumpRevision(tx, "putCommand");
  });
  return (await getCommand(db, cmd.id)) as Command;
}

export async function putCluster(db: Db, cl: Omit<Cluster, "created_at" | "updated_at">): Promise<Cluster> {
  const now = db.dialect.now;
  await db.tx("putCluster", async (tx) => {
    const rows = await tx.query(
      "putCluster",
      `INSERT INTO clusters (id, name, version, user_name, description, status, health_check, attributes, context,
         created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, ${now}, ${now})
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, version = excluded.version,
         user_name = excluded.user_name, description = excluded.description, status = excluded.status,
         health_check = excluded.health_check, attributes = excluded.attributes, context = excluded.context,
         updated_at = excluded.updated_at
       RETURNING seq`,
      [
        cl.id,
        cl.name,
        cl.version,
        cl.user,
        cl.description,
        cl.status,
        cl.health_check,
        JSON.stringify(cl.attributes),
        contextText(cl.context),
      ],
    );
    await replaceSet(tx, "putCluster", CLUSTER_SETS[0] as SetTable, num(rows[0]?.seq), cl.tags);
    await bumpRevision(tx, "putCluster");
  });
  return (await getCluster(db, cl.id)) as Cluster;
}

async function setStatus(db: Db, table: string, id: string, status: RegistryStatus, user: string): Promise<boolean> {
  return db.tx(`set ${table} status`, async (tx) => {
    const n = await tx.exec(
      `set ${table} status`,
      `UPDATE ${table} SET status = $2, user_name = $3, updated_at = ${tx.dialect.now} WHERE id = $1`,
      [id, status, user],
    );
    if (n > 0) await bumpRevision(tx, `set ${table} status`);
    return n > 0;
  });
}
export async function setCommandStatus(db: Db, id: string, status: RegistryStatus, user: string) {
  return (await setStatus(db, "commands", id, status, user)) ? getCommand(db, id) : undefined;
}
export async function setClusterStatus(db: Db, id: string, status: RegistryStatus, user: string) {
  return (await setStatus(db, "clusters", id, status, user)) ? getCluster(db, id) : undefined;
}

export function listCommands(db: Db, f: CommandFilter, page: PageQuery): Promise<Page<Command>> {
  const patterns: ListSpec["patterns"] = [
    ["user_name", f.username],
    ["id", f.id],
    ["name", f.name],
    ["version", f.version],
    ["plugin", f.plugin],
  ];
  return listPage(
    db,
    "listCommands",
    { table: "commands", columns: COMMAND_COLUMNS, patterns, statuses: f.status, ignoreCase: f.ignore_case, page },
    (rows) => commandsFromRows(db, "listCommands", rows),
  );
}

export function listClusters(db: Db, f: RegistryFilter, page: PageQuery): Promise<Page<Cluster>> {
  const patterns: ListSpec["patterns"] = [
    ["user_name", f.username],
    ["id", f.id],
    ["name", f.name],
    ["version", f.version],
  ];
  return listPage(
    db,
    "listClusters",
    { table: "clusters", columns: CLUSTER_COLUMNS, patterns, statuses: f.status, ignoreCase: f.ignore_case, page },
    (rows) => clustersFromRows(db, "listClusters", rows),
  );
}

/** All commands and clusters with the revision they belong to, read in one transaction. */
export async function loadRegistry(db: Db): Promise<{ revision: number; commands: Command[]; clusters: Cluster[] }> {
  return db.tx("loadRegistry", async (tx) => {
    const revision = await registryRevision(tx);
    const cmdRows = await tx.query("loadRegistry", `SELECT ${COMMAND_COLUMNS} FROM commands ORDER BY seq`);
    const clRows = await tx.query("loadRegistry", `SELECT ${CLUSTER_COLUMNS} FROM clusters ORDER BY seq`);
    return {
      revision,
      commands: await commandsFromRows(tx, "loadRegistry", cmdRows, true),
      clusters: await clustersFromRows(tx, "loadRegistry", clRows, true),
    };
  });
}
