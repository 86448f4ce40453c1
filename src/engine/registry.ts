// Registry cache keyed by the store's registry revision (D2) and the handler cache (10.1).
import type pino from "pino";
import type { Cluster, Command } from "../core/index.ts";
import type { Handler, PluginModule, PluginRegistry, PluginServices } from "../plugins/index.ts";
import type { Store } from "../store/index.ts";
import { defaultDbRetryMs, retryDb } from "./db-retry.ts";

export interface RegistrySnapshot {
  revision: number;
  commands: Command[];
  clusters: Cluster[];
  commandById: Map<string, Command>;
  clusterById: Map<string, Cluster>;
}

/**
 * Caches the whole registry; every read first checks the revision, so writes on any instance are seen at once. The
 * revision costs no statement when the caller read it with its own data (a claim returns it) or when the store
 * keeps it in memory (SQLite: the one process sees every registry write).
 */
export class RegistryCache {
  private snap: RegistrySnapshot | undefined;
  private loading: Promise<RegistrySnapshot> | undefined;
  private readonly store: Store;

  constructor(store: Store) {
    this.store = store;
  }

  /** The last snapshot loaded, without checking its revision (a submit's insert is guarded by it instead). */
  cached(): RegistrySnapshot | undefined {
    return this.snap;
  }

  /** `knownRevision`: a revision read with the caller's data; a snapshot at least as new serves without a read. */
  async snapshot(knownRevision?: number): Promise<RegistrySnapshot> {
    if (knownRevision !== undefined && this.snap && this.snap.revision >= knownRevision) return this.snap;
    const revision = knownRevision ?? (await this.store.registryRevision());
    if (this.snap && this.snap.revision === revision) return this.snap;
    return this.reload(revision);
  }

  private reload(minRevision: number): Promise<RegistrySnapshot> {
    if (this.loading) {
      const pending = this.loading;
      return pending.then((s) => (s.revision >= minRevision ? s : this.reload(minRevision)));
    }
    const p = this.store.loadRegistry().then((r) => {
      const snap: RegistrySnapshot = {
        revision: r.revision,
        commands: r.commands,
        clusters: r.clusters,
        commandById: new Map(r.commands.map((c) => [c.id, c])),
        clusterById: new Map(r.clusters.map((c) => [c.id, c])),
      };
      if (!this.snap || snap.revision >= this.snap.revision) this.snap = snap;
      return snap;
    });
    this.loading = p;
    const clear = () => {
      if (this.loading === p) this.loading = undefined;
    };
    p.then(clear, clear);
    return p;
  }
}

