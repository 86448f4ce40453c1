// Live logs of every task of an ECS job in one pane (issue 9 item 1): GET /api/v1/job/{id}/logs?follow=true streams
// newline-delimited JSON — log lines {slot, attempt, container, timestamp (ms), message, cursor} and control lines
// without `message` ({heartbeat:true}; last {end:true, status}). Lines show as `[slot.attempt] message`; a slot
// filter narrows the pane; the pane sticks to the end until the user scrolls up ("Jump to end" resumes). A dropped
// connection reconnects from the last cursor, so no line is shown twice.
import { h, type VNode } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { JobLogItem, JobLogLine } from "../../../core/api-types.ts";
import { API, enc, errorMessage } from "../api.ts";
import { Section } from "../components.ts";
import { fmtDate } from "../format.ts";

/** Lines kept in the pane; older ones are dropped (and a note says so). */
const MAX_LINES = 20_000;
const RECONNECT_MS = [1_000, 2_000, 5_000];

/**
 * Reads `url` as a stream of text chunks (fetch + ReadableStream); resolves when the body ends.
 * Throws an Error carrying the HTTP status for non-2xx answers.
 */
export async function streamText(url: string, signal: AbortSignal, onText: (text: string) => void): Promise<void> {
  const res = await fetch(url, { signal, headers: { Accept: "application/x-ndjson, text/plain" } });
  if (!res.ok) {
    let msg = `${res.status} ${res.statusText}`.trim();
    try {
      const body = (await res.json()) as { error?: string };
      if (body.error) msg = `${res.status}: ${body.error}`;
    } catch {
      // not JSON
    }
    throw Object.assign(new Error(msg), { status: res.status });
  }
  const decoder = new TextDecoder();
  if (!res.body) {
    onText(decoder.decode(new Uint8Array(await res.arrayBuffer())));
    return;
  }
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    onText(decoder.decode(value, { stream: true }));
  }
  const tail = decoder.decode();
  if (tail) onText(tail);
}

/** Splits NDJSON text into complete records; returns the unfinished remainder. */
export function parseNdjson(buffer: string, onRecord: (rec: Record<string, unknown>) => void): string {
  let start = 0;
  for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n", start)) {
    const line = buffer.slice(start, nl).trim();
    start = nl + 1;
    if (!line) continue;
    try {
      const rec = JSON.parse(line) as unknown;
      if (rec && typeof rec === "object" && !Array.isArray(rec)) onRecord(rec as Record<string, unknown>);
    } catch {
      // a malformed line is skipped
    }
  }
  return buffer.slice(start);
}

export const prefixed = (l: Pick<JobLogLine, "slot" | "attempt" | "message">): string => `[${l.slot}.${l.attempt}] ${l.message}`;

interface FollowState {
  lines: JobLogLine[];
  dropped: number;
  state: "connecting" | "live" | "reconnecting" | "ended" | "unavailable";
  endStatus?: string;
  error?: string;
}

