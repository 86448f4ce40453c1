// CloudWatch Logs operations (Logs_20140328.*). Timestamps are epoch milliseconds.
import { AwsError, type Json, bool, list, num, obj, pageOf, str } from "../protocol.ts";
import { filterLogEvents, getLogEvents } from "./read.ts";
import { type LogGroup, type LogStore, checkGroupName, checkStreamName } from "./store.ts";
import type { LogStream } from "./stream.ts";

export interface LogsContext {
  region: string;
  accountId: string;
}

const invalid = (m: string): AwsError => new AwsError("InvalidParameterException", m);

function intIn(body: Json, key: string, min: number, max: number, def: number): number {
  const v = num(body, key);
  if (v === undefined) return def;
  if (!Number.isInteger(v) || v < min || v > max)
    throw invalid(
      `1 validation error detected: Value '${v}' at '${key}' failed to satisfy constraint: Member must have value between ${min} and ${max}`,
    );
  return v;
}

/** logGroupName or logGroupIdentifier (name or ARN), exactly one. */
function groupOf(store: LogStore, body: Json): LogGroup {
  const name = str(body, "logGroupName");
  const ident = str(body, "logGroupIdentifier");
  if (name !== undefined && ident !== undefined) throw invalid("LogGroup name and LogGroup ARN are mutually exclusive parameters.");
  if (name === undefined && ident === undefined) throw invalid("Either logGroupName or logGroupIdentifier must be specified.");
  if (name !== undefined) return store.group(checkGroupName(name));
  const m = /^arn:aws[a-z-]*:logs:[^:]*:[^:]*:log-group:([^:]+)(?::\*)?$/.exec(ident!);
  return store.group(checkGroupName(m ? m[1] : ident, "logGroupIdentifier"));
}

function streamOf(group: LogGroup, body: Json): LogStream {
  const name = checkStreamName(body.logStreamName);
  const s = group.streams.get(name);
  if (!s) throw new AwsError("ResourceNotFoundException", "The specified log stream does not exist.");
  return s;
}

const groupArn = (c: LogsContext, g: string): string => `arn:aws:logs:${c.region}:${c.accountId}:log-group:${g}`;

function tagMap(v: Json | undefined): Record<string, string> {
  if (!v) return {};
  const entries = Object.entries(v);
  if (entries.length > 50)
    throw invalid(
      "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50",
    );
  for (const [k, val] of entries)
    if (typeof val !== "string" || k.length < 1 || k.length > 128 || val.length > 256) throw invalid(`Invalid tag ${k}`);
  return v as Record<string, string>;
}

