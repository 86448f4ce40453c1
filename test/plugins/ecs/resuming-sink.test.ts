// The byte arithmetic of a resumed log copy: whatever prefix was stored (even ending inside a UTF-8 character)
// and however the regenerated text is split into chunks, stored prefix + newly written bytes = the text once;
// and a replay stops reading at the recorded byte count.
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { copyCapped, firstBytes } from "../../../src/plugins/ecs/logs.ts";
import { ResumingSink } from "../../../src/plugins/ecs/output.ts";

const TEXT = "=== ecs/main/abc ===\n\n[2024-01-02 03:04:05] ünïcödé €\n[2024-01-02 03:04:06] second\n";

function collect(): { out: PassThrough; bytes: () => Buffer } {
  const out = new PassThrough();
  const parts: Buffer[] = [];
  out.on("data", (d: Buffer) => parts.push(d));
  return { out, bytes: () => Buffer.concat(parts) };
}

async function* chunksOf(text: string, size: number): AsyncGenerator<string> {
  const chars = [...text];
  for (let i = 0; i < chars.length; i += size) yield chars.slice(i, i + size).join("");
}

describe("ecs resumed log copy: byte arithmetic", () => {
  it("stored prefix + written bytes = the text, for every stored length and chunking", async () => {
    const full = Buffer.from(TEXT);
    for (const size of [1, 7, 1000]) {
      for (let stored = 0; stored <= full.length + 3; stored++) {
        const { out, bytes } = collect();
        const sink = new ResumingSink(out, stored);
        for await (const c of chunksOf(TEXT, size)) await sink.write(c);
        const whole = Buffer.concat([full.subarray(0, stored), bytes()]);
        assert.ok(whole.equals(full), `stored ${stored}, chunks of ${size} characters`);
      }
    }
  });

  it("firstBytes replays exactly the recorded count and reads no further", async () => {
    const full = Buffer.from(TEXT);
    let pulled = 0;
    async function* counted() {
      for await (const c of chunksOf(TEXT, 10)) {
        pulled++;
        yield c;
      }
    }
    const { out, bytes } = collect();
    const at = full.indexOf("\n[2024-01-02 03:04:06]") + 1;
    await copyCapped(firstBytes(counted(), at), out, 1_000_000);
    assert.ok(bytes().equals(full.subarray(0, at)));
    assert.ok(pulled < Math.ceil([...TEXT].length / 10), `read ${pulled} chunks: those after the recorded point are not read`);
    const none = collect();
    await copyCapped(firstBytes(counted(), 0), none.out, 1_000_000);
    assert.equal(none.bytes().length, 0);
  });
});
