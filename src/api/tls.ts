// server.tls: the PEM files read at startup and again on SIGHUP (new handshakes use the new pair; open
// connections keep theirs).
import { readFile } from "node:fs/promises";
import { createSecureContext, type Server as TlsServer } from "node:tls";
import type { FastifyInstance } from "fastify";
import { HeimdallError, errorMessage } from "../core/index.ts";

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
}

/** Reads and checks the certificate and key (they must form a pair). Throws HeimdallError CONFIG. */
export async function loadTls(files: { cert_file: string; key_file: string }): Promise<TlsMaterial> {
  const read = async (what: string, path: string) => {
    try {
      return await readFile(path);
    } catch (err) {
      throw new HeimdallError(
        "CONFIG",
        `server.tls.${what}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`,
      );
    }
  };
  const material = { cert: await read("cert_file", files.cert_file), key: await read("key_file", files.key_file) };
  try {
    createSecureContext(material);
  } catch (err) {
    throw new HeimdallError(
      "CONFIG",
      `server.tls: ${files.cert_file} and ${files.key_file} are not a usable certificate and key: ${errorMessage(err)}`,
    );
  }
  return material;
}

/** Re-reads the files and swaps the server's certificate; on any problem the old pair stays. */
export async function reloadTls(app: FastifyInstance, files: { cert_file: string; key_file: string }): Promise<void> {
  const material = await loadTls(files);
  (app.server as unknown as TlsServer).setSecureContext(material);
}
