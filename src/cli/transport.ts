// HTTPS requests trusting an extra CA (--ca-file): node:https with `ca`, answered as a web Response so the
// client code is the same as with global fetch.
import { request } from "node:https";
import { Readable } from "node:stream";

export interface TransportInit {
  method: string;
  headers: Record<string, string>;
  body?: string | undefined;
  signal: AbortSignal;
}

export function fetchWithCa(url: string, init: TransportInit, ca: Buffer): Promise<Response> {
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
