// Fresh statistics while the jobs table is young. PostgreSQL keeps a prepared statement's generic plan, made with
// the statistics of that moment, until the statistics change; autovacuum refreshes them only after 10 % of a table
// changed and at most once per autovacuum_naptime (a minute by default). A database that starts empty therefore
// ran for its first minute with plans made for a few hundred jobs (a sequential scan of jobs under each claim's
// and transition batch's update: 1-7 ms per statement at 12,000 jobs instead of 0.1-0.3 ms). The store runs
// ANALYZE on the hot tables each time the job sequence doubles, from 2^9 to 2^20 (beyond that autovacuum's 10 %
// steps are the smaller ones): in the background, one at a time, skipping a table that VACUUM or another ANALYZE
// holds (SKIP_LOCKED). The new statistics invalidate the cached plans, which are then made for the current size.
import type { Db } from "../shared/db.ts";

export const ANALYZE_FROM_SEQ = 2 ** 9;
export const ANALYZE_UP_TO_SEQ = 2 ** 20;
const ANALYZE = "ANALYZE (SKIP_LOCKED) jobs, claims, job_tags";

export class GrowthAnalyzer {
  private next = ANALYZE_FROM_SEQ;
  private running: Promise<void> | undefined;
  /** The highest sequence noted while an ANALYZE ran: a doubling it passed runs when that one ends. */
  private noted = 0;
  private closed = false;

  constructor(private readonly db: Db) {}

  /** Called with the sequence number of each inserted job. */
  noteSeq(seq: number): void {
    if (this.running) {
      this.noted = Math.max(this.noted, seq);
      return;
    }
    if (seq < this.next || this.next > ANALYZE_UP_TO_SEQ || this.closed) return;
    while (this.next <= seq) this.next *= 2;
    // Best effort: a failure leaves the statistics to autovacuum (the next doubling tries again).
    this.running = this.db
      .exec("analyzeGrowth", ANALYZE)
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        this.running = undefined;
        const noted = this.noted;
        this.noted = 0;
        // Inserts that passed a doubling meanwhile (and maybe the last ones there are) get their ANALYZE now.
        if (noted > 0) this.noteSeq(noted);
      });
  }

  /** Waits for a running ANALYZE and any it left due (close); starts no more. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
    this.closed = true;
  }
}
