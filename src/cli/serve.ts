// `heimdall serve`: config → store → plugins → (local ECS) → engine → HTTP app; graceful shutdown (D10).
import { readFileSync } from "node:fs";
import pino from "pino";
import type { FastifyInstance } from "fastify";
import { buildApp, createMetrics, loadTls, reloadTls } from "../api/index.ts";
import { loadConfig } from "../config/index.ts";
import type { HeimdallConfig } from "../config/index.ts";
import { createEngine } from "../engine/index.ts";
import type { Engine } from "../engine/index.ts";
import { builtinPlugins } from "../plugins/index.ts";
import { openStore } from "../store/index.ts";
import { ensureUiBuilt, uiDistDir } from "../ui/index.ts";
import type { Store } from "../store/index.ts";
import { CliError } from "./client.ts";
import { engineOptions } from "./engine-options.ts";
import { createServerLogger } from "./logger.ts";
import { VERSION } from "./version.ts";

type Closer = { name: string; close: () => Promise<unknown> };

function aws(env: NodeJS.ProcessEnv, url: string): void {
  env["AWS_ENDPOINT_URL_ECS"] ??= url;
  env["AWS_ENDPOINT_URL_CLOUDWATCH_LOGS"] ??= url;
  env["AWS_ACCESS_KEY_ID"] ??= "heimdall-local";
  env["AWS_SECRET_ACCESS_KEY"] ??= "heimdall-local";
  env["AWS_REGION"] ??= "us-east-1";
}

async function closeAll(closers: Closer[], log: pino.Logger): Promise<void> {
  for (const c of closers.reverse()) {
    try {
      await c.close();
    } catch (err) {
      log.warn({ err }, `closing ${c.name} failed`);
    }
  }
}

/** Runs the server until SIGTERM/SIGINT. Startup errors are thrown as CliError (one line, exit 1). */
export async function serve(opts: { configFile?: string | undefined }): Promise<void> {
  let config: HeimdallConfig;
  try {
    // No --config: the default file when it exists, else the built-in demo; HEIMDALL_* variables override.
    config = opts.configFile ? loadConfig({ file: opts.configFile, env: process.env }) : loadConfig({ env: process.env });
  } catch (err) {
    throw new CliError(`configuration: ${(err as Error).message}`);
  }
  const log = createServerLogger({ level: config.log_level, format: config.log_format });
  // Closed in reverse order after the engine has drained and the listener has stopped.
  const closers: Closer[] = [];
  let app: FastifyInstance | undefined;
  let engine: Engine | undefined;
  try {
    const store: Store = await openStore({
      connectionString: config.database.connection_string,
      maxConnections: config.database.max_connections,
    });
    closers.push({ name: "store", close: () => store.close() });
    if (config.local_ecs.enabled) {
      const { startLocalEcs } = await import("../local-ecs/index.ts");
      const ecsOpts: Parameters<typeof startLocalEcs>[0] = { port: config.local_ecs.port, host: config.local_ecs.host };
      if (config.local_ecs.config !== undefined) ecsOpts.config = config.local_ecs.config;
      // State survives restarts under ./.heimdall/local-ecs unless the settings name another dataDir.
      ecsOpts.settings = { dataDir: DEFAULT_LOCAL_ECS_DIR, ...(config.local_ecs.settings ?? {}) };
      if (config.local_ecs.config !== undefined && localEcsFileHasDataDir(config.local_ecs.config)) delete ecsOpts.settings.dataDir;
      const ecs = await startLocalEcs(ecsOpts);
      closers.push({ name: "local ECS", close: () => ecs.close() });
      aws(process.env, ecs.url);
      log.info({ url: ecs.url }, "local ECS endpoint started");
    }
    const metrics = createMetrics(VERSION);
    engine = createEngine({ options: engineOptions(config), store, plugins: builtinPlugins(), log, version: VERSION, metrics });
    await engine.start();
    const uiRoot = await ensureUiBuilt().catch((err: unknown) => {
      log.warn({ err }, "web UI could not be built; serving a placeholder page");
      return uiDistDir();
    });
    const tls = config.server.tls ? await loadTls(config.server.tls) : undefined;
    app = await buildApp({ config, store, engine, log, version: VERSION, metrics, uiRoot, ...(tls ? { tls } : {}) });
    const address = await app.listen({ host: config.server.host, port: config.server.port });
    log.info(
      { url: address, config: config.source, database: store.kind, instance: engine.instanceName },
      `heimdall ${VERSION} listening on ${address}`,
    );
  } catch (err) {
    if (app) await app.close().catch(() => undefined);
    if (engine) await engine.drain().catch((e: unknown) => log.warn({ err: e }, "draining the engine failed"));
    await closeAll(closers, log);
    throw new CliError(`startup failed: ${(err as Error).message}`);
  }

  const server = app;
  const eng = engine;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      log.warn({ signal }, "second signal: exiting immediately");
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, "shutting down: draining jobs");
    void (async () => {
      // Drain first (health reports unhealthy meanwhile), then stop the listener and close the rest.
      await eng.drain().catch((err: unknown) => log.error({ err }, "drain failed"));
      await server.close().catch((err: unknown) => log.error({ err }, "closing HTTP server failed"));
      await closeAll(closers, log);
      log.info("stopped");
      process.exit(0);
    })();
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  // SIGHUP: reload the TLS certificate and key (e.g. after renewal) without dropping connections.
  const tlsFiles = config.server.tls;
  process.on("SIGHUP", () => {
    if (!tlsFiles) {
      log.info("SIGHUP: no server.tls configured; nothing to reload");
      return;
    }
    reloadTls(server, tlsFiles).then(
      () => log.info({ cert_file: tlsFiles.cert_file }, "SIGHUP: TLS certificate reloaded"),
      (err: unknown) => log.error({ err }, "SIGHUP: TLS reload failed; keeping the previous certificate"),
    );
  });
}

/** Where `serve` and `heimdall local-ecs` keep local ECS state by default (relative to the working directory). */
export const DEFAULT_LOCAL_ECS_DIR = ".heimdall/local-ecs";

/** True when a local-ecs YAML file sets dataDir itself (then the default does not override it). */
function localEcsFileHasDataDir(path: string): boolean {
  try {
    return /^dataDir\s*:/m.test(readFileSync(path, "utf8"));
  } catch {
    return false;
  }
}

/** `heimdall local-ecs`: the standalone endpoint until SIGTERM/SIGINT. */
export async function runLocalEcs(opts: {
  port: number;
  host: string;
  config?: string | undefined;
  runtime?: string | undefined;
  dataDir?: string | undefined;
}): Promise<void> {
  let ecs: { url: string; close(): Promise<void> };
  try {
    const { startLocalEcs } = await import("../local-ecs/index.ts");
    const ecsOpts: Parameters<typeof startLocalEcs>[0] = { port: opts.port, host: opts.host };
    if (opts.config !== undefined) ecsOpts.config = opts.config;
    const settings: Record<string, unknown> = {};
    if (opts.dataDir !== undefined) settings.dataDir = opts.dataDir;
    else if (opts.config === undefined || !localEcsFileHasDataDir(opts.config)) settings.dataDir = DEFAULT_LOCAL_ECS_DIR;
    if (opts.runtime !== undefined) settings.runtime = opts.runtime;
    ecsOpts.settings = settings;
    ecs = await startLocalEcs(ecsOpts);
  } catch (err) {
    throw new CliError(`local-ecs failed to start: ${(err as Error).message}`);
  }
  process.stdout.write(`local ECS endpoint listening on ${ecs.url}\n`);
  const stop = () => {
    void ecs.close().finally(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}
