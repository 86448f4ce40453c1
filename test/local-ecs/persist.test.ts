// State that survives restarts (process runtime): clusters, task definitions, tasks, client tokens and log
// events come back from <dataDir>/state.sqlite; tasks whose processes died with the endpoint are STOPPED with
// TaskFailedToStart / "local ECS restarted"; stopped tasks keep their retention.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { CreateClusterCommand, DescribeTaskDefinitionCommand, ListTasksCommand, RunTaskCommand } from "@aws-sdk/client-ecs";
import { FARGATE_NET, describe, fargateDef, register, run, setup, stopped, waitTask } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "persist-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("definitions, tasks, tokens and logs survive a restart; running process tasks become STOPPED (local ECS restarted)", async () => {
  const a = await setup({ dataDir: dir });
  await a.ecs.send(new CreateClusterCommand({ clusterName: "kept" }));
  const tdArn = await register(a, fargateDef("persisted", ["sh", "-c", "echo first; echo second; exit 4"]));
  await register(a, fargateDef("sleeper", ["sleep", "300"]));
  const done = await waitTask(a, (await run(a, { taskDefinition: "persisted" })).taskArn!, stopped);
  const token = await a.ecs.send(
    new RunTaskCommand({ taskDefinition: "sleeper", launchType: "FARGATE", networkConfiguration: FARGATE_NET, clientToken: "tok-1" }),
  );
  const sleeping = await waitTask(a, token.tasks![0]!.taskArn!, (t) => t.lastStatus === "RUNNING");
  await a.close();
  assert.ok(existsSync(join(dir, "state.sqlite")), "state database under dataDir");

  const b = await setup({ dataDir: dir });
  try {
    const td = await b.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "persisted" }));
    assert.equal(td.taskDefinition?.taskDefinitionArn, tdArn);
    assert.deepEqual(td.taskDefinition?.containerDefinitions?.[0]?.command, ["sh", "-c", "echo first; echo second; exit 4"]);
    assert.equal((await register(b, fargateDef("persisted", ["true"]))).endsWith(":2"), true, "revisions continue");

    const d = await describe(b, done.taskArn!);
    assert.equal(d.lastStatus, "STOPPED");
    assert.equal(d.containers?.[0]?.exitCode, 4);
    assert.equal(d.stopCode, "EssentialContainerExited");
    const id = done.taskArn!.split("/").pop();
    const ev = await b.logs.send(
      new GetLogEventsCommand({ logGroupName: "/test/persisted", logStreamName: `ecs/main/${id}`, startFromHead: true }),
    );
    assert.deepEqual(
      ev.events?.map((e) => e.message),
      ["first", "second"],
    );

    const s = await describe(b, sleeping.taskArn!);
    assert.equal(s.lastStatus, "STOPPED");
    assert.equal(s.stopCode, "TaskFailedToStart");
    assert.equal(s.stoppedReason, "local ECS restarted");
    const stoppedList = await b.ecs.send(new ListTasksCommand({ desiredStatus: "STOPPED" }));
    assert.ok(stoppedList.taskArns?.includes(sleeping.taskArn!));

    // The client token answers with the same task, even after the restart.
    const again = await b.ecs.send(
      new RunTaskCommand({ taskDefinition: "sleeper", launchType: "FARGATE", networkConfiguration: FARGATE_NET, clientToken: "tok-1" }),
    );
    assert.equal(again.tasks?.[0]?.taskArn, sleeping.taskArn);
    const list = await b.ecs.send(new ListTasksCommand({ cluster: "kept" }));
    assert.deepEqual(list.taskArns, []);
  } finally {
    await b.close();
  }
});

test("a restarted endpoint logs new tasks beside restored streams and expires stopped tasks after their retention", async () => {
  const sub = join(dir, "second");
  const a = await setup({ dataDir: sub, stoppedRetentionSeconds: 2 });
  await register(a, fargateDef("again", ["sh", "-c", "echo run"]));
  const one = await waitTask(a, (await run(a, { taskDefinition: "again" })).taskArn!, stopped);
  await a.close();
  const b = await setup({ dataDir: sub, stoppedRetentionSeconds: 2 });
  try {
    const two = await waitTask(b, (await run(b, { taskDefinition: "again" })).taskArn!, stopped);
    const id2 = two.taskArn!.split("/").pop();
    const ev = await b.logs.send(
      new GetLogEventsCommand({ logGroupName: "/test/again", logStreamName: `ecs/main/${id2}`, startFromHead: true }),
    );
    assert.deepEqual(
      ev.events?.map((e) => e.message),
      ["run"],
    );
    const deadline = Date.now() + 15_000;
    for (;;) {
      const gone = await describe(b, one.taskArn!).then(
        () => false,
        () => true,
      );
      if (gone) break;
      assert.ok(Date.now() < deadline, "the restored stopped task expired");
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await b.close();
  }
});
