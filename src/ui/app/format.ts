// Display helpers: dates in the browser's time zone as YYYY-MM-DD HH:mm:ss plus the zone's short name, durations,
// trimming, cookies.

const pad = (n: number): string => String(n).padStart(2, "0");

/** The short name of the browser's time zone at that instant ("UTC", "CET", "GMT+2", "EST"). */
export function zoneName(d: Date = new Date()): string {
  try {
    const part = new Intl.DateTimeFormat(undefined, { timeZoneName: "short" }).formatToParts(d).find((p) => p.type === "timeZoneName");
    if (part?.value) return part.value;
  } catch {
    // no Intl time zone data: fall back to the offset
  }
  const off = -d.getTimezoneOffset();
  return off === 0 ? "UTC" : `UTC${off > 0 ? "+" : "-"}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
}

/** Local time `YYYY-MM-DD HH:mm:ss ZONE`, or "—" for a missing time. */
export function fmtDate(epochSeconds: number | undefined | null): string {
  if (epochSeconds === undefined || epochSeconds === null || !Number.isFinite(epochSeconds) || epochSeconds <= 0) return "—";
  const d = new Date(epochSeconds * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${zoneName(d)}`;
}

/** Local `HH:mm` of an hour for chart axes. */
export function fmtHour(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Seconds a job ran: finished − started, or now − started while it runs; undefined before it started. */
export function jobDuration(
  started: number | null | undefined,
  finished: number | null | undefined,
  nowSeconds: number,
): number | undefined {
  if (!started || started <= 0) return undefined;
  const end = finished && finished > 0 ? finished : nowSeconds;
  return Math.max(0, end - started);
}

export function fmtDuration(seconds: number | undefined | null): string {
  if (seconds === undefined || seconds === null || !Number.isFinite(seconds) || seconds < 0) return "—";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (h) return `${h}h ${m}m ${r}s`;
  if (m) return `${m}m ${r}s`;
  return `${r}s`;
}

export function trim(text: string | undefined, max: number): string {
  const t = text ?? "";
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

export function cookie(name: string): string | undefined {
  for (const part of document.cookie.split(";")) {
    const i = part.indexOf("=");
    if (i < 0) continue;
    if (part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return part.slice(i + 1).trim();
      }
    }
  }
  return undefined;
}

/** Splits "a:b, c:d" into trimmed non-empty items. */
export function splitList(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

export function jobStatusClass(status: string | undefined): string {
  switch (status) {
    case "SUCCEEDED":
      return "st-green";
    case "FAILED":
      return "st-red";
    case "RUNNING":
      return "st-yellow";
    case "KILLED":
      return "st-darkgray";
    case "NEW":
      return "st-blue";
    case "ACCEPTED":
      return "st-orange";
    default:
      return "st-gray";
  }
}

export function registryStatusClass(status: string | undefined): string {
  if (status === "ACTIVE") return "st-green";
  if (status === "INACTIVE") return "st-gray";
  return "st-red";
}

/** ECS task/attempt statuses: the job palette plus ECS's own words. */
export function taskStatusClass(status: string | undefined): string {
  const s = (status ?? "").toUpperCase();
  if (["SUCCEEDED", "SUCCESS", "STOPPED_OK"].includes(s)) return "st-green";
  if (["FAILED", "ERROR", "TIMED_OUT", "TIMEOUT"].includes(s)) return "st-red";
  if (["RUNNING", "ACTIVE", "ACTIVATING", "DEACTIVATING", "STOPPING", "DEPROVISIONING"].includes(s)) return "st-yellow";
  if (["PENDING", "PROVISIONING", "NEW", "LAUNCHING"].includes(s)) return "st-blue";
  if (s === "ACCEPTED") return "st-orange";
  if (["KILLED", "STOPPED", "CANCELED"].includes(s)) return "st-darkgray";
  return "st-gray";
}
