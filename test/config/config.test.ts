import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { HeimdallError } from "../../src/core/index.ts";
import { configFromYaml, demoConfig, loadConfig, REPO_ROOT, type HeimdallConfig } from "../../src/config/index.ts";

const CWD = "/srv/heimdall";
const load = (text: string, env: Record<string, string | undefined> = {}) => configFromYaml(text, "heimdall.yaml", env, { cwd: CWD });

function configError(fn: () => unknown, expected: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof HeimdallError, String(e));
    assert.equal(e.code, "CONFIG");
    if (typeof expected === "string") assert.equal(e.message, expected);
    else assert.match(e.message, expected);
    return true;
  });
}

void test("defaults (empty file)", () => {
  for (const text of ["", "# only a comment\n", "{}"]) {
    const c = load(text);
    assert.deepEqual(c.server, {
      host: "0.0.0.0",
      port: 9090,
      read_timeout: 15,
      write_timeout: 15,
      idle_timeout: 30,
      read_header_timeout: 2,
      shutdown_timeout: 30,
    });
    assert.deepEqual(c.database, { connection_string: "sqlite:/srv/heimdall/.heimdall/heimdall.db", max_connections: 10 });
    assert.deepEqual(c.pool, { size: 10, sleepMs: 250 });
    assert.equal(c.jobs_directory, "/srv/heimdall/.heimdall/jobs");
    assert.deepEqual(c.job_files, { max_bytes: 1073741824 });
    assert.deepEqual(c.janitor, { keepalive: 5, stale_job: 45, clean_interval: 60, finished_job_retention_days: 0, cleanup_timeout: 60 });
    assert.deepEqual(c.health_check, { timeout_seconds: 30 });
    assert.equal(c.auth, undefined);
    assert.deepEqual(c.commands, []);
    assert.deepEqual(c.clusters, []);
    assert.deepEqual(c.local_ecs, { enabled: false, host: "127.0.0.1", port: 4566 });
    assert.equal(c.log_level, "info");
    assert.deepEqual(c.warnings, []);
    assert.equal(c.source, "heimdall.yaml");
  }
});

void test("the spec's example (11.4) loads", () => {
  const text = readFileSync(join(REPO_ROOT, "test/config/spec-example.yaml"), "utf8");
  const c = load(text);
  assert.equal(c.database.connection_string, "postgres://heimdall:heimdall@postgres:5432/heimdall?sslmode=disable");
  assert.deepEqual(c.pool, { size: 5, sleepMs: 500 });
  assert.equal(c.jobs_directory, "/var/lib/heimdall/jobs");
  assert.equal(c.janitor.finished_job_retention_days, 14);
  assert.equal(c.health_check.timeout_seconds, 300);
  assert.deepEqual(c.auth, { plugin: "auth_header", header: "X-Heimdall-User" });
  assert.deepEqual(
    c.commands.map((x) => x.id),
    ["ping-0.0.1", "export-0.0.1"],
  );
  const exp = c.commands[1]!;
  assert.deepEqual(exp.allowed_callers, ["alice@example\\.com", "svc-.*"]);
  assert.equal(exp.user, "heimdall");
  assert.equal(exp.status, "ACTIVE");
  assert.deepEqual(exp.context, { command: ["/opt/jobs/export.sh"] });
  const cl = c.clusters[0]!;
  assert.deepEqual(cl.tags, ["_id:localhost-0.0.1", "_name:localhost-0.0.1", "_version:0.0.1", "data:local", "type:localhost"]);
  assert.equal(cl.health_check, true);
  assert.equal(cl.attributes["Test Link Label"]?.kind, "link");
});

