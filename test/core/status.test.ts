import { test } from "node:test";
import assert from "node:assert/strict";
import {
  HeimdallError,
  instanceName,
  JOB_STATUS_NAMES,
  newJobId,
  parseJobStatusList,
  parseRegistryStatus,
  parseRegistryStatusList,
  parseTagsFilter,
  REGISTRY_STATUS_NAMES,
} from "../../src/core/index.ts";

const unknown = (fn: () => unknown, v: string) =>
  assert.throws(fn, (e: unknown) => e instanceof HeimdallError && e.code === "BAD_REQUEST" && e.message === `unknown status: ${v}`);

void test("registry status parsing", () => {
  for (const [s, want] of [
    ["active", "ACTIVE"],
    ["Inactive", "INACTIVE"],
    ["DELETED", "DELETED"],
  ] as const) {
    assert.equal(parseRegistryStatus(s), want);
  }
  unknown(() => parseRegistryStatus("paused"), "paused");
  unknown(() => parseRegistryStatus(""), "");
  unknown(() => parseRegistryStatus("RUNNING"), "RUNNING");
});

void test("?status= lists", () => {
  assert.deepEqual(parseJobStatusList("RUNNING,failed"), ["RUNNING", "FAILED"]);
  assert.deepEqual(parseJobStatusList(",running,,RUNNING, new ,"), ["RUNNING", "NEW"]);
  assert.equal(parseJobStatusList(undefined), undefined);
  assert.equal(parseJobStatusList(""), undefined);
  assert.equal(parseJobStatusList(",,"), undefined);
  unknown(() => parseJobStatusList("RUNNING,RUNING"), "RUNING");
  unknown(() => parseJobStatusList("ACTIVE"), "ACTIVE");
  assert.deepEqual(parseRegistryStatusList("active,Inactive"), ["ACTIVE", "INACTIVE"]);
  unknown(() => parseRegistryStatusList("active,NEW"), "NEW");
});

void test("?tags= list", () => {
  assert.deepEqual(parseTagsFilter(" owner:#dev-core , env:prod,,"), ["owner:#dev-core", "env:prod"]);
  assert.equal(parseTagsFilter(" , "), undefined);
});

void test("status names are sorted", () => {
  assert.deepEqual(JOB_STATUS_NAMES, ["ACCEPTED", "CANCELED", "CANCELING", "FAILED", "KILLED", "NEW", "RUNNING", "SUCCEEDED"]);
  assert.deepEqual(REGISTRY_STATUS_NAMES, ["ACTIVE", "DELETED", "INACTIVE"]);
});

void test("ids", () => {
  const id = newJobId();
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(newJobId(), id);
  assert.equal(instanceName("Heimdall-7D9F", 1720000000123456), "heimdall-7d9f-1720000000123456");
  const longName = instanceName("h".repeat(100), 1720000000123456);
  assert.equal(longName.length, 64);
  assert.ok(longName.endsWith("-1720000000123456"));
  assert.equal(instanceName("", 5), "heimdall-5");
});
