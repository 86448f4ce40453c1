// The spec's complete example and the basic paths, through the REST API on local ECS.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ecsServerSuite, resultRows, templateDoc, writeConfig, writeTemplate } from "./harness.ts";

describe("ecs plugin: complete example through the API", () => {
  const stack = ecsServerSuite((dir, ecs) => {
    const tpl = writeTemplate(
      dir,
      "task-definition.json",
      templateDoc(["sh", "-c", "env | grep -v '^PATH=\\|^LANG=\\|^LC_ALL=\\|^TZ=\\|^PWD=\\|^SHLVL=\\|^_=\\|^HOME=' | sort"]),
    );
    return writeConfig(
      dir,
      ecs,
      [
        {
          name: "ecs-batch-job-0.0.1",
          tag: "type:ecs",
          context: {
            task_definition_template: tpl,
            task_count: 2,
            container_overrides: [{ name: "main", environment: [{ name: "CUSTOM_VAR", value: "custom_value" }] }],
            polling_interval: "100ms",
            timeout: "1h",
            max_fail_count: 3,
            cpu: 256,
            memory: 512,
          },
        },
      ],
      {},
      undefined,
      {
        "Task ARNs": { kind: "text", value: "{{ .Outputs.task_arns }}" },
        Logs: { kind: "text", value: "{{ .Outputs.log_group }} in {{ .Outputs.cluster_name }}" },
      },
    );
  });

  it("runs 2 tasks whose environment is exactly the spec's", async () => {
    const sub = await stack.server.submit({
      name: "run-batch-job",
      version: "0.0.1",
      command_criteria: ["type:ecs"],
      cluster_criteria: ["type:fargate"],
      context: {
        task_count: 2,
        container_overrides: [{ name: "main", environment: [{ name: "DATA_SOURCE", value: "s3://my-bucket/data/" }] }],
      },
    });
    assert.equal(sub.status, 200, JSON.stringify(sub.body));
    const id = sub.body.id as string;
    const job = await stack.server.waitFinal(id);
    assert.equal(job.status, "SUCCEEDED", job.error);
    const result = (await stack.server.get(`/api/v1/job/${id}/result`)).json();
    const rows = resultRows(result);
    assert.equal(rows.length, 2);
    assert.deepEqual(
      rows.map((r) => [r.task_name, r.task_num, r.attempt, r.status, r.exit_code]),
      [
        [`heimdall-job-${id}-0`, 0, 1, "SUCCEEDED", 0],
        [`heimdall-job-${id}-1`, 1, 1, "SUCCEEDED", 0],
      ],
    );
    const stdout = (await stack.server.get(`/api/v1/job/${id}/stdout`)).text;
    const lines = stdout.split("\n");
    assert.match(lines[0]!, /^=== ecs\/main\/[0-9a-f]{32} ===$/);
    assert.equal(lines[1], "");
    // Variables ECS itself injects on Fargate (AWS_REGION, AWS_EXECUTION_ENV, ECS_CONTAINER_METADATA_URI…) are not ours.
    const env = lines
      .slice(2)
      .filter((l) => l !== "")
      .map((l) => l.replace(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] /, ""))
      .filter((l) => !/^(AWS|ECS)_/.test(l));
    const n = env.find((l) => l.startsWith("TASK_NUM="))!.slice("TASK_NUM=".length);
    assert.deepEqual(env, [
      "DATA_SOURCE=s3://my-bucket/data/",
      "ENVIRONMENT=production",
      "LOG_LEVEL=info",
      `TASK_NAME=heimdall-job-${id}-${n}`,
      `TASK_NUM=${n}`,
    ]);
    assert.equal((await stack.server.get(`/api/v1/job/${id}/stderr`)).text, "");
    // Outputs feed the cluster's attribute templates.
    assert.deepEqual(job.job_attributes, {
      "Task ARNs": { kind: "text", value: rows.map((r) => r.task_arn).join(",") },
      Logs: { kind: "text", value: "/ecs/batch-jobs in test-cluster" },
    });
  });
});
