// Process-wide ECS plugin counters (issue 9 item 7), read by the API's /metrics at scrape time. No I/O.

export type AwsCallResult = "ok" | "throttled" | "error";

interface Counters {
  /** `outcome|stop_code` → attempts that reached a final status. */
  attempts: Map<string, number>;
  /** Reason (the previous attempt's status, lower case) → retries (attempts after the first of a slot). */
  retries: Map<string, number>;
  /** `operation|result` → AWS API calls (every attempt of a call). */
  awsCalls: Map<string, number>;
  /** Log bytes copied into job output (stdout/stderr). */
  logBytesCopied: number;
  /** Log bytes read by live log feeds (GET …/logs). */
  logBytesRead: number;
}

const counters: Counters = { attempts: new Map(), retries: new Map(), awsCalls: new Map(), logBytesCopied: 0, logBytesRead: 0 };

function bump(m: Map<string, number>, key: string, by = 1): void {
  m.set(key, (m.get(key) ?? 0) + by);
}

export const ecsStats = {
  attemptFinished(outcome: string, stopCode: string | null): void {
    bump(counters.attempts, `${outcome.toLowerCase()}|${stopCode ?? "none"}`);
  },
  retry(reason: string): void {
    bump(counters.retries, reason.toLowerCase());
  },
  awsCall(operation: string, result: AwsCallResult): void {
    bump(counters.awsCalls, `${operation}|${result}`);
  },
  logBytesCopied(n: number): void {
    counters.logBytesCopied += n;
  },
  logBytesRead(n: number): void {
    counters.logBytesRead += n;
  },
};

export interface EcsStatsSnapshot {
  attempts: { outcome: string; stop_code: string; count: number }[];
  retries: { reason: string; count: number }[];
  awsCalls: { operation: string; result: string; count: number }[];
  logBytesCopied: number;
  logBytesRead: number;
}

/** A copy of the counters (monotonic, since process start). */
export function ecsStatsSnapshot(): EcsStatsSnapshot {
  const split = (k: string): [string, string] => {
    const i = k.indexOf("|");
    return [k.slice(0, i), k.slice(i + 1)];
  };
  return {
    attempts: [...counters.attempts].map(([k, count]) => {
      const [outcome, stop_code] = split(k);
      return { outcome, stop_code, count };
    }),
    retries: [...counters.retries].map(([reason, count]) => ({ reason, count })),
    awsCalls: [...counters.awsCalls].map(([k, count]) => {
      const [operation, result] = split(k);
      return { operation, result, count };
    }),
    logBytesCopied: counters.logBytesCopied,
    logBytesRead: counters.logBytesRead,
  };
}
