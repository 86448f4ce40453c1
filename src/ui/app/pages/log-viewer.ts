// A stdout/stderr viewer that follows a running job live (spec 4.5, D6): it starts with the last 64 KiB
// (?offset=-65536), then asks for ?offset=<X-Heimdall-File-Size> about once a second until
// X-Heimdall-Job-Status is final and everything up to the reported size has been read.
import { h, type VNode } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { isFinalStatus } from "../../../core/api-types.ts";
import { API, enc, errorMessage } from "../api.ts";
import { ExternalLink } from "../components.ts";

const TAIL_BYTES = 65_536;
const MAX_CHARS = 1_000_000;
const POLL_MS = 1_000;

interface LogState {
  text: string;
  omitted: boolean;
  following: boolean;
  error?: string;
  size: number;
}

export function LogViewer(props: {
  jobId: string;
  file: "stdout" | "stderr";
  jobStatus: string;
  /** Called with the job status the file route reports when it differs from the page's. */
  onStatus?: (status: string) => void;
}): VNode<any> {
  const { jobId, file } = props;
  const [state, setState] = useState<LogState>({ text: "", omitted: false, following: true, size: 0 });
  const [stick, setStick] = useState(true);
  const pre = useRef<HTMLPreElement>(null);
  const statusRef = useRef(props.jobStatus);
  statusRef.current = props.jobStatus;
  const onStatus = useRef(props.onStatus);
  onStatus.current = props.onStatus;

  useEffect(() => {
    const ctl = new AbortController();
    const decoder = new TextDecoder();
    let offset: number | undefined;
    let text = "";
    let omitted = false;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const step = async (): Promise<void> => {
      const url = `${API}/job/${enc(jobId)}/${file}?offset=${offset === undefined ? -TAIL_BYTES : offset}`;
      const res = await fetch(url, { signal: ctl.signal });
      if (!res.ok) throw new Error(`${file}: ${res.status} ${res.statusText}`);
      const buf = new Uint8Array(await res.arrayBuffer());
      const sizeHeader = Number.parseInt(res.headers.get("X-Heimdall-File-Size") ?? "", 10);
      const size = Number.isFinite(sizeHeader) ? sizeHeader : (offset ?? 0) + buf.length;
      if (offset === undefined && size > buf.length) omitted = true;
      text += decoder.decode(buf, { stream: true });
      if (text.length > MAX_CHARS) {
        text = text.slice(text.length - MAX_CHARS);
        omitted = true;
      }
      offset = Math.max(size, (offset ?? 0) + buf.length);
      const status = res.headers.get("X-Heimdall-Job-Status") ?? statusRef.current;
      if (status && status !== statusRef.current) onStatus.current?.(status);
      const done = isFinalStatus(status) && offset >= size;
      setState({ text, omitted, following: !done, size: offset });
      if (!done && !ctl.signal.aborted) timer = setTimeout(run, POLL_MS);
    };
    const run = (): void => {
      step().catch((err: unknown) => {
        if (ctl.signal.aborted) return;
        setState((s) => ({ ...s, following: false, error: errorMessage(err) }));
      });
    };
    run();
    return () => {
      ctl.abort();
      if (timer) clearTimeout(timer);
    };
  }, [jobId, file]);

  useLayoutEffect(() => {
    const el = pre.current;
    if (el && stick) el.scrollTop = el.scrollHeight;
  }, [state.text, stick]);

  const href = `${API}/job/${enc(jobId)}/${file}`;
  return h(
    "div",
    { class: "log", "data-file": file },
    h(
      "div",
      { class: "log-head" },
      h("h3", { id: `log-${file}` }, file),
      h(
        "span",
        { class: state.following ? "live" : "muted", "data-testid": `${file}-state` },
        state.error ? "stopped" : state.following ? "● live" : "complete",
      ),
      h("span", { class: "muted" }, `${state.size} bytes`),
      h("label", { class: "chk" }, h("input", { type: "checkbox", checked: stick, onChange: () => setStick(!stick) }), " Scroll to end"),
      h(ExternalLink, { href }, `Open ${file} in a new tab`),
    ),
    state.omitted ? h("p", { class: "muted" }, "Earlier output is not shown here; open the full file in a new tab.") : null,
    state.error ? h("p", { class: "alert alert-error", role: "alert" }, state.error) : null,
    h(
      "pre",
      { ref: pre, class: "log-text", tabIndex: 0, "aria-labelledby": `log-${file}`, "data-testid": `${file}-text` },
      state.text || (state.following ? "" : "(empty)"),
    ),
  );
}
