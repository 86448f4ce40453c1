// Key downloads for the token providers: a timeout per attempt, retries of transient failures, no redirects
// to other hosts' surprises (status must be 200), bounded size.
const ATTEMPTS = 3;
const BACKOFF_MS = [200, 800];
const MAX_BYTES = 1_048_576;

export class KeyFetchError extends Error {
  constructor(
    message: string,
    /** 4xx other than 408/429: the key does not exist; retrying will not help. */
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = "KeyFetchError";
  }
}

async function once(url: string, timeoutMs: number): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: "application/json, application/x-pem-file, */*" },
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    throw new KeyFetchError(
      `GET ${url}: ${(err as Error).name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : (cause ?? (err as Error).message)}`,
      false,
    );
  }
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => undefined);
    const permanent = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
    throw new KeyFetchError(`GET ${url}: HTTP ${res.status}`, permanent);
  }
  const text = await res.text();
  if (text.length > MAX_BYTES) throw new KeyFetchError(`GET ${url}: answer larger than ${MAX_BYTES} bytes`, true);
  return text;
}

/**
 * GET `url` as text: up to 3 attempts (backoff 200 ms, 800 ms) for network errors, timeouts, 408, 429 and 5xx;
 * each attempt bounded by `timeoutMs`. Shared by concurrent requests, so no caller's cancellation aborts it; the
 * timeouts bound it instead.
 */
export async function fetchKeyText(url: string, timeoutMs: number): Promise<string> {
  let last: KeyFetchError | undefined;
  for (let i = 0; i < ATTEMPTS; i++) {
    try {
      return await once(url, timeoutMs);
    } catch (err) {
      last = err as KeyFetchError;
      if (last.permanent || i === ATTEMPTS - 1) break;
      await new Promise((r) => setTimeout(r, BACKOFF_MS[i] ?? 800));
    }
  }
  throw last ?? new KeyFetchError(`GET ${url}: failed`, false);
}
