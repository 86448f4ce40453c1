import { test } from "node:test";
import assert from "node:assert/strict";
import {
  jobTemplateData,
  parseTemplate,
  renderAttributes,
  renderTemplate,
  type Cluster,
  type Command,
  type Job,
  type TemplateData,
} from "../../src/core/index.ts";

const data: TemplateData = {
  Job: { ID: "j1", Name: "run", Context: { n: 3 } },
  Command: {
    port: 8080,
    ratio: 1.5,
    on: true,
    off: false,
    nothing: null,
    list: [1],
    obj: { a: 1 },
    "odd key": "ok",
    nested: { "a-b": { c: "deep" } },
  },
  Cluster: { spark_history_url: "https://shs.example.com", test_url: "http://localhost:8080" },
  Outputs: { spark_application_id: "spark-7f3a" },
};

const render = (src: string) => renderTemplate(parseTemplate(src), data);

void test("rendering table", () => {
  const cases: [string, string][] = [
    ["plain text {not} }} { {", "plain text {not} }} { {"],
    ["", ""],
    [
      "{{ .Cluster.spark_history_url }}/history/{{ .Outputs.spark_application_id }}/jobs/",
      "https://shs.example.com/history/spark-7f3a/jobs/",
    ],
    ["{{.Job.ID}}", "j1"],
    ["{{   .Job.Context.n   }}", "3"],
    ["{{ .Command.port }}|{{ .Command.ratio }}|{{ .Command.on }}|{{ .Command.off }}", "8080|1.5|true|false"],
    ['{{ index .Command "odd key" }}', "ok"],
    ['{{ index .Command.nested "a-b" "c" }}', "deep"],
    ['{{ index . "Cluster" "test_url" }}', "http://localhost:8080"],
    ['{{ index .Command "\\u006fdd key" }}', "ok"],
    ["a  {{- .Job.ID }}  b", "aj1  b"],
    ["a  {{ .Job.ID -}}  \n b", "a  j1b"],
    ["x \n\t{{- .Job.ID -}} \n\t y", "xj1y"],
    ["<{{- .Job.ID -}}>", "<j1>"],
    ["{{ .Job.Name }}{{ .Job.ID }}", "runj1"],
    ["tab\t{{\n.Job.ID\n}}\tend", "tab\tj1\tend"],
  ];
  for (const [src, want] of cases) assert.equal(render(src), want, src);
});

void test("parse errors", () => {
  const cases: [string, string | RegExp][] = [
    ["{{ .Cluster.x", "unclosed action"],
    ["abc {{", "unclosed action"],
    ['{{ index .Cluster "a }}', "unterminated quoted string"],
    ["{{ }}", "missing value for action"],
    ["{{ printf .Job.ID }}", 'function "printf" not defined'],
    ["{{ .Job.ID .Job.Name }}", /unexpected argument/],
    ["{{ index .Cluster }}", /index: at least one key/],
    ["{{ index .Cluster x }}", /index: keys must be double-quoted strings/],
    ['{{ index "a" }}', /index: first argument must be a path/],
    ["{{ .Job. }}", /bad field name/],
    ["{{ .Job..ID }}", /bad field name/],
    ["{{ .1 }}", /bad character/],
    ["{{ .Foo.x }}", /unknown root "\.Foo"/],
    ["{{ $x }}", /unexpected "\$"/],
    ["{{/* comment */}}", /unexpected "\/"/],
    ["{{ .Job.ID-}}", /unexpected "-"/],
    ['{{ "lit" }}', /unexpected quoted string/],
  ];
  for (const [src, want] of cases) {
    assert.throws(
      () => parseTemplate(src),
      (e: unknown) => {
        assert.ok(e instanceof Error);
        if (typeof want === "string") assert.equal(e.message, want, src);
        else assert.match(e.message, want, src);
        return true;
      },
    );
  }
});

void test("render errors: missing keys, null, objects, arrays", () => {
  const cases: [string, RegExp][] = [
    ["{{ .Cluster.missing }}", /\.Cluster has no key "missing"/],
    ["{{ .Outputs.none }}", /\.Outputs has no key "none"/],
    ["{{ .Command.nothing }}", /\.Command\.nothing is null/],
    ["{{ .Command.obj }}", /is an object/],
    ["{{ .Command.list }}", /is an array/],
    ["{{ .Command.port.x }}", /is not an object/],
    ["{{ . }}", /is an object/],
    ['{{ index .Command "nope" }}', /has no key "nope"/],
    ["{{ .Command.toString }}", /has no key "toString"/],
  ];
  for (const [src, want] of cases) assert.throws(() => render(src), want, src);
});

void test("renderAttributes keeps the successful renders and reports the others", () => {
  const out = renderAttributes(
    {
      "Spark History": { kind: "link", value: "{{ .Cluster.spark_history_url }}/history/{{ .Outputs.spark_application_id }}/jobs/" },
      Broken: { kind: "text", value: "{{ .Outputs.missing }}" },
      Static: { kind: "text", value: "static" },
      Unparsable: { kind: "text", value: "{{" },
    },
    data,
  );
  assert.deepEqual(out.rendered, {
    "Spark History": { kind: "link", value: "https://shs.example.com/history/spark-7f3a/jobs/" },
    Static: { kind: "text", value: "static" },
  });
  assert.deepEqual(
    out.errors.map((e) => e.label),
    ["Broken", "Unparsable"],
  );
  assert.match(out.errors[0]!.message, /no key "missing"/);
});

void test("jobTemplateData builds the four roots", () => {
  const job = {
    id: "j",
    name: "n",
    version: "v",
    user: "u",
    description: "d",
    tags: [],
    created_at: 0,
    updated_at: 0,
    status: "RUNNING",
    is_sync: false,
    store_result_sync: false,
    error: "",
    command_criteria: [],
    cluster_criteria: [],
    command_id: "ci",
    command_name: "cn",
    cluster_id: "ki",
    cluster_name: "kn",
    canceled_by: "",
    job_attributes: {},
    context: { a: 1 },
  } satisfies Job;
  const command = { context: { c: "x" } } as unknown as Command;
  const cluster = {} as unknown as Cluster;
  const d = jobTemplateData(job, command, cluster, { o: "1" });
  assert.deepEqual(d, {
    Job: {
      ID: "j",
      Name: "n",
      Version: "v",
      User: "u",
      Description: "d",
      CommandID: "ci",
      CommandName: "cn",
      ClusterID: "ki",
      ClusterName: "kn",
      Context: { a: 1 },
    },
    Command: { c: "x" },
    Cluster: {},
    Outputs: { o: "1" },
  });
  assert.equal(renderTemplate(parseTemplate("{{ .Job.CommandName }}/{{ .Job.Context.a }}/{{ .Command.c }}"), d), "cn/1/x");
  assert.deepEqual(jobTemplateData({ ...job, context: undefined }, undefined, undefined, undefined).Job["Context"], {});
});