export function handleLogs(store: LogStore, action: string, body: Json, ctx: LogsContext): Json {
  switch (action) {
    case "CreateLogGroup": {
      const name = checkGroupName(body.logGroupName);
      if (name.startsWith("aws/")) throw invalid("Log group names cannot start with 'aws/'.");
      const cls = str(body, "logGroupClass") ?? "STANDARD";
      if (!["STANDARD", "INFREQUENT_ACCESS", "DELIVERY"].includes(cls)) throw invalid(`Invalid logGroupClass ${cls}`);
      store.createGroup(name, tagMap(obj(body, "tags")), cls);
      return {};
    }
    case "DeleteLogGroup":
      store.deleteGroup(checkGroupName(body.logGroupName));
      return {};
    case "CreateLogStream": {
      const g = store.group(checkGroupName(body.logGroupName));
      store.createStream(g, checkStreamName(body.logStreamName));
      return {};
    }
    case "DeleteLogStream": {
      const g = store.group(checkGroupName(body.logGroupName));
      store.deleteStream(g, checkStreamName(body.logStreamName));
      return {};
    }
    case "DescribeLogGroups": {
      const prefix = str(body, "logGroupNamePrefix");
      const pattern = str(body, "logGroupNamePattern");
      if (prefix !== undefined && pattern !== undefined)
        throw invalid("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.");
      const limit = intIn(body, "limit", 1, 50, 50);
      const all = [...store.groups.values()]
        .filter(
          (g) =>
            (prefix === undefined || g.name.startsWith(prefix)) &&
            (pattern === undefined || g.name.toLowerCase().includes(pattern.toLowerCase())),
        )
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const [page, more] = pageOf(all, str(body, "nextToken"), limit);
      return {
        logGroups: page.map((g) => ({
          logGroupName: g.name,
          creationTime: g.creationTime,
          ...(g.retentionInDays !== undefined ? { retentionInDays: g.retentionInDays } : {}),
          metricFilterCount: 0,
          arn: `${groupArn(ctx, g.name)}:*`,
          logGroupArn: groupArn(ctx, g.name),
          storedBytes: [...g.streams.values()].reduce((n, s) => n + s.storedBytes, 0),
          logGroupClass: g.logGroupClass,
        })),
        ...more,
      };
    }
    case "DescribeLogStreams": {
      const g = groupOf(store, body);
      const prefix = str(body, "logStreamNamePrefix");
      const orderBy = str(body, "orderBy") ?? "LogStreamName";
      if (orderBy !== "LogStreamName" && orderBy !== "LastEventTime") throw invalid(`Invalid orderBy ${orderBy}`);
      if (prefix !== undefined && orderBy === "LastEventTime") throw invalid("Cannot order by LastEventTime with a logStreamNamePrefix.");
      const desc = bool(body, "descending") ?? false;
      const limit = intIn(body, "limit", 1, 50, 50);
      const all = [...g.streams.values()].filter((s) => prefix === undefined || s.name.startsWith(prefix));
      if (orderBy === "LogStreamName") all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      else all.sort((a, b) => (a.lastEventTimestamp ?? 0) - (b.lastEventTimestamp ?? 0));
      if (desc) all.reverse();
      const [page, more] = pageOf(all, str(body, "nextToken"), limit);
      return {
        logStreams: page.map((s) => ({
          logStreamName: s.name,
          creationTime: s.creationTime,
          ...(s.firstEventTimestamp !== undefined
            ? { firstEventTimestamp: s.firstEventTimestamp, lastEventTimestamp: s.lastEventTimestamp }
            : {}),
          ...(s.lastIngestionTime !== undefined ? { lastIngestionTime: s.lastIngestionTime } : {}),
          arn: `${groupArn(ctx, g.name)}:log-stream:${s.name}`,
          storedBytes: 0,
        })),
        ...more,
      };
    }
    case "PutLogEvents":
      return putLogEvents(store, body);
    case "GetLogEvents": {
      const g = groupOf(store, body);
      const s = streamOf(g, body);
      const startTime = num(body, "startTime");
      const endTime = num(body, "endTime");
      const nextToken = str(body, "nextToken");
      return getLogEvents(s, {
        startTime,
        endTime,
        nextToken,
        limit: intIn(body, "limit", 1, 10000, 10000),
        startFromHead: bool(body, "startFromHead") ?? false,
      }) as unknown as Json;
    }
    case "FilterLogEvents": {
      const g = groupOf(store, body);
      const names = list<string>(body, "logStreamNames");
      const prefix = str(body, "logStreamNamePrefix");
      if (names !== undefined && prefix !== undefined) throw invalid("You cannot specify both logStreamNames and logStreamNamePrefix.");
      if (names !== undefined && (names.length < 1 || names.length > 100)) throw invalid("logStreamNames must have 1..100 items.");
      const pattern = str(body, "filterPattern");
      if (pattern !== undefined && pattern.length > 1024) throw invalid("filterPattern must be at most 1024 characters.");
      let streams = [...g.streams.values()];
      if (names) streams = streams.filter((s) => names.includes(s.name));
      if (prefix !== undefined) streams = streams.filter((s) => s.name.startsWith(prefix));
      streams.sort((a, b) => (a.name < b.name ? -1 : 1));
      const r = filterLogEvents({
        streams,
        startTime: num(body, "startTime"),
        endTime: num(body, "endTime"),
        filterPattern: pattern,
        nextToken: str(body, "nextToken"),
        limit: intIn(body, "limit", 1, 10000, 10000),
      });
      return { events: r.events, searchedLogStreams: [], ...(r.nextToken ? { nextToken: r.nextToken } : {}) };
    }
    default:
      throw new AwsError("UnknownOperationException", "");
  }
}

const DAY = 86_400_000;

function putLogEvents(store: LogStore, body: Json): Json {
  const g = store.group(checkGroupName(body.logGroupName));
  const s = streamOf(g, body);
  const events = list<Json>(body, "logEvents");
  if (!events || events.length < 1 || events.length > 10000)
    throw invalid(
      "1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length between 1 and 10000",
    );
  let bytes = 0;
  let prev = -Infinity;
  for (const [i, e] of events.entries()) {
    if (typeof e?.timestamp !== "number" || typeof e.message !== "string" || e.message.length < 1)
      throw invalid(
        `1 validation error detected: Value at 'logEvents.${i + 1}' failed to satisfy constraint: timestamp and a non-empty message are required`,
      );
    if (e.timestamp < prev) throw invalid("Log events in a single PutLogEvents request must be in chronological order.");
    prev = e.timestamp;
    const n = Buffer.byteLength(e.message, "utf8");
    if (n > 1_048_576 - 26) throw invalid("Log event too large: each event is limited to 1048550 bytes.");
    bytes += n + 26;
  }
  if (bytes > 1_048_576) throw invalid("Upload too large: the batch exceeds 1048576 bytes.");
  const first = events[0]!.timestamp as number;
  if (prev - first > DAY) throw invalid("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.");
  const now = Date.now();
  const retentionDays = g.retentionInDays ?? 14;
  let tooOldEnd = -1;
  let tooNewStart = -1;
  const accepted: Array<{ timestamp: number; message: string }> = [];
  for (const [i, e] of events.entries()) {
    const ts = e.timestamp as number;
    if (ts < now - retentionDays * DAY) tooOldEnd = i;
    else if (ts > now + 2 * 3600_000) {
      if (tooNewStart < 0) tooNewStart = i;
    } else accepted.push({ timestamp: ts, message: e.message as string });
  }
  s.append(accepted, now);
  const rejected: Json = {};
  if (tooOldEnd >= 0) rejected.tooOldLogEventEndIndex = tooOldEnd;
  if (tooNewStart >= 0) rejected.tooNewLogEventStartIndex = tooNewStart;
  return Object.keys(rejected).length ? { rejectedLogEventsInfo: rejected } : {};
}
