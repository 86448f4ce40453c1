// State that survives restarts: clusters, task definitions, tasks, RunTask client tokens, log groups and streams
// in SQLite (<dataDir>/state.sqlite; log events stay in their stream files, whose index is rebuilt on load).
// Writes are batched: tasks whose version changed and the catalogue after a mutating call, every flushMs.
import Database from "better-sqlite3";
import type { Cluster, ContainerRecord, EcsState, IdempotencyEntry, TaskDefinition, TaskRecord } from "./ecs/model.ts";
import type { LogStore } from "./logs/store.ts";

type Row = { json: string };

const SCHEMA = `
CREATE TABLE IF NOT EXISTS clusters (name TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS task_definitions (arn TEXT PRIMARY KEY, family TEXT NOT NULL, revision INTEGER NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (id TEXT PRIMARY KEY, version INTEGER NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS log_groups (name TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS log_streams (group_name TEXT NOT NULL, name TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (group_name, name));
`;

/** A task as stored: references by name/ARN, no process handles. */
function taskToJson(t: TaskRecord): string {
  const containers = t.containers.map((c) => ({ ...c, proc: undefined }) as Omit<ContainerRecord, "proc">);
  return JSON.stringify({ ...t, cluster: t.cluster.name, taskDefinition: t.taskDefinition.arn, containers });
}

export class StatePersistence {
  private readonly db: Database.Database;
  private readonly versions = new Map<string, number>();
  private readonly tokenKeys = new Set<string>();
  private catalogDirty = true;
  private timer: NodeJS.Timeout | undefined;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.exec(SCHEMA);
  }

  /** Fill `state` and `logs` from the database; returns the tasks that were loaded. */
  load(state: EcsState, logs: LogStore): TaskRecord[] {
    for (const r of this.db.prepare("SELECT json FROM clusters").all() as Row[]) {
      const c = JSON.parse(r.json) as Cluster;
      state.clusters.set(c.name, c);
    }
    const byArn = new Map<string, TaskDefinition>();
    for (const r of this.db.prepare("SELECT json FROM task_definitions ORDER BY family, revision").all() as Row[]) {
      const td = JSON.parse(r.json) as TaskDefinition;
      const revs = state.families.get(td.family) ?? [];
      revs[td.revision - 1] = td;
      state.families.set(td.family, revs);
      byArn.set(td.arn, td);
    }
    const tasks: TaskRecord[] = [];
    for (const r of this.db.prepare("SELECT json FROM tasks").all() as Row[]) {
      const raw = JSON.parse(r.json) as Omit<TaskRecord, "cluster" | "taskDefinition"> & { cluster: string; taskDefinition: string };
      const cluster = state.clusters.get(raw.cluster);
      const td = byArn.get(raw.taskDefinition);
      if (!cluster || !td) continue;
      const t: TaskRecord = { ...raw, cluster, taskDefinition: td, containers: raw.containers.map((c) => ({ ...c, proc: undefined })) };
      state.tasks.set(t.id, t);
      this.versions.set(t.id, t.version);
      tasks.push(t);
    }
    const now = Date.now();
    for (const r of this.db.prepare("SELECT key, json FROM tokens WHERE expires_at > ?").all(now) as Array<Row & { key: string }>) {
      state.tokens.set(r.key, JSON.parse(r.json) as IdempotencyEntry);
      this.tokenKeys.add(r.key);
    }
    for (const r of this.db.prepare("SELECT json FROM log_groups").all() as Row[]) {
      const g = JSON.parse(r.json) as {
        name: string;
        creationTime: number;
        retentionInDays: number | undefined;
        tags: Record<string, string>;
        logGroupClass: string;
      };
      logs.restoreGroup(g);
    }
    for (const r of this.db.prepare("SELECT group_name, json FROM log_streams").all() as Array<Row & { group_name: string }>) {
      const g = logs.groups.get(r.group_name);
      const s = JSON.parse(r.json) as { name: string; path: string; creationTime: number };
      if (g) logs.restoreStream(g, s.name, s.path, s.creationTime);
    }
    this.catalogDirty = false;
    return tasks;
  }

  /** A create/register/delete/tag call happened: write the catalogue (clusters, definitions, logs) next flush. */
  markCatalog(): void {
    this.catalogDirty = true;
  }

  /** Write what changed since the last flush (one transaction). */
  flush(state: EcsState, logs: LogStore): void {
    const upTask = this.db.prepare(
      "INSERT INTO tasks (id, version, json) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET version = excluded.version, json = excluded.json",
    );
    const delTask = this.db.prepare("DELETE FROM tasks WHERE id = ?");
    this.db.transaction(() => {
      for (const t of state.tasks.values()) {
        if (this.versions.get(t.id) === t.version) continue;
        upTask.run(t.id, t.version, taskToJson(t));
        this.versions.set(t.id, t.version);
      }
      for (const id of this.versions.keys())
        if (!state.tasks.has(id)) {
          delTask.run(id);
          this.versions.delete(id);
        }
      const upToken = this.db.prepare("INSERT OR REPLACE INTO tokens (key, expires_at, json) VALUES (?, ?, ?)");
      for (const [k, v] of state.tokens)
        if (!this.tokenKeys.has(k)) {
          upToken.run(k, v.expiresAt, JSON.stringify(v));
          this.tokenKeys.add(k);
        }
      for (const k of this.tokenKeys)
        if (!state.tokens.has(k)) {
          this.db.prepare("DELETE FROM tokens WHERE key = ?").run(k);
          this.tokenKeys.delete(k);
        }
      if (this.catalogDirty) this.writeCatalog(state, logs);
    })();
    this.catalogDirty = false;
  }

  private writeCatalog(state: EcsState, logs: LogStore): void {
    this.db.exec("DELETE FROM clusters; DELETE FROM task_definitions; DELETE FROM log_groups; DELETE FROM log_streams;");
    const c = this.db.prepare("INSERT INTO clusters (name, json) VALUES (?, ?)");
    for (const cl of state.clusters.values()) c.run(cl.name, JSON.stringify(cl));
    const td = this.db.prepare("INSERT INTO task_definitions (arn, family, revision, json) VALUES (?, ?, ?, ?)");
    for (const revs of state.families.values()) for (const d of revs) if (d) td.run(d.arn, d.family, d.revision, JSON.stringify(d));
    const g = this.db.prepare("INSERT INTO log_groups (name, json) VALUES (?, ?)");
    const s = this.db.prepare("INSERT INTO log_streams (group_name, name, json) VALUES (?, ?, ?)");
    for (const grp of logs.groups.values()) {
      const { streams, ...meta } = grp;
      g.run(grp.name, JSON.stringify(meta));
      for (const st of streams.values())
        s.run(grp.name, st.name, JSON.stringify({ name: st.name, path: st.path, creationTime: st.creationTime }));
    }
  }

  /** Flush every `ms` (timer does not keep the process alive). */
  start(state: EcsState, logs: LogStore, ms: number): void {
    this.timer = setInterval(() => this.flush(state, logs), ms);
    this.timer.unref();
  }

  close(state: EcsState, logs: LogStore): void {
    if (this.timer) clearInterval(this.timer);
    this.flush(state, logs);
    this.db.close();
  }
}
