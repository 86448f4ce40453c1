// Helpers shared by the route modules (route files import these, never each other): job lookup, list envelopes.
import { HeimdallError, encodeCursor } from "../core/index.ts";
import type { Job, Page } from "../core/index.ts";
import type { ApiDeps } from "./deps.ts";

/** The job, or 404 `unknown job_id`. */
export async function loadJob(deps: ApiDeps, id: string): Promise<Job> {
  const job = await deps.store.getJob(id);
  if (!job) throw new HeimdallError("NOT_FOUND", "unknown job_id");
  return job;
}

/** A list page as `{data, has_more?, next_cursor?}` (spec 3.5). */
export function pageEnvelope<T>(page: Page<T>, toJson: (x: T) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = { data: page.data.map(toJson) };
  if (page.next_cursor) {
    out["has_more"] = true;
    out["next_cursor"] = encodeCursor(page.next_cursor);
  }
  return out;
}