/** JSON with object keys sorted, to compare definitions regardless of key order. */
export function stableStringify(value: unknown): string {
  if (value === undefined) return "null";
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`;
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`).join(",")}}`;
}

type Definition = Omit<Command | Cluster, "created_at" | "updated_at" | "user">;

/** The fields of a definition both kinds share (everything but user and timestamps). */
function baseFingerprintFields(c: Definition) {
  return {
    id: c.id,
    name: c.name,
    version: c.version,
    description: c.description,
    tags: [...c.tags].sort(),
    context: c.context ?? null,
    status: c.status,
  };
}

/** The fields that make a command definition (everything but user and timestamps). */
export function commandFingerprint(c: Omit<Command, "created_at" | "updated_at" | "user">): string {
  return stableStringify({
    ...baseFingerprintFields(c),
    plugin: c.plugin,
    is_sync: c.is_sync,
    cluster_tags: [...c.cluster_tags].sort(),
    allowed_callers: [...c.allowed_callers].sort(),
  });
}

export function clusterFingerprint(c: Omit<Cluster, "created_at" | "updated_at" | "user">): string {
  return stableStringify({ ...baseFingerprintFields(c), health_check: c.health_check, attributes: c.attributes });
}

const keyCache = new WeakMap<object, string>();

/** Handler identity: the command definition create() sees; a status change alone keeps the handler. */
function handlerKey(c: Readonly<Command>): string {
  let k = keyCache.get(c);
  if (k === undefined) {
    k = commandFingerprint({ ...c, status: "ACTIVE" });
    keyCache.set(c, k);
  }
  return k;
}

export class HandlerError extends Error {}

export interface HandlerHost {
  instanceName?: string;
  jobsDirectory?: string;
  /** Absolute `template_roots` (PluginServices.templateRoots of commands created through the API). */
  templateRoots?: readonly string[];
  /** The configuration file's commands: a command whose definition is one of these is trusted. */
  configuredCommands?: readonly Omit<Command, "created_at" | "updated_at">[];
  /** How long a plugin's state put is retried while the database is unreachable (docs/engine.md "Database outages"). */
  stateRetryMs?: number;
  /** Called when a state put meets a database failure (the engine notes database trouble). */
  onDbFailure?: () => void;
}

/** Creates handlers lazily, one per command definition; running executions keep the handler they got. */
export class HandlerCache {
  private readonly cache = new Map<string, { key: string; handler: Promise<Handler> }>();
  private readonly plugins: PluginRegistry;
  private readonly services: (plugin: string) => PluginServices;

  /** Handler keys of the configuration file's command definitions (trusted: their files are not confined). */
  private readonly trusted: Set<string>;
  private readonly templateRoots: readonly string[];

  constructor(plugins: PluginRegistry, store: Store, log: pino.Logger, version: string, host: HandlerHost = {}) {
    this.plugins = plugins;
    const { templateRoots = [], configuredCommands = [], stateRetryMs = defaultDbRetryMs(0), onDbFailure, ...shared } = host;
    this.templateRoots = templateRoots;
    this.trusted = new Set(configuredCommands.map((c) => handlerKey({ ...c, created_at: 0, updated_at: 0 })));
    const policy = {
      windowMs: stateRetryMs,
      onFailure: (_err: unknown, cls: string | undefined) => {
        if (cls !== undefined) onDbFailure?.();
      },
    };
    this.services = (plugin) => ({
      version,
      ...shared,
      log: log.child({ plugin }),
      state: {
        // An upsert: safe to run again when an earlier try's commit is unknown.
        put: (jobId, key, value) => retryDb(() => store.putPluginState(jobId, key, value), policy),
        // A read: always safe to run again (a resumed ECS job loads its attempts through it).
        list: (jobId, prefix) => retryDb(() => store.listPluginState(jobId, prefix), policy),
      },
    });
  }

  plugin(name: string): PluginModule | undefined {
    return this.plugins.get(name);
  }

  /** Calls the plugin's create (no caching). Throws HandlerError `unknown plugin: <name>` or the plugin's error. */
  async create(command: Readonly<Command>): Promise<Handler> {
    const plugin = this.plugins.get(command.plugin);
    if (!plugin) throw new HandlerError(`unknown plugin: ${command.plugin}`);
    const services = this.services(plugin.name);
    // A definition that is not exactly a configured one came through the API (now or before a restart): confined.
    if (!this.trusted.has(handlerKey(command))) services.templateRoots = this.templateRoots;
    return plugin.create(command.context ?? {}, command, services);
  }

  /** The cached handler of this definition, creating it when needed. Failures are not cached. */
  get(command: Readonly<Command>): Promise<Handler> {
    const key = handlerKey(command);
    const hit = this.cache.get(command.id);
    if (hit && hit.key === key) return hit.handler;
    const handler = this.create(command);
    this.cache.set(command.id, { key, handler });
    handler.catch(() => {
      if (this.cache.get(command.id)?.handler === handler) this.cache.delete(command.id);
    });
    return handler;
  }

  /** Stores a handler created while validating a PUT, so the first job does not create it again. */
  seed(command: Readonly<Command>, handler: Handler): void {
    this.cache.set(command.id, { key: handlerKey(command), handler: Promise.resolve(handler) });
  }
}
