// CloudWatch Logs state: groups and their streams (each stream spilled to its own file under `dir`).
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { AwsError } from "../protocol.ts";
import { LogStream } from "./stream.ts";

export interface LogGroup {
  name: string;
  creationTime: number;
  retentionInDays: number | undefined;
  tags: Record<string, string>;
  logGroupClass: string;
  streams: Map<string, LogStream>;
}

const GROUP_RE = /^[.\-_/#A-Za-z0-9]{1,512}$/;

export const groupNotFound = (): AwsError => new AwsError("ResourceNotFoundException", "The specified log group does not exist.");
export const streamNotFound = (): AwsError => new AwsError("ResourceNotFoundException", "The specified log stream does not exist.");

export function checkGroupName(name: unknown, field = "logGroupName"): string {
  if (typeof name !== "string" || !GROUP_RE.test(name))
    throw new AwsError(
      "InvalidParameterException",
      `1 validation error detected: Value '${String(name)}' at '${field}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+ and have length 1..512`,
    );
  return name;
}

export function checkStreamName(name: unknown): string {
  if (typeof name !== "string" || name.length < 1 || name.length > 512 || /[:*]/.test(name))
    throw new AwsError(
      "InvalidParameterException",
      `1 validation error detected: Value '${String(name)}' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]* and have length 1..512`,
    );
  return name;
}

export class LogStore {
  readonly groups = new Map<string, LogGroup>();
  private readonly dir: string;
  private seq = 0;
  /** Called when a group or stream is created or deleted (the state database writes its catalogue). */
  onChange: () => void = () => {};

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
  }

  createGroup(name: string, tags: Record<string, string> = {}, logGroupClass = "STANDARD"): LogGroup {
    if (this.groups.has(name)) throw new AwsError("ResourceAlreadyExistsException", "The specified log group already exists");
    const g: LogGroup = { name, creationTime: Date.now(), retentionInDays: undefined, tags, logGroupClass, streams: new Map() };
    this.groups.set(name, g);
    this.onChange();
    return g;
  }

  group(name: string): LogGroup {
    const g = this.groups.get(name);
    if (!g) throw groupNotFound();
    return g;
  }

  createStream(group: LogGroup, name: string): LogStream {
    if (group.streams.has(name)) throw new AwsError("ResourceAlreadyExistsException", "The specified log stream already exists");
    const s = new LogStream(name, join(this.dir, `stream-${++this.seq}.log`), Date.now());
    group.streams.set(name, s);
    return s;
  }

  /** Re-create a group known from the state database (persist.ts). */
  restoreGroup(g: Omit<LogGroup, "streams">): LogGroup {
    const group: LogGroup = { ...g, streams: new Map() };
    this.groups.set(g.name, group);
    return group;
  }

  /** Re-open a stream's file and rebuild its index (persist.ts). */
  restoreStream(group: LogGroup, name: string, path: string, creationTime: number): LogStream {
    const s = new LogStream(name, path, creationTime);
    s.reload();
    group.streams.set(name, s);
    const n = /stream-(\d+)\.log$/.exec(path);
    if (n) this.seq = Math.max(this.seq, Number(n[1]));
    return s;
  }

  stream(groupName: string, streamName: string): LogStream {
    const s = this.group(groupName).streams.get(streamName);
    if (!s) throw streamNotFound();
    return s;
  }

  /** Get or create (awslogs driver semantics: already-exists is success). */
  ensureStream(groupName: string, streamName: string, createGroup: boolean): LogStream {
    let g = this.groups.get(groupName);
    if (!g) {
      if (!createGroup) throw groupNotFound();
      g = this.createGroup(groupName);
    }
    return g.streams.get(streamName) ?? this.createStream(g, streamName);
  }

  deleteStream(group: LogGroup, name: string): void {
    const s = group.streams.get(name);
    if (!s) throw streamNotFound();
    s.close();
    rmSync(s.path, { force: true });
    group.streams.delete(name);
    this.onChange();
  }

  deleteGroup(name: string): void {
    const g = this.group(name);
    for (const s of g.streams.values()) {
      s.close();
      rmSync(s.path, { force: true });
    }
    this.groups.delete(name);
    this.onChange();
  }

  close(): void {
    for (const g of this.groups.values()) for (const s of g.streams.values()) s.close();
  }
}
