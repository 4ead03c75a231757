/**
 * One real call's keypad: the `CallerTap` that hears the caller's keys on every transport, puts them on the
 * caller's media timeline, counts each key once, and hands it on (`CallerKeys`). It also keeps the per-call counts
 * an operator sees: keys per transport, reports that were the same key again, keys masked from the agent and the
 * detector's rejections (never which key), and tells its `KeypadObserver` (the process's metrics) as they happen.
 *
 * The media timeline is the caller's RTP timestamps, read from the audio frames as they pass: an RFC 4733 event
 * carries its own timestamp; a SIP INFO is placed at the media time it arrived. A sender whose event timestamps
 * are not on its audio's timeline (SIPp's `play_dtmf` restarts them at 24400 each time) has its events placed where
 * they arrived too, keeping their durations.
 *
 * The caller's audio then passes the masker (`KeyMasker`, an 80 ms look-ahead delay line) on its way to an agent:
 * each key is masked when the call's masking (`CallerKeys.maskingOf`) says so as it is heard.
 *
 * @example
 *   const keypad = new CallKeypad(callSid, callerKeys);
 *   SipCall.inbound(record, leg, deps, keypad);
 */
import type { AudioStage, FrameSink } from '../media/frames.js';
import { FRAME_SAMPLES } from '../media/g711.js';
import type { RtpView } from '../media/rtp.js';
import type { CallerTap } from '../callerAudio.js';
import type { CallerKeys, KeyTransport } from '../callerKeys.js';
import { KeyTimeline, timeDiff, type HeardKey } from './keyTimeline.js';
import { TelephoneEvents } from './telephoneEvents.js';
import { readInfoKey } from './sipInfoKeys.js';
import { BLOCK_SAMPLES, ToneDetector } from './toneDetector.js';
import { HANG, KeyMasker, STEP_BACK, type KeyMasking, type MaskCounts } from './keyMasker.js';

const SAMPLES_PER_MS = 8;
/** An event timestamp this far (samples) from the audio's media time is on a timeline of its own. */
const OFF_TIMELINE = 8000;

export interface KeypadCounts {
  /** Keys counted, by the transport that reported them first. */
  rfc4733: number;
  sipInfo: number;
  inBand: number;
  /** Reports of a key another transport had already reported. */
  sameKeyAgain: number;
  /** Tone blocks the in-band detector saw as a key but never confirmed (too short, or not the same key twice). */
  rejected: number;
}

/** What an operator's metrics learn of a call's keypad: counts and durations, never a key. */
export interface KeypadObserver {
  /** A key counted, and how long after its start on the media timeline it was known (detection latency). */
  keyCounted(transport: KeyTransport, detectionSeconds: number): void;
  /** A transport reported a key another one had already carried. */
  repeated(): void;
  /** The in-band detector saw a key in some blocks but never confirmed it. */
  rejected(): void;
  /** The masker took one key's span, this long, out of the agent's audio (told once the span is over). */
  masked(spanSeconds: number): void;
}

const NO_OBSERVER: KeypadObserver = { keyCounted: () => undefined, repeated: () => undefined, rejected: () => undefined, masked: () => undefined };

export class CallKeypad implements CallerTap {
  readonly stages: AudioStage[];
  readonly counts: KeypadCounts = { rfc4733: 0, sipInfo: 0, inBand: 0, sameKeyAgain: 0, rejected: 0 };
  private readonly timeline = new KeyTimeline();
  private readonly events: TelephoneEvents;
  /** The RFC 4733 event being received: where it sits on the media timeline and the key it became or joined. */
  private event: { ssrc: number; timestamp: number; offset: number; heard: HeardKey } | null = null;
  /** The in-band key being heard: the key it became or joined. */
  private tone: HeardKey | null = null;
  private readonly detector: ToneDetector;
  private lastFrame: { time: number; at: number } | null = null;
  private closed = false;
  private readonly masking: KeyMasking;
  private readonly masker: KeyMasker;

  constructor(
    private readonly callSid: string,
    private readonly keys: CallerKeys,
    private readonly clock: { now(): number; monotonic(): number } = { now: Date.now, monotonic: () => performance.now() },
    private readonly observer: KeypadObserver = NO_OBSERVER,
  ) {
    this.detector = new ToneDetector({
      onKey: (key, start) => (this.tone = this.report(key, 'in-band', start, (start + 2 * BLOCK_SAMPLES) >>> 0)),
      onEnd: (_key, _start, end) => this.toneEnded(end),
      onReject: () => {
        this.counts.rejected++;
        this.observer.rejected();
      },
    });
    // The detector always runs, whatever else carries the keys: senders put keys in the audio and in events both.
    // It listens in front of the masker's delay line, so it has heard 60 ms and more past each frame released.
    this.masking = keys.maskingOf(callSid);
    this.masker = new KeyMasker(this.masking.sound, (samples) => this.observer.masked(samples / (SAMPLES_PER_MS * 1000)));
    this.stages = [(next) => this.listen(next), this.masker.stage];
    this.events = new TelephoneEvents({
      onKey: (key, ssrc, timestamp, duration) => this.eventStarted(key, ssrc, timestamp, duration),
      onSpan: (ssrc, timestamp, duration) => this.eventLasts(ssrc, timestamp, duration),
    });
  }