void test("values: seconds, zero rules, addr forms", () => {
  const c = load(`
server: {addr: "127.0.0.1:8080", read_timeout: 0, write_timeout: -1, idle_timeout: 0, read_header_timeout: 0, shutdown_timeout: 0}
database: {max_connections: 0}
pool: {size: -2, sleep: 100}
job_files: {max_bytes: 0}
janitor: {keepalive: 0, stale_job: 0, clean_interval: -5, finished_job_retention_days: 0, cleanup_timeout: 0}
health_check: {timeout_seconds: 0}
`);
  assert.deepEqual(c.server, {
    host: "127.0.0.1",
    port: 8080,
    read_timeout: 0,
    write_timeout: 15,
    idle_timeout: 0,
    read_header_timeout: 0,
    shutdown_timeout: 0,
  });
  assert.equal(c.database.max_connections, 10);
  assert.deepEqual(c.pool, { size: 10, sleepMs: 250 });
  assert.equal(c.job_files.max_bytes, 1073741824);
  assert.deepEqual(c.janitor, { keepalive: 5, stale_job: 45, clean_interval: 60, finished_job_retention_days: 0, cleanup_timeout: 60 });
  assert.equal(c.health_check.timeout_seconds, 30);
  assert.match(c.warnings!.join("\n"), /heimdall\.yaml:4: pool\.sleep: raised to the minimum of 250 ms/);
  for (const [addr, host, port] of [
    [":9000", "0.0.0.0", 9000],
    ["[::1]:9091", "::1", 9091],
    ["localhost:0", "localhost", 0],
  ] as const) {
    const s = load(`server:\n  addr: "${addr}"\n`).server;
    assert.deepEqual([s.host, s.port], [host, port]);
  }
});

void test("errors name file, line and key", () => {
  const cases: [string, string | RegExp][] = [
    ["janitor:\n  keepalive: 50\n  stale_job: 45\n", "heimdall.yaml:3: janitor.stale_job: must be greater than janitor.keepalive"],
    ["janitor:\n  keepalive: 50\n", "heimdall.yaml:2: janitor.stale_job: must be greater than janitor.keepalive"],
    ["server:\n  addr: nope\n", "heimdall.yaml:2: server.addr: must be host:port, e.g. 0.0.0.0:9090"],
    ["server:\n  addr: 'h:70000'\n", "heimdall.yaml:2: server.addr: must be host:port, e.g. 0.0.0.0:9090"],
    ["server:\n\n  read_timeout: 1.5\n", "heimdall.yaml:3: server.read_timeout: must be an integer (seconds)"],
    ["pool:\n  size: ten\n", "heimdall.yaml:2: pool.size: must be an integer"],
    [
      "database:\n  connection_string: mysql://x\n",
      'heimdall.yaml:2: database.connection_string: must start with "sqlite:<path>", "postgres://" or "postgresql://"',
    ],
    ["server: 5\n", "heimdall.yaml:1: server: must be a mapping"],
    ["log_level: loud\n", "heimdall.yaml:1: log_level: must be one of fatal, error, warn, info, debug, trace, silent"],
    ["auth:\n  plugin: kerberos\n", "heimdall.yaml:2: auth.plugin: unknown auth plugin: kerberos"],
    ["auth:\n  context:\n    header: 'bad header'\n", "heimdall.yaml:3: auth.context.header: must be an HTTP header name"],
    ["local_ecs:\n  port: 70000\n", "heimdall.yaml:2: local_ecs.port: must be an integer from 0 to 65535 (0 = any free port)"],
    ["local_ecs:\n  enabled: yes please\n", "heimdall.yaml:2: local_ecs.enabled: must be true or false"],
    ["- a\n- b\n", "heimdall.yaml:1: configuration: must be a mapping of keys"],
    ["a: 1\na: 2\n", "heimdall.yaml:2: YAML syntax: Map keys must be unique"],
    [
      "server: {addr: [\n",
      /^heimdall\.yaml:2: YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a \]\n/,
    ],
    ["commands: {}\n", "heimdall.yaml:1: commands: must be a list"],
    ["commands:\n  - 5\n", "heimdall.yaml:2: commands[0]: must be a mapping"],
    ["commands:\n  - plugin: ping\n", "heimdall.yaml:2: commands[0]: name or id is required"],
    ["commands:\n  - name: p\n    status: paused\n    plugin: ping\n", "heimdall.yaml:3: commands[0] (p): unknown status: paused"],
    ["commands:\n  - name: p\n    description: d\n", "heimdall.yaml:2: commands[0] (p): plugin: is required"],
    [
      "commands:\n  - name: p\n    plugin: ping\n    allowed_callers: ['svc-(']\n",
      'heimdall.yaml:4: commands[0] (p): command p: invalid allowed_callers pattern "svc-(": missing closing )',
    ],
    ["commands:\n  - id: statuses\n    plugin: ping\n", 'heimdall.yaml:2: commands[0] (statuses): id: "statuses" is reserved'],
    ["commands:\n  - name: p\n    plugin: ping\n    user: ''\n", "heimdall.yaml:4: commands[0].user: must be a non-empty string"],
    [
      "clusters:\n  - name: k\n    attributes:\n      X: {kind: url, value: '{{ .Cluster.a'}\n",
      'heimdall.yaml:3: clusters[0] (k): attributes.X.kind: must be "link" or "text"\nheimdall.yaml:3: clusters[0] (k): attributes.X.value: unclosed action',
    ],
    [
      "commands:\n  - name: a\n    plugin: ping\n  - name: b\n    plugin: ping\n  - id: a\n    name: other\n    plugin: shell\n",
      'heimdall.yaml:6: command IDs are not unique (duplicate id "a" at commands[2])',
    ],
    ["clusters:\n  - name: k\n  - name: k\n", 'heimdall.yaml:3: cluster IDs are not unique (duplicate id "k" at clusters[1])'],
    [
      "pool:\n  size: x\njanitor:\n  keepalive: 60\n",
      "heimdall.yaml:2: pool.size: must be an integer\nheimdall.yaml:4: janitor.stale_job: must be greater than janitor.keepalive",
    ],
  ];
  for (const [text, expected] of cases) configError(() => load(text), expected);
});

