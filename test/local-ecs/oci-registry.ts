// A read-only OCI distribution registry on loopback for pull tests: serves one OCI image layout directory
// (`podman push <image> oci:<dir>:<tag>`) under any repository name — GET /v2/, manifests by tag or digest,
// blobs by digest (GET and HEAD). Records each request so a test can see that a pull really happened.
import { existsSync, readFileSync } from "node:fs";
import { type Server, createServer } from "node:http";
import { join } from "node:path";

interface Descriptor {
  mediaType: string;
  digest: string;
  annotations?: Record<string, string>;
}

export interface OciRegistry {
  requests: string[];
  close(): Promise<void>;
}

export async function startOciRegistry(layout: string, hostPort: string): Promise<OciRegistry> {
  const requests: string[] = [];
  const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8")) as { manifests: Descriptor[] };
  const blob = (digest: string): Buffer | undefined => {
    const [alg, hex] = digest.split(":");
    const file = join(layout, "blobs", alg ?? "", hex ?? "");
    return /^[a-z0-9]+:[0-9a-f]+$/.test(digest) && existsSync(file) ? readFileSync(file) : undefined;
  };
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const send = (status: number, body: Buffer, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { "Content-Length": String(body.length), "Docker-Distribution-API-Version": "registry/2.0", ...headers });
      res.end(req.method === "HEAD" ? undefined : body);
    };
    const notFound = (): void =>
      send(404, Buffer.from(JSON.stringify({ errors: [{ code: "MANIFEST_UNKNOWN", message: "not found" }] })), {
        "Content-Type": "application/json",
      });
    const url = req.url ?? "";
    if (url === "/v2/" || url === "/v2") return send(200, Buffer.from("{}"), { "Content-Type": "application/json" });
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/?]+)$/.exec(url);
    if (!m) return notFound();
    const ref = decodeURIComponent(m[3]!);
    if (m[2] === "manifests") {
      const d = index.manifests.find((x) => x.digest === ref || x.annotations?.["org.opencontainers.image.ref.name"] === ref);
      const body = d && blob(d.digest);
      if (!d || !body) return notFound();
      return send(200, body, { "Content-Type": d.mediaType, "Docker-Content-Digest": d.digest });
    }
    const body = blob(ref);
    if (!body) return notFound();
    return send(200, body, { "Content-Type": "application/octet-stream", "Docker-Content-Digest": ref });
  });
  const [host, port] = hostPort.split(":");
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(Number(port), host, () => resolve());
  });
  return { requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}
