// The PostgreSQL store's two connection pools, sharing database.max_connections.
//
// - hot: the job path's fixed-shape statements (insert, claim, transitions, results, heartbeats, log chunks,
//   janitor takeovers), prepared once per connection and always run with their generic plan
//   (plan_cache_mode = force_generic_plan). Left to choose, PostgreSQL planned them at every call: their cost
//   depends on array lengths and LIMIT values that a custom plan sees, so a custom plan always looked cheaper,
//   and planning cost as much as running (0.5-0.9 ms per claim or transition batch). The generic plan is only as
//   good as the statistics it was made with, which GrowthAnalyzer (growth.ts) keeps current on a young database.
// - main: everything else (job lists and searches, reads by id, the registry, migrations, transactions), where the
//   values decide the plan (a name prefix, a rare tag) and PostgreSQL's own choice stays.
//
// With max_connections ≥ 2 the hot pool gets half of them (rounded up), the main pool the rest; with 1, one pool
// serves both with PostgreSQL's default plan choice.
import pg from "pg";

export interface Pools {
  main: pg.Pool;
  /** The same pool as main when there is only one connection to share. */
  hot: pg.Pool;
  end(): Promise<void>;
}

const HOT_SESSION_OPTIONS = "-c plan_cache_mode=force_generic_plan";

export function openPools(config: pg.ClientConfig, maxConnections: number): Pools {
  const max = Math.max(1, Math.floor(maxConnections));
  const ignore = () => undefined; // idle client errors: the pool drops the client and reconnects on demand
  if (max < 2) {
    const pool = new pg.Pool({ ...config, max });
    pool.on("error", ignore);
    return { main: pool, hot: pool, end: () => pool.end() };
  }
  const hotMax = Math.ceil(max / 2);
  const main = new pg.Pool({ ...config, max: max - hotMax });
  // A startup option, so the setting is in place before the first statement (PostgreSQL 12 or later; a pooler in
  // front of the server must accept the `options` startup parameter and pass it on).
  const options = [config.options, HOT_SESSION_OPTIONS].filter(Boolean).join(" ");
  const hot = new pg.Pool({ ...config, max: hotMax, options, application_name: `${config.application_name ?? "heimdall"} job path` });
  main.on("error", ignore);
  hot.on("error", ignore);
  return {
    main,
    hot,
    async end() {
      await Promise.all([main.end(), hot.end()]);
    },
  };
}
