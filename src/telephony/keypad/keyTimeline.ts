/**
 * The keys a call heard lately, on the caller's media timeline (RTP timestamps, 8 kHz samples), so that a key
 * that arrives on two transports counts once: an RFC 4733 event and an in-band tone of the same key whose spans
 * overlap are one key, wherever they fall in wall-clock time, and a real "44" (two spans, apart) stays two keys.
 * A heard key takes at most one report from each other transport. SIP INFO carries no timestamp: it is placed at
 * the media time it arrived, so it matches with a wider margin. Reports of one key also arrive close together in
 * wall-clock time: a sender whose events and audio keep clocks of their own (SIPp's events stand still between
 * keys, its audio between streams) can put keys typed seconds apart on one spot of the timeline, and they stay two.
 *
 * @example
 *   const timeline = new KeyTimeline();
 *   timeline.offer('4', 'rfc4733', 1000, 1960, performance.now()).fresh;   // true: a new key
 *   timeline.offer('4', 'in-band', 1040, 1900, performance.now()).fresh;   // false: the same key
 */
import type { KeyTransport } from '../callerKeys.js';

export interface HeardKey {
  key: string;
  transports: Set<KeyTransport>;
  start: number;
  end: number;
  /** When its first report arrived (ms, monotonic). */
  at: number;
}

/** How far apart (samples) two transports' spans of one key may be: RTP timestamps are exact. */
const MARGIN = 160;
/** SIP INFO is placed where it arrived, on another path than the audio: 200 ms either way. */
const INFO_MARGIN = 1600;
/** How far apart (ms, wall clock) two transports' reports of one key may arrive: a jitter buffer and more. */
const ARRIVAL_WINDOW_MS = 1000;
/** Keys are kept this long after they end (samples), and at most `KEPT` of them. */
const KEPT_SAMPLES = 16_000;
const KEPT = 16;

/** `a - b` on the 32-bit RTP timestamp circle. */
export function timeDiff(a: number, b: number): number {
  return (a - b) | 0;
}

export class KeyTimeline {
  private readonly keys: HeardKey[] = [];

  /** The key this report is: a new one (`fresh`), or one another transport already reported (the report joins it). */
  offer(key: string, transport: KeyTransport, start: number, end: number, at: number): { heard: HeardKey; fresh: boolean } {
    this.forget(start);
    const same = this.match(key, transport, start, end, at);
    if (same !== null) {
      same.transports.add(transport);
      if (timeDiff(end, same.end) > 0) same.end = end;
      return { heard: same, fresh: false };
    }
    const heard: HeardKey = { key, transports: new Set([transport]), start, end, at };
    this.keys.push(heard);
    if (this.keys.length > KEPT) this.keys.shift();
    return { heard, fresh: true };
  }

  /** The key the other transport reported that this span overlaps, the nearest in start first. */
  private match(key: string, transport: KeyTransport, start: number, end: number, at: number): HeardKey | null {
    let best: HeardKey | null = null;
    for (const heard of this.keys) {
      if (heard.key !== key || heard.transports.has(transport) || Math.abs(at - heard.at) > ARRIVAL_WINDOW_MS) continue;
      const margin = transport === 'sip-info' || heard.transports.has('sip-info') ? INFO_MARGIN : MARGIN;
      if (timeDiff(start, heard.end) > margin || timeDiff(heard.start, end) > margin) continue;
      if (best === null || Math.abs(timeDiff(start, heard.start)) < Math.abs(timeDiff(start, best.start))) best = heard;
    }
    return best;
  }

  private forget(now: number): void {
    while (this.keys.length > 0 && timeDiff(now, this.keys[0]!.end) > KEPT_SAMPLES) this.keys.shift();
  }

  /** Drops every key (the call ended): no digit outlives its call. */
  clear(): void {
    this.keys.length = 0;
  }
}
