// Pure helpers of the browser code for issue 9, run in Node: AWS console links from task ARNs (hidden for the local
// ECS), the ECS progress summary, substring filter patterns, NDJSON splitting of the live log stream, durations.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { jobDuration } from "../../src/ui/app/format.ts";
import { filterPattern } from "../../src/ui/app/list.ts";
import {
  cloudWatchStreamUrl,
  consoleEscape,
  containerLogs,
  ecsConsoleUrl,
  isRealAws,
  parseTaskArn,
} from "../../src/ui/app/pages/ecs-links.ts";
import { parseNdjson, prefixed } from "../../src/ui/app/pages/live-logs.ts";
import { progressText } from "../../src/ui/app/pages/lists.ts";

describe("AWS console links of ECS tasks", () => {
  const real = "arn:aws:ecs:eu-west-1:123456789012:task/my-fargate-cluster/0a1b2c3d4e5f60718293a4b5c6d7e8f9";
  it("parses a task ARN and builds the ECS console and CloudWatch log stream links", () => {
    const arn = parseTaskArn(real);
    assert.deepEqual(arn, {
      partition: "aws",
      region: "eu-west-1",
      account: "123456789012",
      cluster: "my-fargate-cluster",
      taskId: "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
    });
    assert.ok(isRealAws(arn));
    assert.equal(
      ecsConsoleUrl(arn!),
      "https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/my-fargate-cluster/tasks/0a1b2c3d4e5f60718293a4b5c6d7e8f9/configuration?region=eu-west-1",
    );
    assert.equal(
      cloudWatchStreamUrl(arn!, { name: "main", group: "/ecs/batch-job", prefix: "ecs" }),
      "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/$252Fecs$252Fbatch-job/log-events/ecs$252Fmain$252F0a1b2c3d4e5f60718293a4b5c6d7e8f9",
    );
    // A container logging to another region links there.
    assert.match(
      cloudWatchStreamUrl(arn!, { name: "side", group: "g", prefix: "p", region: "us-east-2" }),
      /^https:\/\/us-east-2\.console\.aws\.amazon\.com\/cloudwatch\/home\?region=us-east-2#/,
    );
    assert.equal(consoleEscape("a/b c"), "a$252Fb$2520c");
  });
  it("hides the links for the local ECS (account 000000000000) and for what is not a task ARN", () => {
    assert.equal(isRealAws(parseTaskArn("arn:aws:ecs:us-east-1:000000000000:task/my-fargate-cluster/abc123")), false);
    assert.equal(parseTaskArn("arn:aws:ecs:us-east-1:123456789012:task-definition/batch:1"), undefined);
    assert.equal(isRealAws(parseTaskArn("")), false);
    assert.match(
      ecsConsoleUrl(parseTaskArn("arn:aws-cn:ecs:cn-north-1:123456789012:task/c/abc")!),
      /^https:\/\/cn-north-1\.console\.amazonaws\.cn\//,
    );
  });
  it("lists the timeline's containers that log to CloudWatch", () => {
    assert.deepEqual(
      containerLogs({
        containers: [
          { name: "main", log: { group: "/ecs/x", prefix: "ecs", region: null } },
          { name: "nolog", log: null },
        ],
      }),
      [{ name: "main", group: "/ecs/x", prefix: "ecs", region: null }],
    );
    assert.deepEqual(containerLogs({ containers: [] }), []);
    assert.deepEqual(containerLogs(undefined), []);
  });
});

describe("list helpers", () => {
  it("summarises ECS progress", () => {
    assert.equal(progressText({ tasks: 5, succeeded: 3, running: 1, retrying: 1, failed: 0, pending: 0 }), "3/5 ✓ 1 running 1 retrying");
    assert.equal(progressText({ tasks: 2, succeeded: 0, running: 0, retrying: 0, failed: 0, pending: 2 }), "0/2 ✓ 2 pending");
    assert.equal(progressText(undefined), "");
    assert.equal(progressText(null), "");
  });
  it("turns a plain filter value into a substring pattern and keeps the user's own wildcards", () => {
    const name = { param: "name", label: "Name", substring: true };
    assert.equal(filterPattern(name, "export"), "%export%");
    assert.equal(filterPattern(name, "bulk-%"), "bulk-%");
    assert.equal(filterPattern(name, "a_c"), "a_c");
    assert.equal(filterPattern(name, ""), "");
    assert.equal(filterPattern({ param: "id", label: "Job ID" }, "abc"), "abc");
  });
  it("computes durations of finished and running jobs", () => {
    assert.equal(jobDuration(100, 160, 999), 60);
    assert.equal(jobDuration(100, null, 130), 30);
    assert.equal(jobDuration(null, 160, 999), undefined);
  });
});

describe("live log stream parsing", () => {
  it("splits NDJSON across chunk boundaries and skips malformed lines", () => {
    const got: Record<string, unknown>[] = [];
    let rest = parseNdjson('{"slot":0,"attempt":1,"message":"a","cursor":"c1"}\n{"heart', (r) => got.push(r));
    assert.equal(rest, '{"heart');
    rest = parseNdjson(`${rest}beat":true}\nnot json\n\n{"end":true,"status":"SUCCEEDED"}\n`, (r) => got.push(r));
    assert.equal(rest, "");
    assert.deepEqual(got, [{ slot: 0, attempt: 1, message: "a", cursor: "c1" }, { heartbeat: true }, { end: true, status: "SUCCEEDED" }]);
    assert.equal(prefixed({ slot: 2, attempt: 3, message: "hello" }), "[2.3] hello");
  });
});
