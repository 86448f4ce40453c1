import { test } from "node:test";
import assert from "node:assert/strict";
import { finalTags, HeimdallError, routeJob, type Cluster, type Command } from "../../src/core/index.ts";

function cmd(id: string, tags: string[], clusterTags: string[] = [], extra: Partial<Command> = {}): Command {
  return {
    id,
    name: id,
    version: "1",
    user: "heimdall",
    description: "",
    tags: finalTags(tags, id, id, "1"),
    created_at: 0,
    updated_at: 0,
    status: "ACTIVE",
    plugin: "ping",
    is_sync: false,
    cluster_tags: clusterTags,
    allowed_callers: [],
    ...extra,
  };
}

function cl(id: string, tags: string[], extra: Partial<Cluster> = {}): Cluster {
  return {
    id,
    name: id,
    version: "1",
    user: "heimdall",
    description: "",
    tags: finalTags(tags, id, id, "1"),
    created_at: 0,
    updated_at: 0,
    status: "ACTIVE",
    health_check: false,
    attributes: {},
    ...extra,
  };
}

function fails(fn: () => unknown, code: string, message: string): void {
  assert.throws(fn, (e: unknown) => e instanceof HeimdallError && e.code === code && e.message === message);
}

const NF = ["NOT_FOUND", "command-cluster pair is not found"] as const;
const FB = ["FORBIDDEN", "caller is not allowed to run this command"] as const;

const reg = {
  commands: [
    cmd("ping", ["type:ping"], ["type:localhost"]),
    cmd("shell", ["type:shell", "team:data"], ["type:localhost"]),
    cmd("old-ping", ["type:ping"], ["type:localhost"], { status: "INACTIVE" }),
  ],
  clusters: [
    cl("localhost", ["type:localhost", "data:local"]),
    cl("gone", ["type:localhost"], { status: "DELETED" }),
    cl("fargate", ["type:fargate"]),
  ],
};

void test("routing table", () => {
  type Case = [string, string[] | undefined, string[] | undefined, string | readonly [string, string]];
  const cases: Case[] = [
    ["exact criteria", ["type:ping"], ["type:localhost"], "ping@localhost"],
    ["subset of command tags", ["team:data"], ["data:local"], "shell@localhost"],
    ["all tags required", ["type:shell", "team:data"], ["type:localhost", "data:local"], "shell@localhost"],
    ["system tag criteria", ["_id:shell"], ["_name:localhost"], "shell@localhost"],
    ["missing command criteria matches nothing", undefined, ["type:localhost"], NF],
    ["missing cluster criteria matches nothing", ["type:ping"], undefined, NF],
    ["both missing", undefined, undefined, NF],
    ["unknown tag", ["type:ping", "nope"], [], NF],
    ["cluster_tags restrict clusters", ["type:ping"], ["type:fargate"], NF],
    ["inactive command never routes", ["_id:old-ping"], [], NF],
    ["deleted cluster never routes", ["type:ping"], ["_id:gone"], NF],
    ["tags are case-sensitive", ["TYPE:PING"], [], NF],
  ];
  for (const [name, c, k, want] of cases) {
    if (typeof want === "string") {
      const r = routeJob(reg, c, k, "anyone");
      assert.equal(`${r.command.id}@${r.cluster.id}`, want, name);
    } else {
      fails(() => routeJob(reg, c, k, "anyone"), want[0], want[1]);
    }
  }
});

void test("empty criteria match every active command and cluster", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 10; i++) {
    const r = routeJob(reg, [], [], "x", () => i / 10);
    seen.add(`${r.command.id}@${r.cluster.id}`);
  }
  // ping and shell only go to localhost (their cluster_tags); inactive/deleted objects never appear
  assert.deepEqual([...seen].sort(), ["ping@localhost", "shell@localhost"]);
});

void test("empty cluster_tags match every cluster", () => {
  const r = { commands: [cmd("any", ["k:v"])], clusters: [cl("a", []), cl("b", ["x:y"])] };
  assert.equal(routeJob(r, ["k:v"], ["x:y"], "u").cluster.id, "b");
  assert.equal(routeJob(r, ["k:v"], [], "u", () => 0).cluster.id, "a");
  assert.equal(routeJob(r, ["k:v"], [], "u", () => 0.99).cluster.id, "b");
});

void test("allowed_callers: 403 only when pairs match and none admits the caller; filtered before the choice", () => {
  const locked = cmd("locked", ["type:q"], [], { allowed_callers: ["svc-.*"] });
  const open = cmd("open", ["type:q", "open"], []);
  const r1 = { commands: [locked], clusters: [cl("k", [])] };
  fails(() => routeJob(r1, ["type:q"], [], "bob"), ...FB);
  assert.equal(routeJob(r1, ["type:q"], [], "svc-etl").command.id, "locked");
  // no pair at all is 404 even for an unknown caller
  fails(() => routeJob(r1, ["type:none"], [], "bob"), ...NF);
  // with an open command matching too, bob always gets the open one, whatever the random value
  const r2 = { commands: [locked, open], clusters: [cl("k", [])] };
  for (const x of [0, 0.25, 0.5, 0.75, 0.999999]) {
    assert.equal(routeJob(r2, ["type:q"], [], "bob", () => x).command.id, "open");
  }
  // the allow-list is anchored: partial matches do not count
  fails(() => routeJob(r1, ["type:q"], [], "xsvc-etl"), ...FB);
});

void test("choice is uniform over pairs", () => {
  // c3 fits three clusters, c1 fits one: pairs are c1@a, c3@a, c3@b, c3@c (command order, then cluster order)
  const r = {
    commands: [cmd("c1", ["t"], ["only-a"]), cmd("c3", ["t"], [])],
    clusters: [cl("a", ["only-a"]), cl("b", []), cl("c", [])],
  };
  const counts = new Map<string, number>();
  const n = 400;
  for (let i = 0; i < n; i++) {
    const p = routeJob(r, ["t"], [], "u", () => i / n);
    const key = `${p.command.id}@${p.cluster.id}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  assert.deepEqual(Object.fromEntries(counts), { "c1@a": 100, "c3@a": 100, "c3@b": 100, "c3@c": 100 });
  // a random value of exactly 1 (out of contract) must not index past the end
  assert.equal(routeJob(r, ["t"], [], "u", () => 1).cluster.id, "c");
});