  telephoneEvent(view: RtpView, packet: Buffer): void {
    if (!this.closed) this.events.receive(view, packet);
  }

  info(contentType: string, body: Buffer): void {
    const read = this.closed ? null : readInfoKey(contentType, body);
    if (read === null) return;
    const start = this.mediaNow();
    this.report(read.key, 'sip-info', start, (start + read.durationMs * SAMPLES_PER_MS) >>> 0);
  }

  /** Keys masked on this call and the audio they took from the agent (counts only, never a key). */
  get maskCounts(): MaskCounts {
    return this.masker.counts;
  }

  close(): void {
    this.masker.clear();
    this.closed = true;
    this.event = null;
    this.tone = null;
    this.timeline.clear();
    this.keys.ended(this.callSid);
  }

  /** The caller's media time now: just past the last frame, plus the time since it arrived. */
  mediaNow(): number {
    const now = this.clock.monotonic();
    if (this.lastFrame === null) return Math.round(now * SAMPLES_PER_MS) >>> 0;
    return (this.lastFrame.time + FRAME_SAMPLES + Math.round((now - this.lastFrame.at) * SAMPLES_PER_MS)) >>> 0;
  }

  /** Follows the media timeline and runs the in-band detector on each frame, passing it on at once. */
  private listen(next: FrameSink): FrameSink {
    return {
      write: (samples, mediaTime) => {
        const at = this.clock.monotonic();
        if (this.lastFrame === null) this.lastFrame = { time: mediaTime, at };
        else {
          this.lastFrame.time = mediaTime;
          this.lastFrame.at = at;
        }
        if (!this.closed) this.detector.write(samples, mediaTime);
        next.write(samples, mediaTime);
      },
    };
  }

  private toneEnded(end: number): void {
    if (this.tone !== null && timeDiff(end, this.tone.end) > 0) this.tone.end = end;
    if (this.tone !== null) this.masker.ended(this.tone, (end + HANG) >>> 0);
    this.tone = null;
  }

  private eventStarted(key: string, ssrc: number, timestamp: number, duration: number): void {
    const now = this.mediaNow();
    const start = Math.abs(timeDiff(timestamp, now)) <= OFF_TIMELINE ? timestamp : (now - duration) >>> 0;
    const heard = this.report(key, 'rfc4733', start, (start + duration) >>> 0);
    this.event = { ssrc, timestamp, offset: timeDiff(start, timestamp), heard };
  }

  private eventLasts(ssrc: number, timestamp: number, duration: number): void {
    const event = this.event;
    if (event === null || event.ssrc !== ssrc || event.timestamp !== timestamp) return;
    const end = (timestamp + event.offset + duration) >>> 0;
    if (timeDiff(end, event.heard.end) > 0) event.heard.end = end;
    if (this.masking.masks()) this.masker.cover(event.heard, (timestamp + event.offset) >>> 0, (end + HANG) >>> 0);
  }

  /** Counts a transport's report; a new key goes on to the session or the IVR. */
  private report(key: string, transport: KeyTransport, start: number, end: number): HeardKey {
    const { heard, fresh } = this.timeline.offer(key, transport, start, end, this.clock.monotonic());
    this.mask(heard, transport, start, end);
    if (!fresh) {
      this.counts.sameKeyAgain++;
      this.observer.repeated();
      return heard;
    }
    if (transport === 'rfc4733') this.counts.rfc4733++;
    else if (transport === 'sip-info') this.counts.sipInfo++;
    else this.counts.inBand++;
    this.observer.keyCounted(transport, Math.max(0, timeDiff(this.mediaNow(), start)) / (SAMPLES_PER_MS * 1000));
    this.keys.heard(this.callSid, key, { transport, mediaTime: start, at: this.clock.now() });
    return heard;
  }

  /**
   * Masks a key as it is reported, when the call's keys are masked now: an in-band key from 45 ms before its start
   * for as long as it is heard, an event (or INFO) over its span plus 20 ms; a key reported again only widens.
   */
  private mask(heard: HeardKey, transport: KeyTransport, start: number, end: number): void {
    if (!this.masking.masks()) return;
    if (transport === 'in-band') this.masker.cover(heard, (start - STEP_BACK) >>> 0, start, true);
    else this.masker.cover(heard, start, (end + HANG) >>> 0, false, this.audioIdle());
  }

  /** No caller audio for three frames' time: a phone that stops its audio while it sends events, or SIPp. */
  private audioIdle(): boolean {
    return this.lastFrame === null || this.clock.monotonic() - this.lastFrame.at > 60;
  }
}
