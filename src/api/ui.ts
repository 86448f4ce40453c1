// Web UI serving (spec 12): static files from the built UI directory with SPA fallback, identity cookies,
// `/` is the overview page, old list links `/?…` → `/jobs?…`; a placeholder page when no UI is built. Paths under
// /api/v1 are unknown endpoints here.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { extname, resolve, sep } from "node:path";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ApiDeps } from "./deps.ts";
import { API_PREFIX, unknownEndpoint } from "./http.ts";
import { DOCS_PREFIX } from "./api-docs.ts";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".map": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
};

const PLACEHOLDER = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Heimdall</title></head>
<body><h1>Heimdall</h1><p>The web UI is not built. The REST API is served under <a href="/api/v1/jobs">/api/v1</a>
(<a href="/api/v1/openapi.json">OpenAPI</a>, <a href="/docs">reference</a>), metrics at <a href="/metrics">/metrics</a>.</p></body></html>
`;

function cookieValue(v: string): string {
  return encodeURIComponent(v).replace(/%40/g, "@");
}

async function fileIfExists(p: string): Promise<{ size: number } | undefined> {
  try {
    const s = await stat(p);
    return s.isFile() ? { size: s.size } : undefined;
  } catch {
    return undefined;
  }
}

export function registerUiRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const root = deps.uiRoot ? resolve(deps.uiRoot) : undefined;

  function setCookies(req: FastifyRequest, reply: FastifyReply): void {
    const user = req.caller || "user@heimdall"; // resolved in the onRequest hook
    reply.header("Set-Cookie", [
      `heimdall-user=${cookieValue(user)}; Path=/; SameSite=Strict`,
      `heimdall-version=${cookieValue(deps.version)}; Path=/; SameSite=Strict`,
    ]);
  }

  async function sendFile(reply: FastifyReply, path: string, size: number): Promise<FastifyReply> {
    const type = TYPES[extname(path).toLowerCase()] ?? "application/octet-stream";
    reply.type(type).header("Content-Length", String(size));
    if (path.includes(`${sep}assets${sep}`)) reply.header("Cache-Control", "public, max-age=31536000, immutable");
    else reply.header("Cache-Control", "no-cache");
    return reply.send(createReadStream(path));
  }

  app.get("/*", { schema: { hide: true }, config: { longRunning: true } }, async (req, reply) => {
    const rawPath = req.url.split("?")[0] ?? "/";
    if (rawPath === API_PREFIX || rawPath.startsWith(`${API_PREFIX}/`)) throw unknownEndpoint(req);
    if (rawPath === DOCS_PREFIX || rawPath.startsWith(`${DOCS_PREFIX}/`)) throw unknownEndpoint(req);
    // `/` was the jobs list before the overview page took it: its old links (`/?status=…`) keep working.
    const search = req.url.slice(rawPath.length);
    if ((rawPath === "/" || rawPath === "") && search.length > 1) return reply.redirect(`/jobs${search}`, 302);
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      path = rawPath;
    }
    if (root) {
      const index = resolve(root, "index.html");
      const indexFile = await fileIfExists(index);
      if (indexFile) {
        const target = resolve(root, `.${path}`);
        if (target.startsWith(root + sep) && target !== index) {
          const f = await fileIfExists(target);
          if (f) return sendFile(reply, target, f.size);
          // Missing asset files are real 404s; every other path (ids may contain dots) is an SPA route.
          if (path.startsWith("/assets/")) {
            return reply.code(404).type("text/plain; charset=utf-8").send("not found");
          }
        }
        setCookies(req, reply);
        return sendFile(reply, index, indexFile.size);
      }
    }
    setCookies(req, reply);
    return reply.type("text/html; charset=utf-8").header("Cache-Control", "no-cache").send(PLACEHOLDER);
  });
}
