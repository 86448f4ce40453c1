// Runs a local ECS endpoint in its own process for the benchmarks (so its RSS can be measured alone).
// Usage: node --import tsx bench/local-ecs-server.ts '<settings JSON>'  → prints {"url","pid"} on stdout.
import { startLocalEcs } from "../src/local-ecs/index.ts";

const settings = JSON.parse(process.argv[2] ?? "{}") as Record<string, unknown>;
const le = await startLocalEcs({ settings });
process.stdout.write(`${JSON.stringify({ url: le.url, pid: process.pid })}\n`);
const stop = (): void => {
  void le.close().then(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
