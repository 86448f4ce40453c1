// A TCP proxy in front of PostgreSQL that loses the answer of a committed claim: once armed, the next claim
// statement (`claim`/`resumeClaim`, recognised by its SQL text at Parse and its prepared-statement name at Bind) that returns rows
// has its answer held until the server's ReadyForQuery (the claim has committed), then the client's connection is
// destroyed without that answer — what a connection dropped by a database going down does at the worst moment.
// Everything else is forwarded untouched. Loopback only.
import { createServer, connect, type Server, type Socket } from "node:net";

const CLAIM_SQL = "WITH picked AS";

interface Conn {
  client: Socket;
  server: Socket;
  fromClient: Buffer;
  fromServer: Buffer;
  started: boolean;
  inClaim: boolean;
  held: Buffer[];
  heldRows: boolean;
}

export class ClaimCutProxy {
  private readonly conns = new Set<Conn>();
  private readonly claimNames = new Set<string>();
  private armed = false;
  /** Claims whose committed answer was dropped. */
  cut = 0;

  private constructor(
    private readonly srv: Server,
    readonly url: string,
  ) {}

  /** A proxy for the database of `databaseUrl`; `url` is the same database through the proxy. */
  static async start(databaseUrl: string): Promise<ClaimCutProxy> {
    const target = new URL(databaseUrl);
    const holder: { proxy?: ClaimCutProxy } = {};
    const srv = createServer((client) => holder.proxy?.accept(client, target.hostname, Number(target.port || 5432)));
    await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
    const addr = srv.address();
    const u = new URL(databaseUrl);
    u.hostname = "127.0.0.1";
    u.port = String(typeof addr === "object" && addr ? addr.port : 0);
    holder.proxy = new ClaimCutProxy(srv, u.toString());
    return holder.proxy;
  }

  /** The next claim that returns rows loses its answer after it committed. */
  arm(): void {
    this.armed = true;
  }

  async close(): Promise<void> {
    for (const c of this.conns) this.drop(c);
    await new Promise<void>((resolve) => this.srv.close(() => resolve()));
  }

  private accept(client: Socket, host: string, port: number): void {
    const server = connect(port, host);
    const c: Conn = {
      client,
      server,
      fromClient: Buffer.alloc(0),
      fromServer: Buffer.alloc(0),
      started: false,
      inClaim: false,
      held: [],
      heldRows: false,
    };
    this.conns.add(c);
    client.on("data", (d: Buffer) => {
      server.write(d);
      c.fromClient = Buffer.concat([c.fromClient, d]);
      this.scanClient(c);
    });
    server.on("data", (d: Buffer) => {
      c.fromServer = Buffer.concat([c.fromServer, d]);
      this.scanServer(c);
    });
    for (const s of [client, server]) {
      s.on("error", () => this.drop(c));
      s.on("close", () => this.drop(c));
    }
  }

  private drop(c: Conn): void {
    this.conns.delete(c);
    c.client.destroy();
    c.server.destroy();
  }

  /** Client messages: the startup packet (untyped), then type byte + int32 length. */
  private scanClient(c: Conn): void {
    for (;;) {
      const b = c.fromClient;
      if (!c.started) {
        if (b.length < 4) return;
        const len = b.readInt32BE(0);
        if (b.length < len) return;
        c.started = true;
        c.fromClient = b.subarray(len);
        continue;
      }
      if (b.length < 5) return;
      const total = 1 + b.readInt32BE(1);
      if (b.length < total) return;
      const type = String.fromCharCode(b[0]!);
      const body = b.subarray(5, total);
      c.fromClient = b.subarray(total);
      if (type === "P") {
        const [name, query] = cstrings(body, 2);
        if (query?.includes(CLAIM_SQL) && name) this.claimNames.add(name);
      } else if (type === "B") {
        const [, stmt] = cstrings(body, 2);
        if (stmt !== undefined && this.claimNames.has(stmt)) c.inClaim = true;
      }
    }
  }

  /** Server messages (all typed): held while an armed claim runs, dropped with the connection if it took rows. */
  private scanServer(c: Conn): void {
    for (;;) {
      const b = c.fromServer;
      if (b.length < 5) return;
      const total = 1 + b.readInt32BE(1);
      if (b.length < total) return;
      const msg = b.subarray(0, total);
      c.fromServer = b.subarray(total);
      const type = String.fromCharCode(msg[0]!);
      if (!(c.inClaim && this.armed)) {
        c.client.write(msg);
        if (type === "Z") c.inClaim = false;
        continue;
      }
      c.held.push(msg);
      if (type === "D") c.heldRows = true;
      if (type !== "Z") continue;
      // ReadyForQuery: the claim has committed.
      if (c.heldRows) {
        this.armed = false;
        this.cut++;
        this.drop(c);
        return;
      }
      for (const m of c.held) c.client.write(m);
      c.held = [];
      c.inClaim = false;
    }
  }
}

function cstrings(body: Buffer, n: number): string[] {
  const out: string[] = [];
  let at = 0;
  for (let i = 0; i < n; i++) {
    const end = body.indexOf(0, at);
    if (end < 0) break;
    out.push(body.subarray(at, end).toString("utf8"));
    at = end + 1;
  }
  return out;
}
