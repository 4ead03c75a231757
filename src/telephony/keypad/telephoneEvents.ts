/**
 * RFC 4733 telephone-events from the caller, turned into keys. One key per event, per SSRC:
 *
 * - A packet starts a new event when its RTP timestamp differs from the stream's **last** event's (never a set of
 *   every timestamp seen, never the sequence number), or when it repeats that timestamp with the marker bit set
 *   after that event ended: SIPp restarts its event timestamps at the same value for every `play_dtmf`.
 * - The end (E bit) is sent three times, with the same or new sequence numbers: only the first counts.
 * - Tolerated: duration 0 in the first packet, the reserved R bit set, a lost start (the first packet seen
 *   already has E). Events 0-11 are keys (`0-9 * #`); 12-15 (A-D, no phone keypad has them) and anything
 *   above 15 are ignored, as are payloads shorter than 4 bytes.
 *
 * A key is reported on its first packet (`onKey`), so it reaches the session without waiting for the tone to end;
 * its span grows with each later packet (`onSpan`), which the masker and the transport dedupe read.
 *
 * @example
 *   const events = new TelephoneEvents({ onKey: (key, ssrc, ts, samples) => ..., onSpan: (ssrc, ts, samples) => ... });
 *   leg.onTelephoneEvent = (view, packet) => events.receive(view, packet);
 */
import type { RtpView } from '../media/rtp.js';

export const EVENT_KEYS = '0123456789*#';

/** Streams remembered at once: a caller has one, a re-INVITE or a restarted phone adds another. */
const STREAMS = 4;

interface EventStream {
  timestamp: number;
  ended: boolean;
  duration: number;
}

export interface TelephoneEventSink {
  /** A new key: its stream, its RTP timestamp and the duration (samples) known so far. */
  onKey(key: string, ssrc: number, timestamp: number, duration: number): void;
  /** The event of `ssrc` at `timestamp` now lasts `duration` samples (`ended` once its end was seen). */
  onSpan(ssrc: number, timestamp: number, duration: number, ended: boolean): void;
}

export class TelephoneEvents {
  private readonly streams = new Map<number, EventStream>();

  constructor(private readonly sink: TelephoneEventSink) {}

  receive(view: RtpView, packet: Buffer): void {
    if (view.payloadLength < 4) return;
    const at = view.payloadOffset;
    const event = packet[at]!;
    if (event >= EVENT_KEYS.length) return;
    const end = (packet[at + 1]! & 0x80) !== 0;
    const duration = packet.readUInt16BE(at + 2);
    const stream = this.streams.get(view.ssrc);
    const fresh = stream === undefined || stream.timestamp !== view.timestamp || (stream.ended && view.marker);
    if (fresh) {
      this.remember(view.ssrc, { timestamp: view.timestamp, ended: end, duration });
      this.sink.onKey(EVENT_KEYS[event]!, view.ssrc, view.timestamp, duration);
      if (end) this.sink.onSpan(view.ssrc, view.timestamp, duration, true);
      return;
    }
    if (stream.ended) return;
    stream.duration = Math.max(stream.duration, duration);
    stream.ended = end;
    this.sink.onSpan(view.ssrc, view.timestamp, stream.duration, end);
  }

  private remember(ssrc: number, stream: EventStream): void {
    this.streams.delete(ssrc);
    if (this.streams.size >= STREAMS) this.streams.delete(this.streams.keys().next().value!);
    this.streams.set(ssrc, stream);
  }
}
