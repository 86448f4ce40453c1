// A package registry on 127.0.0.1 for the install test: it serves exactly the packages of package-lock.json,
// packuments made from the lock entries and tarballs read from the local npm cache (content-addressed by the
// integrity the lock records, where `npm ci` put them), so `npm install -g` of our tarball resolves and downloads
// every dependency without any network beyond loopback. A tarball missing from the cache answers 404 naming it.
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

interface LockEntry {
  name?: string;
  version?: string;
  integrity?: string;
  link?: boolean;
  [field: string]: unknown;
}

/** Fields of a lock entry that belong in a version's manifest (the rest is where it sits in the tree). */
const MANIFEST_FIELDS = [
  "dependencies",
  "optionalDependencies",
  "peerDependencies",
  "peerDependenciesMeta",
  "bin",
  "engines",
  "os",
  "cpu",
  "libc",
  "hasInstallScript",
  "license",
  "deprecated",
];

export interface LoopbackRegistry {
  url: string;
  /** Names of the packages whose packument was asked for. */
  requested: Set<string>;
  close(): Promise<void>;
}

/** Path of a cacache content file for an `sha512-<base64>` integrity. */
export function cacheContentPath(cacheDir: string, integrity: string): string {
  const [algo, b64] = integrity.split(" ")[0]!.split("-", 2) as [string, string];
  const hex = Buffer.from(b64, "base64").toString("hex");
  return join(cacheDir, "_cacache", "content-v2", algo, hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
}

function packuments(lockFile: string, baseUrl: () => string): Map<string, Record<string, unknown>> {
  const lock = JSON.parse(readFileSync(lockFile, "utf8")) as { packages: Record<string, LockEntry> };
  const byName = new Map<string, Record<string, unknown>>();
  for (const [path, entry] of Object.entries(lock.packages)) {
    const at = path.lastIndexOf("node_modules/");
    if (at < 0 || entry.link || !entry.version || !entry.integrity) continue;
    const name = entry.name ?? path.slice(at + "node_modules/".length);
    const doc = byName.get(name) ?? { name, versions: {} as Record<string, unknown>, "dist-tags": {} as Record<string, string> };
    byName.set(name, doc);
    const manifest: Record<string, unknown> = { name, version: entry.version };
    for (const f of MANIFEST_FIELDS) if (entry[f] !== undefined) manifest[f] = entry[f];
    const hex = Buffer.from(entry.integrity.split("-", 2)[1]!, "base64").toString("hex");
    manifest["dist"] = {
      integrity: entry.integrity,
      get tarball() {
        return `${baseUrl()}/-/tarball/${hex}.tgz`;
      },
    };
    (doc["versions"] as Record<string, unknown>)[entry.version] = manifest;
  }
  for (const doc of byName.values()) {
    const versions = Object.keys(doc["versions"] as Record<string, unknown>);
    (doc["dist-tags"] as Record<string, string>)["latest"] = versions.sort(compareVersions).at(-1)!;
  }
  return byName;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number(x));
  const pb = b.split(/[.-]/).map((x) => Number(x));
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** Starts the registry for `lockFile`, serving tarballs from the npm cache `cacheDir` (e.g. ~/.npm). */
export async function startLoopbackRegistry(lockFile: string, cacheDir: string): Promise<LoopbackRegistry> {
  let url = "";
  const docs = packuments(lockFile, () => url);
  const requested = new Set<string>();
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? "/").split("?")[0]!);
    const tarball = /^\/-\/tarball\/([0-9a-f]+)\.tgz$/.exec(path);
    if (tarball) {
      const file = cacheContentPath(cacheDir, `sha512-${Buffer.from(tarball[1]!, "hex").toString("base64")}`);
      if (!existsSync(file)) {
        res.writeHead(404, { "content-type": "text/plain" }).end(`not in the npm cache: ${file}`);
        return;
      }
      res.writeHead(200, { "content-type": "application/octet-stream" }).end(readFileSync(file));
      return;
    }
    const doc = docs.get(path.slice(1));
    if (!doc) {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: "not found" }));
      return;
    }
    requested.add(path.slice(1));
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(doc));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requested,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