export function LiveTaskLogs(props: { jobId: string; jobStatus: string }): VNode<any> {
  const { jobId } = props;
  const [st, setSt] = useState<FollowState>({ lines: [], dropped: 0, state: "connecting" });
  const [slot, setSlot] = useState<string>("all");
  const [stick, setStick] = useState(true);
  const pre = useRef<HTMLPreElement>(null);

  useEffect(() => {
    const ctl = new AbortController();
    let cursor: string | undefined;
    let lines: JobLogLine[] = [];
    let dropped = 0;
    let failures = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let pending = false;
    const publish = (patch: Partial<FollowState>): void => setSt((s) => ({ ...s, ...patch, lines, dropped }));
    // Many lines can arrive in one chunk: render once per animation frame at most.
    const schedule = (): void => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        if (!ctl.signal.aborted) publish({ state: "live" });
      });
    };

    const connect = async (): Promise<void> => {
      let rest = "";
      let ended = false;
      const url = `${API}/job/${enc(jobId)}/logs?follow=true${cursor ? `&cursor=${enc(cursor)}` : ""}`;
      try {
        await streamText(url, ctl.signal, (text) => {
          failures = 0;
          rest = parseNdjson(rest + text, (rec) => {
            const item = rec as JobLogItem;
            if ("cursor" in item && item.cursor !== undefined) cursor = item.cursor;
            if ("message" in item) {
              lines.push({ ...item, message: item.message.replace(/\r?\n$/, "") });
              if (lines.length > MAX_LINES) {
                dropped += lines.length - MAX_LINES;
                lines = lines.slice(lines.length - MAX_LINES);
              }
              schedule();
            } else if ("end" in item && item.end) {
              // ({"end":false,…} closes a read while the job still runs: not the end, the pane reconnects.)
              ended = true;
              publish({ state: "ended", endStatus: item.status });
            } else if ("heartbeat" in item) {
              publish({ state: "live" });
            }
          });
          publish({ state: ended ? "ended" : "live" });
        });
        if (ended || ctl.signal.aborted) return;
        throw new Error("the stream closed before the job ended");
      } catch (err) {
        if (ctl.signal.aborted) return;
        const status = (err as { status?: number }).status;
        if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) {
          publish({ state: "unavailable", error: errorMessage(err) });
          return;
        }
        const wait = RECONNECT_MS[Math.min(failures, RECONNECT_MS.length - 1)] ?? 5_000;
        failures++;
        publish({ state: "reconnecting", error: errorMessage(err) });
        timer = setTimeout(() => void connect(), wait);
      }
    };
    void connect();
    return () => {
      ctl.abort();
      if (timer) clearTimeout(timer);
    };
  }, [jobId]);

  const slots = [...new Set(st.lines.map((l) => l.slot))].sort((a, b) => a - b);
  const shown = slot === "all" ? st.lines : st.lines.filter((l) => String(l.slot) === slot);
  const text = shown.map(prefixed).join("\n");

  useLayoutEffect(() => {
    const el = pre.current;
    if (el && stick) el.scrollTop = el.scrollHeight;
  }, [text, stick]);
  const onScroll = (): void => {
    const el = pre.current;
    if (!el) return;
    const atEnd = el.scrollTop + el.clientHeight >= el.scrollHeight - 24;
    if (atEnd !== stick) setStick(atEnd);
  };
  const jumpToEnd = (): void => {
    setStick(true);
    const el = pre.current;
    if (el) el.scrollTop = el.scrollHeight;
  };

  const label =
    st.state === "live"
      ? "● live"
      : st.state === "ended"
        ? `complete${st.endStatus ? ` (${st.endStatus})` : ""}`
        : st.state === "reconnecting"
          ? "reconnecting…"
          : st.state === "unavailable"
            ? "not available"
            : "connecting…";
  return h(
    Section,
    { title: "Live logs of all tasks", id: "live-logs" },
    h(
      "div",
      { class: "log-head" },
      h("span", { class: st.state === "live" ? "live" : "muted", "data-testid": "live-logs-state", role: "status" }, label),
      h("span", { class: "muted" }, `${shown.length} lines`),
      h(
        "label",
        { class: "chk" },
        "Slot ",
        h(
          "select",
          { value: slot, name: "live-logs-slot", onChange: (e: Event) => setSlot((e.currentTarget as HTMLSelectElement).value) },
          h("option", { value: "all" }, "all slots"),
          slots.map((s) => h("option", { key: s, value: String(s) }, `slot ${s}`)),
        ),
      ),
      stick ? null : h("button", { type: "button", class: "btn btn-small", onClick: jumpToEnd }, "Jump to end ↓"),
    ),
    st.dropped ? h("p", { class: "muted small" }, `${st.dropped} earlier lines are not shown.`) : null,
    st.error && st.state !== "live" && st.state !== "ended"
      ? h("p", { class: "muted small", "data-testid": "live-logs-error" }, st.error)
      : null,
    h(
      "pre",
      {
        ref: pre,
        class: "log-text live-log",
        tabIndex: 0,
        "aria-label": "Live logs of all tasks",
        "data-testid": "live-logs-text",
        onScroll,
        title: shown.length ? `first line ${fmtDate((shown[0]?.timestamp ?? 0) / 1000)}` : undefined,
      },
      text || (st.state === "ended" ? "(no log lines)" : ""),
    ),
  );
}
