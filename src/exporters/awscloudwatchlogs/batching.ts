// The PutLogEvents batch rules applied before sending: events grouped by stream, sorted by
// time, and split so that no request exceeds 10,000 events, 1,048,576 bytes or 24 hours.
import type { CwlEvent } from './events.js';

/** PutLogEvents API reference: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html */
export const MAX_REQUEST_BYTES = 1_048_576;
export const MAX_REQUEST_EVENTS = 10_000;
export const MAX_REQUEST_SPAN_MS = 24 * 60 * 60 * 1000;
/** Events older than this are rejected by the service. */
export const MAX_AGE_MS = 14 * 24 * 60 * 60 * 1000;
/** Events further in the future than this are rejected by the service. */
export const MAX_FUTURE_MS = 2 * 60 * 60 * 1000;

/** One PutLogEvents request: events of one stream, in chronological order. */
export interface PutRequest {
  readonly group: string;
  readonly stream: string;
  readonly events: readonly CwlEvent[];
}

export type TimeReason = 'too_old' | 'too_new';

/** Why the service would refuse this event for its time, or undefined when it would take it. */
export function timeProblem(timestamp: number, nowMs: number): TimeReason | undefined {
  if (timestamp < nowMs - MAX_AGE_MS) return 'too_old';
  if (timestamp > nowMs + MAX_FUTURE_MS) return 'too_new';
  return undefined;
}

/**
 * Split events into requests: one stream each (in order of first appearance), sorted by
 * timestamp (stable, so records of the same millisecond keep their order), and cut when
 * the next event would pass 10,000 events, 1,048,576 bytes (message bytes + 26 each), or
 * reach 24 hours after the request's first event.
 */
export function planRequests(events: readonly CwlEvent[]): PutRequest[] {
  const byStream = new Map<string, CwlEvent[]>();
  for (const e of events) {
    const key = `${e.group}\u0000${e.stream}`;
    let list = byStream.get(key);
    if (!list) byStream.set(key, (list = []));
    list.push(e);
  }
  const requests: PutRequest[] = [];
  for (const list of byStream.values()) {
    const sorted = [...list].sort((a, b) => a.timestamp - b.timestamp);
    const first = sorted[0];
    if (!first) continue;
    let current: CwlEvent[] = [];
    let bytes = 0;
    for (const e of sorted) {
      const start = current[0];
      if (start && (current.length === MAX_REQUEST_EVENTS || bytes + e.size > MAX_REQUEST_BYTES || e.timestamp - start.timestamp >= MAX_REQUEST_SPAN_MS)) {
        requests.push({ group: first.group, stream: first.stream, events: current });
        current = [];
        bytes = 0;
      }
      current.push(e);
      bytes += e.size;
    }
    if (current.length > 0) requests.push({ group: first.group, stream: first.stream, events: current });
  }
  return requests;
}

/** What PutLogEvents' rejectedLogEventsInfo says, by reason. */
export interface RejectedLogEventsInfo {
  readonly tooNewLogEventStartIndex?: number;
  readonly tooOldLogEventEndIndex?: number;
  readonly expiredLogEventEndIndex?: number;
}

export type RejectReason = 'too_old' | 'too_new' | 'expired';

/**
 * The positions (in the request) of the events the service refused: [0, tooOldLogEventEndIndex)
 * and [0, expiredLogEventEndIndex) (end exclusive) and [tooNewLogEventStartIndex, n) (start
 * inclusive), as the API reference defines them; an event in two ranges counts once.
 */
export function rejectedPositions(info: RejectedLogEventsInfo | undefined, count: number): Map<number, RejectReason> {
  const out = new Map<number, RejectReason>();
  if (!info) return out;
  const clamp = (n: number | undefined): number => Math.max(0, Math.min(count, Math.trunc(n ?? 0)));
  for (let i = 0; i < clamp(info.expiredLogEventEndIndex); i++) out.set(i, 'expired');
  for (let i = 0; i < clamp(info.tooOldLogEventEndIndex); i++) if (!out.has(i)) out.set(i, 'too_old');
  if (info.tooNewLogEventStartIndex !== undefined && info.tooNewLogEventStartIndex !== null) {
    for (let i = clamp(info.tooNewLogEventStartIndex); i < count; i++) if (!out.has(i)) out.set(i, 'too_new');
  }
  return out;
}
