// Cross-instance wake-ups: LISTEN heimdall_jobs on a dedicated client (reconnecting with backoff) and
// pg_notify through the pool. Notifications are also delivered locally at once, so a lost LISTEN connection
// never delays this instance's own workers (they also poll every pool.sleep ms).
import pg from "pg";
import type { Db } from "../shared/db.ts";

export const CHANNEL = "heimdall_jobs";

export class JobsNotifier {
  private readonly listeners = new Set<() => void>();
  private client: pg.Client | undefined;
  private closed = false;
  private backoffMs = 250;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private followUp: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly clientConfig: pg.ClientConfig,
  ) {}

  start(): void {
    void this.connect();
  }

  private emit(): void {
    for (const l of this.listeners) {
      try {
        l();
      } catch {
        // a listener's failure must not break the others
      }
    }
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client(this.clientConfig);
    this.client = client;
    const retry = () => {
      if (this.client !== client) return;
      this.client = undefined;
      client.removeAllListeners("notification");
      client.end().catch(() => undefined);
      if (this.closed) return;
      const wait = this.backoffMs;
      this.backoffMs = Math.min(this.backoffMs * 2, 10_000);
      this.timer = setTimeout(() => void this.connect(), wait);
      this.timer.unref();
      this.emit(); // something may have been missed while disconnected
    };
    client.on("error", retry);
    client.on("end", retry);
    client.on("notification", (msg) => {
      if (msg.channel === CHANNEL) this.emit();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      this.backoffMs = 250;
      if (this.closed) await client.end();
    } catch {
      retry();
    }
  }

  on(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Wakes local listeners at once and sends NOTIFY. Calls made while a NOTIFY is in flight are coalesced into ONE
   * follow-up NOTIFY sent after it (the in-flight one may predate the caller's commit), so a burst of submits
   * costs two round trips, not one per submit.
   */
  notify(): Promise<void> {
    this.emit();
    if (!this.inFlight) return this.send();
    this.followUp ??= this.inFlight
      .catch(() => undefined)
      .then(() => {
        this.followUp = undefined;
        return this.send();
      });
    return this.followUp;
  }

  private send(): Promise<void> {
    const p = this.db
      .query("notifyJobsAvailable", `SELECT pg_notify('${CHANNEL}', '') AS ok`)
      .then(() => undefined)
      .finally(() => {
        if (this.inFlight === p) this.inFlight = undefined;
      });
    this.inFlight = p;
    return p;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const c = this.client;
    this.client = undefined;
    if (c) await c.end().catch(() => undefined);
  }
}
