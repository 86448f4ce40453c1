import { test } from "node:test";
import assert from "node:assert/strict";
import { demoConfig } from "../../src/config/index.ts";
import { builtinPlugins } from "../../src/plugins/index.ts";

void test("every demo command names a built-in plugin", () => {
  const plugins = builtinPlugins();
  const c = demoConfig("/tmp");
  assert.ok(c.commands.length > 0);
  for (const cmd of c.commands) assert.ok(plugins.has(cmd.plugin), `${cmd.id}: unknown plugin ${cmd.plugin}`);
  assert.deepEqual([...new Set(c.commands.map((x) => x.plugin))].sort(), [...plugins.keys()].sort());
});
