// GET /api/v1/stats (issue 9 item 4): the overview page's numbers in one call, read by index scans in the store.
import type { FastifyInstance } from "fastify";
import { HeimdallError, parseEpochSecondsParam } from "../core/index.ts";
import type { ApiDeps } from "./deps.ts";
import { API_PREFIX, queryString } from "./http.ts";
import { STATS_ROUTE } from "./route-schemas.ts";

const DAY = 86_400;
/** Oldest `since` accepted: the per-hour series has one entry per hour (at most 90 × 24). */
export const STATS_MAX_DAYS = 90;

export function registerStatsRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get(`${API_PREFIX}/stats`, { schema: STATS_ROUTE }, async (req) =>
    statsOf(deps, parseEpochSecondsParam("since", queryString(req, "since"))),
  );
}

async function statsOf(deps: ApiDeps, since: number | undefined) {
  const now = await deps.store.now();
  const from = since ?? now - DAY;
  if (from < now - STATS_MAX_DAYS * DAY) {
    throw new HeimdallError("BAD_REQUEST", `since: must be at most ${STATS_MAX_DAYS} days ago (epoch seconds)`);
  }
  return deps.store.jobStats(from);
}
