// Template files (issue 8 item 2): only regular files of at most 1 MiB, JSON errors as line/column without any of
// the file's content, and, for commands created through the API, only files whose real path lies under a root.
// (A FIFO and /dev/zero are tested against a server child process in template-api.test.ts: a regression there
// would block this process.)
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { jsonErrorOffset, lineColumn } from "../../../src/plugins/ecs/json-position.ts";
import { TEMPLATE_MAX_BYTES, loadTemplate } from "../../../src/plugins/ecs/template.ts";
import { templateDoc } from "./harness.ts";

const dir = mkdtempSync(join(tmpdir(), "ecs-template-files-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const root = join(dir, "root");
const outside = join(dir, "outside");
mkdirSync(root);
mkdirSync(outside);
function write(path: string, content: unknown): string {
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}
const P = "task_definition_template";
/** The rejection message of loading `source` (with `roots` = a command created through the API). */
async function failure(source: unknown, roots?: readonly string[]): Promise<string> {
  try {
    await loadTemplate(source as never, P, { roots });
  } catch (err) {
    return (err as Error).message;
  }
  assert.fail(`${String(source)} was accepted`);
}

describe("template files: kind and size", () => {
  it("a directory and a character device are refused as not regular files", async () => {
    assert.equal(await failure(dir), `${P}: must be a regular file (${dir} is a directory)`);
    assert.equal(await failure("/dev/null"), `${P}: must be a regular file (/dev/null is a character device)`);
  });

  it("a file over 1 MiB is refused; exactly 1 MiB is read", async () => {
    const doc = JSON.stringify(templateDoc());
    const exact = write(join(dir, "exact.json"), doc + " ".repeat(TEMPLATE_MAX_BYTES - doc.length));
    assert.equal((await loadTemplate(exact, P)).family, "batch-job-template");
    const big = write(join(dir, "big.json"), doc + " ".repeat(TEMPLATE_MAX_BYTES + 1 - doc.length));
    assert.equal(await failure(big), `${P}: must be at most 1 MiB (${big} has ${TEMPLATE_MAX_BYTES + 1} bytes)`);
  });

  it("a missing file names the error code", async () => {
    assert.equal(await failure(join(dir, "nope.json")), `${P}: cannot read ${join(dir, "nope.json")}: ENOENT`);
  });
});

describe("template files: JSON errors never echo content", () => {
  it("a passwd-like file: line 1 column 1, and none of its bytes", async () => {
    const f = write(join(dir, "passwd"), "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/:/bin/sh\n");
    const msg = await failure(f);
    assert.equal(msg, `${P}: file ${f} is not valid JSON at line 1 column 1`);
    assert.doesNotMatch(msg, /root:x|bash/);
  });

  it("/etc/passwd itself (a configured, trusted path) is reported without content", async () => {
    const msg = await failure("/etc/passwd");
    assert.match(msg, /^task_definition_template: file \/etc\/passwd is not valid JSON at line \d+ column \d+$/);
    assert.doesNotMatch(msg, /root/);
  });

  it("the position of the first error, on later lines too", async () => {
    const f = write(join(dir, "comma.json"), '{\n  "family": "x",\n  "cpu": 256,,\n}\n');
    assert.equal(await failure(f), `${P}: file ${f} is not valid JSON at line 3 column 14`);
    const cut = write(join(dir, "cut.json"), '{\n  "family": "secret-value');
    assert.equal(await failure(cut), `${P}: file ${cut} is not valid JSON at line 2 column 26`);
  });

  it("jsonErrorOffset agrees with JSON.parse, and with its position where it gives one", () => {
    const samples = [
      "",
      " ",
      "{",
      "[1,2",
      '{"a":1,}',
      '{"a" 1}',
      '{"a":1} x',
      '"abc',
      '{"a":tru}',
      '"\\q"',
      '"\\u12G4"',
      "01",
      "-",
      "1e",
      "1.",
      "[1,]",
      '{"a":[}',
      "\ufeff{}",
      '"a\u0001"',
      "nul",
      "{}",
      "[]",
      '{"a":[1,{"b":null}],"c":"\\u00e9"}',
      " -0.5e+3 ",
      "true",
    ];
    for (const s of samples) {
      let valid = true;
      let position: number | undefined;
      try {
        JSON.parse(s);
      } catch (err) {
        valid = false;
        const m = / at position (\d+)/.exec((err as Error).message);
        if (m) position = Number(m[1]);
      }
      const offset = jsonErrorOffset(s);
      assert.equal(offset === -1, valid, JSON.stringify(s));
      if (position !== undefined) assert.equal(offset, position, JSON.stringify(s));
    }
    assert.deepEqual(lineColumn("ab\ncd\né€x", 8), { line: 3, column: 3 });
  });
});

describe("template files: roots for commands created through the API", () => {
  const inside = write(join(root, "td.json"), templateDoc());
  const secret = write(join(outside, "secret.json"), templateDoc());
  const roots = [root];
  const outsideMsg = (file: string) => `${P}: must lie under a template root (template_roots in the configuration): ${file}`;

  it("a file under a root is read; any path is read for a configured (trusted) command", async () => {
    assert.equal((await loadTemplate(inside, P, { roots })).family, "batch-job-template");
    assert.equal((await loadTemplate(secret, P)).family, "batch-job-template");
  });

  it("files outside every root are refused before anything about them is told", async () => {
    assert.equal(await failure(secret, roots), outsideMsg(secret));
    assert.equal(await failure("/etc/passwd", roots), outsideMsg("/etc/passwd"));
    // not even whether it exists
    assert.equal(await failure(join(outside, "missing.json"), roots), outsideMsg(join(outside, "missing.json")));
    assert.equal(await failure(`${root}/../outside/secret.json`, roots), outsideMsg(secret));
    // a sibling directory whose name starts like the root's is not under it
    mkdirSync(`${root}2`, { recursive: true });
    const sibling = write(join(`${root}2`, "td.json"), templateDoc());
    assert.equal(await failure(sibling, roots), outsideMsg(sibling));
    assert.equal(await failure(join(root, "missing.json"), roots), `${P}: cannot read ${join(root, "missing.json")}: ENOENT`);
  });

  it("a symbolic link under a root that points outside is refused; one pointing inside is followed", async () => {
    const toPasswd = join(root, "passwd.json");
    symlinkSync("/etc/passwd", toPasswd);
    assert.equal(await failure(toPasswd, roots), outsideMsg(toPasswd));
    const toSecret = join(root, "secret.json");
    symlinkSync(secret, toSecret);
    assert.equal(await failure(toSecret, roots), outsideMsg(toSecret));
    const toInside = join(root, "alias.json");
    symlinkSync(inside, toInside);
    assert.equal((await loadTemplate(toInside, P, { roots })).family, "batch-job-template");
  });

  it("no roots: no files through the API, inline templates still work", async () => {
    assert.equal(
      await failure(inside, []),
      `${P}: template files are not allowed for commands created through the API (template_roots is empty); give the template inline`,
    );
    assert.equal((await loadTemplate(templateDoc() as never, P, { roots: [] })).family, "batch-job-template");
  });

  it("a path with a NUL character is refused by name", async () => {
    assert.equal(await failure(`${inside}\u0000x`, roots), `${P}: must not contain NUL characters`);
  });
});
