// `ping` plugin (spec 10.7): answers "Hello, <user>!" as a message result.
// The smallest plugin: no working directory, no output files, nothing to clean up.
import type { Handler, PluginModule } from "../contract.ts";

const pingHandler: Handler = {
  async execute(_signal, rt, job) {
    rt.setResult({ columns: [{ name: "message", type: "string" }], data: [[`Hello, ${job.user}!`]] });
  },
  async cleanup() {},
  async healthCheck() {},
};

export const pingPlugin: PluginModule = {
  name: "ping",
  resumable: false,
  workingDirectory: false,
  create() {
    return pingHandler;
  },
};
