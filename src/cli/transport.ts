// The CLI's HTTP transports: JSON calls over node:http/node:https without the web Response class (global fetch
// loads undici, tens of milliseconds of CPU at every start of the command), and HTTPS trusting an extra CA
// (--ca-file) answered as a web Response for the streaming callers, so their code is the same as with fetch.
import { Readable } from "node:stream";

export interface TransportInit {
  method: string;
  headers: Record<string, string>;
  body?: string | undefined;
  signal: AbortSignal;
}

export async function fetchWithCa(url: string, init: TransportInit, ca: Buffer): Promise<Response> {
  const { request } = await import("node:https"); // loaded only with --ca-file: CLI start-up stays light
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method, headers: init.headers, ca, signal: init.signal }, (res) => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(res.headers)) {
        if (v === undefined) continue;
        for (const x of Array.isArray(v) ? v : [v]) headers.append(k, x);
      }
      const status = res.statusCode ?? 500;
      const empty = [204, 205, 304].includes(status) || init.method === "HEAD";
      if (empty) res.resume();
      const body = empty ? null : (Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>);
      resolve(new Response(body, { status, statusText: res.statusMessage ?? "", headers }));
    });
    req.on("error", reject);
    req.end(init.body);
  });
}

/** What httpRequest answers: the status once the headers arrive, the body when read. */
export interface PlainResponse {
  status: number;
  ok: boolean;
  text(): Promise<string>;
}

/** A request over node:http or node:https (trusting `ca` too when given); resolves at the response headers. */
export async function httpRequest(url: string, init: TransportInit, ca?: Buffer): Promise<PlainResponse> {
  const options = { method: init.method, headers: init.headers, signal: init.signal };
  const send = url.startsWith("https:")
    ? (await import("node:https")).request.bind(null, url, ca === undefined ? options : { ...options, ca })
    : (await import("node:http")).request.bind(null, url, options);
  return new Promise((resolve, reject) => {
    const req = send((res) => {
      const status = res.statusCode ?? 500;
      const chunks: Buffer[] = [];
      const body = new Promise<string>((done, fail) => {
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => done(Buffer.concat(chunks).toString("utf8")));
        res.on("error", fail);
      });
      body.catch(() => {}); // reported to the caller that reads it
      resolve({ status, ok: status >= 200 && status < 300, text: () => body });
    });
    req.on("error", reject);
    req.end(init.body);
  });
}
