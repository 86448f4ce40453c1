// AWS call policy against local ECS with the real SDK: a call whose every attempt times out fails with a
// retryable TimeoutError naming the action; one job's cancel never fails another job sharing a registration.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DescribeClustersCommand } from "@aws-sdk/client-ecs";
import type { LocalEcs } from "../../../src/local-ecs/index.ts";
import { endpointFor, isRetryable } from "../../../src/plugins/ecs/aws.ts";
import { ensureDefinition } from "../../../src/plugins/ecs/taskdef.ts";
import { loadTemplate } from "../../../src/plugins/ecs/template.ts";
import { ECS_CLUSTER, startEcs, templateDoc } from "./harness.ts";

describe("ecs plugin: AWS call policy", () => {
  let ecs: LocalEcs;
  before(async () => {
    ecs = await startEcs({ throttling: { enabled: false } });
  });
  after(async () => {
    await ecs?.close();
  });

  it("every attempt timing out: a retryable TimeoutError naming the action", async () => {
    ecs.addFault({ kind: "latency", latencyMs: 1_000, count: 2, match: { action: "DescribeClusters" } });
    const ep = endpointFor({ endpoint: ecs.url, region: "us-east-1", rateLimitScale: 0 });
    const before = ep.calls.get("DescribeClusters") ?? 0;
    const call = ep.call(
      "cluster-read",
      "DescribeClusters",
      new AbortController().signal,
      (abortSignal) => ep.ecs.send(new DescribeClustersCommand({ clusters: [ECS_CLUSTER] }), { abortSignal }),
      { attempts: 2, timeoutMs: 100 },
    );
    const err = await call.then(
      () => assert.fail("expected a timeout"),
      (e: unknown) => e as Error,
    );
    assert.equal(err.name, "TimeoutError");
    assert.match(err.message, /^DescribeClusters timed out after 100 ms \(2 attempts\)/);
    assert.ok(isRetryable(err));
    assert.equal((ep.calls.get("DescribeClusters") ?? 0) - before, 2);
  });

  it("a canceled job does not fail another job waiting on the same task definition registration", async () => {
    const ep = endpointFor({ endpoint: ecs.url, region: "us-east-1", rateLimitScale: 0 });
    const template = await loadTemplate(templateDoc() as never, "template");
    const build = {
      template,
      family: "shared-registration",
      cpu: 256,
      memory: 512,
      executionRoleArn: undefined,
      taskRoleArn: undefined,
      fargate: true,
    };
    ecs.addFault({ kind: "latency", latencyMs: 200, count: 1, match: { action: "ListTaskDefinitions" } });
    const canceled = new AbortController();
    const first = ensureDefinition(ep, build, canceled.signal);
    const second = ensureDefinition(ep, build, new AbortController().signal);
    canceled.abort(new Error("job canceled"));
    await assert.rejects(first, /job canceled/);
    const def = await second;
    assert.match(def.arn, /task-definition\/shared-registration:1$/);
  });
});