void test("a configuration error carries its problems: key path, message and line", () => {
  const text = "pool:\n  size: x\nclusters:\n  - name: k\n    status: paused\n    attributes:\n      X: {kind: url, value: v}\n";
  const err = (() => {
    try {
      load(text);
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  assert.ok(err instanceof HeimdallError);
  assert.equal(err.code, "CONFIG");
  // Each entry problem is located by its path: the status line (5) and the attributes line (6), not the entry's (4).
  assert.deepEqual(err.problems, [
    { path: "pool.size", message: "pool.size: must be an integer", line: 2 },
    { path: "clusters[0].status", message: "clusters[0] (k): unknown status: paused", line: 5 },
    { path: "clusters[0].attributes.X.kind", message: 'clusters[0] (k): attributes.X.kind: must be "link" or "text"', line: 6 },
  ]);
  assert.equal(err.message, err.problems.map((p) => `heimdall.yaml:${(p as { line: number }).line}: ${p.message}`).join("\n"));
});

void test("command and cluster entries use the PUT rules and defaults", () => {
  const c = load(`
commands:
  - id: cmd-1
    name: Nice name
    plugin: shell
    version: 1.0
    status: Inactive
    user: ops
    is_sync: true
    tags: [b, a, a, "_id:fake", 2024]
    cluster_tags: [x]
clusters:
  - name: k
    version: 2
    rbacs: [whatever]
    context: {url: "http://x"}
`);
  const cmd = c.commands[0]!;
  assert.deepEqual(cmd, {
    id: "cmd-1",
    name: "Nice name",
    version: "1.0",
    user: "ops",
    description: "",
    tags: ["2024", "_id:cmd-1", "_name:Nice name", "_version:1.0", "a", "b"],
    status: "INACTIVE",
    plugin: "shell",
    is_sync: true,
    cluster_tags: ["x"],
    allowed_callers: [],
  });
  const k = c.clusters[0]!;
  assert.equal(k.id, "k");
  assert.equal(k.version, "2");
  assert.equal(k.user, "heimdall");
  assert.equal(k.status, "ACTIVE");
  assert.equal(k.health_check, false);
  assert.deepEqual(k.attributes, {});
  assert.deepEqual(k.context, { url: "http://x" });
  assert.deepEqual(c.warnings, ["heimdall.yaml:15: clusters[0].rbacs: ignored (no RBAC integration)"]);
});

void test("unknown and ignored keys are warnings, not errors", () => {
  const c = load(`
archive_directory: /var/archive
result_directory: /var/results
plugin_directory: /usr/lib/heimdall/plugins
rbacs: []
colour: blue
server:
  addr: 0.0.0.0:9090
  tls: true
commands:
  - name: p
    plugin: ping
    flavour: x
auth:
  plugin: /usr/lib/heimdall/plugins/auth_header.so
  default_user: me
`);
  assert.deepEqual(c.warnings, [
    "heimdall.yaml:2: archive_directory: accepted for compatibility and ignored: job files live in the database",
    "heimdall.yaml:3: result_directory: accepted for compatibility and ignored: job results live in the database",
    "heimdall.yaml:4: plugin_directory: accepted for compatibility and ignored: plugins are built in",
    "heimdall.yaml:5: rbacs: ignored (no RBAC integration)",
    "heimdall.yaml:6: colour: unknown key, ignored",
    "heimdall.yaml:9: server.tls: unknown key, ignored",
    "heimdall.yaml:13: commands[0].flavour: unknown key, ignored",
  ]);
  assert.deepEqual(c.auth, { plugin: "auth_header", header: "X-Heimdall-User", default_user: "me" });
});

void test("environment overrides beat the file and are validated", () => {
  const text = "server:\n  addr: 0.0.0.0:9090\npool:\n  size: 3\nlocal_ecs:\n  port: 4566\n";
  const c = load(text, {
    HEIMDALL_ADDR: "127.0.0.1:7000",
    HEIMDALL_DATABASE_URL: "postgresql://u:p@db/h",
    HEIMDALL_POOL_SIZE: "7",
    HEIMDALL_JOBS_DIRECTORY: "work/jobs",
    HEIMDALL_LOG_LEVEL: "DEBUG",
    HEIMDALL_LOCAL_ECS_PORT: "0",
    UNRELATED: "x",
  });
  assert.deepEqual([c.server.host, c.server.port], ["127.0.0.1", 7000]);
  assert.equal(c.database.connection_string, "postgresql://u:p@db/h");
  assert.equal(c.pool.size, 7);
  assert.equal(c.jobs_directory, "/srv/heimdall/work/jobs");
  assert.equal(c.log_level, "debug");
  assert.equal(c.local_ecs.port, 0);
  // empty variables are ignored
  assert.equal(load(text, { HEIMDALL_POOL_SIZE: "", HEIMDALL_ADDR: " " }).pool.size, 3);
  assert.equal(load("", { HEIMDALL_DATABASE_URL: "sqlite:data/h.db" }).database.connection_string, "sqlite:/srv/heimdall/data/h.db");
  const bad: [Record<string, string>, string][] = [
    [{ HEIMDALL_ADDR: "nope" }, 'HEIMDALL_ADDR: must be host:port, e.g. 0.0.0.0:9090 (got "nope")'],
    [{ HEIMDALL_DATABASE_URL: "mysql://x" }, 'HEIMDALL_DATABASE_URL: must start with "sqlite:<path>", "postgres://" or "postgresql://"'],
    [{ HEIMDALL_POOL_SIZE: "0" }, 'HEIMDALL_POOL_SIZE: must be an integer from 1 to 10000 (got "0")'],
    [{ HEIMDALL_POOL_SIZE: "2.5" }, 'HEIMDALL_POOL_SIZE: must be an integer from 1 to 10000 (got "2.5")'],
    [{ HEIMDALL_LOG_LEVEL: "loud" }, 'HEIMDALL_LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "loud")'],
    [{ HEIMDALL_LOCAL_ECS_PORT: "65536" }, 'HEIMDALL_LOCAL_ECS_PORT: must be an integer from 0 to 65535 (got "65536")'],
  ];
  for (const [env, message] of bad) configError(() => load("", env), message);
});

void test("configuration objects are deep-frozen", () => {
  const c = load("commands:\n  - name: p\n    plugin: ping\n    context: {a: {b: [1]}}\n");
  assert.ok(Object.isFrozen(c));
  assert.ok(Object.isFrozen(c.server));
  assert.ok(Object.isFrozen(c.commands));
  assert.ok(Object.isFrozen(c.commands[0]!.tags));
  assert.throws(() => {
    (c.commands[0]!.context!["a"] as { b: number[] }).b.push(2);
  }, TypeError);
});

function withoutSource(c: HeimdallConfig): unknown {
  const { source: _s, warnings: _w, ...rest } = c;
  return JSON.parse(JSON.stringify(rest));
}

void test("demo config is valid and matches the spec's demo requirements", () => {
  const c = demoConfig("/srv/demo");
  assert.equal(c.source, "<built-in demo>");
  assert.deepEqual(c.warnings, []);
  assert.equal(c.database.connection_string, "sqlite:/srv/demo/.heimdall/heimdall.db");
  assert.deepEqual([c.server.host, c.server.port], ["0.0.0.0", 9090]);
  assert.deepEqual(c.auth, { plugin: "auth_header", header: "X-Heimdall-User", default_user: "local-user" });
  assert.deepEqual(c.local_ecs, {
    enabled: true,
    host: "127.0.0.1",
    port: 4566,
    settings: { pacing: "demo", clusters: ["default", "my-fargate-cluster"], spot: { rate: 0.3, afterSeconds: [2, 8] } },
  });
  assert.deepEqual(
    c.commands.map((x) => [x.id, x.plugin, x.is_sync]),
    [
      ["ping-0.0.1", "ping", false],
      ["ping-sync-0.0.1", "ping", true],
      ["shell-0.0.1", "shell", false],
      ["ecs-batch-job-0.0.1", "ecs", false],
      ["ecs-spot-batch-job-0.0.1", "ecs", false],
    ],
  );
  assert.deepEqual(
    c.clusters.map((x) => x.id),
    ["localhost-0.0.1", "fargate-cluster", "fargate-spot-cluster"],
  );
  const ecs = c.commands[3]!;
  const template = ecs.context!["task_definition_template"] as string;
  assert.equal(template, resolve(REPO_ROOT, "examples/ecs/task-definition.json"));
  const td = JSON.parse(readFileSync(template, "utf8")) as { family: string; containerDefinitions: { name: string }[] };
  assert.equal(td.family, "batch-job-template");
  assert.equal(td.containerDefinitions[0]!.name, "main");
  assert.equal(ecs.context!["polling_interval"], "2s");
  assert.deepEqual(c.clusters[1]!.tags, ["_id:fargate-cluster", "_name:fargate-cluster", "_version:0.0.1", "data:prod", "type:fargate"]);
  assert.equal(c.clusters[1]!.context!["region"], "us-east-1");
  assert.equal("endpoint" in c.clusters[1]!.context!, false);
  // env overrides apply to the demo too
  assert.equal(demoConfig("/srv/demo", { HEIMDALL_ADDR: "127.0.0.1:1" }).server.port, 1);
});

void test("template_roots: default the configuration file's directory; relative entries from there; demo: examples/ecs", () => {
  assert.deepEqual(load("").template_roots, [CWD]);
  const opts = { cwd: CWD, baseDir: "/etc/heimdall" };
  assert.deepEqual(configFromYaml("", "h.yaml", {}, opts).template_roots, ["/etc/heimdall"]);
  const c = configFromYaml("template_roots: [templates, /srv/shared, ./templates]\n", "h.yaml", {}, opts);
  assert.deepEqual(c.template_roots, ["/etc/heimdall/templates", "/srv/shared"]);
  assert.deepEqual(configFromYaml("template_roots: []\n", "h.yaml", {}, opts).template_roots, []);
  configError(() => load("template_roots: /srv\n"), "heimdall.yaml:1: template_roots: must be a list of directory paths");
  configError(() => load("template_roots: [a, 1]\n"), "heimdall.yaml:1: template_roots: must be a list of directory paths");
  assert.deepEqual(demoConfig("/srv/demo").template_roots, [join(REPO_ROOT, "examples", "ecs")]);
});

void test("examples/heimdall.yaml is the demo configuration", () => {
  const text = readFileSync(join(REPO_ROOT, "examples/heimdall.yaml"), "utf8");
  const fromFile = configFromYaml(text, "examples/heimdall.yaml", {}, { cwd: REPO_ROOT, baseDir: join(REPO_ROOT, "examples") });
  assert.deepEqual(fromFile.warnings, []);
  const fileCmd = fromFile.commands.find((x) => x.id === "ecs-batch-job-0.0.1")!;
  // the file uses a path relative to the repository root; the demo an absolute one
  const rel = fileCmd.context!["task_definition_template"] as string;
  const normalized = JSON.parse(
    JSON.stringify(withoutSource(fromFile)).replaceAll(JSON.stringify(rel), JSON.stringify(resolve(REPO_ROOT, rel))),
  );
  assert.deepEqual(normalized, withoutSource(demoConfig(REPO_ROOT)));
});

void test("loadConfig: explicit file, missing file, default file, demo", () => {
  const dir = mkdtempSync(join(tmpdir(), "heimdall-config-"));
  try {
    const file = join(dir, "h.yaml");
    writeFileSync(file, "pool:\n  size: 4\n  sleep: x\n");
    configError(() => loadConfig({ file, cwd: dir, defaultFile: null }), `${file}:3: pool.sleep: must be an integer (milliseconds)`);
    writeFileSync(file, "pool:\n  size: 4\nlocal_ecs:\n  config: ecs.yaml\n");
    const c = loadConfig({ file: "h.yaml", cwd: dir, env: { HEIMDALL_POOL_SIZE: "6" }, defaultFile: null });
    assert.equal(c.source, "h.yaml");
    assert.equal(c.pool.size, 6);
    assert.equal(c.local_ecs.config, join(dir, "ecs.yaml"));
    configError(
      () => loadConfig({ file: join(dir, "missing.yaml"), defaultFile: null }),
      `cannot read configuration file ${join(dir, "missing.yaml")}: no such file`,
    );
    // no file: the default file when it exists, else the demo
    const def = loadConfig({ cwd: dir, defaultFile: file });
    assert.equal(def.source, file);
    const demo = loadConfig({ cwd: dir, defaultFile: join(dir, "absent.yaml"), env: { HEIMDALL_LOG_LEVEL: "warn" } });
    assert.equal(demo.source, "<built-in demo>");
    assert.equal(demo.log_level, "warn");
    assert.equal(demo.jobs_directory, join(dir, ".heimdall/jobs"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test("auth section: absent, empty mapping, null", () => {
  assert.equal(load("auth:\n").auth, undefined);
  assert.deepEqual(load("auth: {}\n").auth, { plugin: "auth_header", header: "X-Heimdall-User" });
  assert.deepEqual(load("auth:\n  context:\n    header: X-Remote-User\n").auth, { plugin: "auth_header", header: "X-Remote-User" });
});
