/**
 * The masker: what stands between the caller's keypad and the agent's ears. The caller's audio passes through a
 * fixed look-ahead delay line of `DELAY_FRAMES` frames (80 ms) before it may reach an agent. The in-band detector
 * runs in front of it on the newest audio and analyses whole 102-sample blocks, so when a frame leaves the line
 * the detector has seen at least 67 ms past its end: a key it confirms 25.5 ms into the tone is known before the
 * frame holding the tone's first sample leaves, and the mask can begin before the tone does ("step-back").
 *
 * Masked span of a key, on the caller's media timeline (TELEPHONY.md, "Masking"):
 * - in-band: from 45 ms before the detector's start of the key to 20 ms after its end (open while it is heard);
 * - RFC 4733 and SIP INFO: the event's span plus 20 ms.
 * A key heard on two transports is one key: its spans join, and it is masked (and counted) once.
 *
 * What the agent hears in a masked span (`PAYTONE_DTMF_MASK`): `silence`, or `flat`: silence with one identical
 * 60 ms beep at the start of each key, so the agent knows the caller is typing and how many keys, never which.
 * The beep is a single 1000 Hz tone, which no DTMF decoder reads as a key (a key is two tones). A caller whose
 * audio stops while it sends events (many phones do; SIPp sends none) sends no frame to put the beep in: the beep
 * then goes to the agent at once, on its own.
 *
 * Measured on tones made in the tests (test/telephony/keypad/keyMasker.test.ts): 0 tone samples reach the agent,
 * and no masked sample is more than 50 ms from a tone.
 *
 * @example
 *   const masker = new KeyMasker('flat');
 *   const path = throughStages([detectorStage, masker.stage], agentQueue);
 *   masker.cover(heardKey, start - 360, null);   // an in-band key being heard
 *   masker.ended(heardKey, end + 160);           // its tone ended
 */
import type { AudioStage, FrameSink } from '../media/frames.js';
import { FRAME_SAMPLES } from '../media/g711.js';
import { timeDiff } from './keyTimeline.js';

export type MaskSound = 'flat' | 'silence';
export const MASK_SOUNDS: readonly MaskSound[] = ['flat', 'silence'];

/** Frames held back: 80 ms, so that the detector (a block behind at worst) has seen 60 ms and more past each. */
export const DELAY_FRAMES = 4;
/** A mask starts this long (samples) before an in-band key's start: 45 ms. */
export const STEP_BACK = 360;
/** And ends this long after a key's end: 20 ms. */
export const HANG = 160;
const RATE = 8000;
const BEEP_SAMPLES = 480;
const BEEP_HZ = 1000;
/** About -17 dBm0: heard, not loud. */
const BEEP_PEAK = 3300;
const RAMP = 32;
/** Keys remembered at once; an old one whose span is long released goes first. */
const KEPT = 16;

/** One identical beep for every key, made once: a short ramp at both ends so it does not click. */
export const MASK_BEEP = Int16Array.from({ length: BEEP_SAMPLES }, (_, i) => {
  const ramp = Math.min(1, i / RAMP, (BEEP_SAMPLES - 1 - i) / RAMP);
  return Math.round(BEEP_PEAK * ramp * Math.sin((2 * Math.PI * BEEP_HZ * i) / RATE));
});

/** Which keys of a call the agent must not hear, and what it hears instead. */
export interface KeyMasking {
  sound: MaskSound;
  /** Whether a key heard now on the call is masked: during a pay session always; outside one as the account says. */
  masks(): boolean;
}

export interface MaskCounts {
  /** Keys masked on this call (one per key, however many transports carried it). */
  keys: number;
  /** Audio the agent did not hear because of a key, in samples (8 per ms). */
  samples: number;
}

interface MaskedKey {
  from: number;
  to: number;
  /** An in-band key still being heard: masked from `from` on, whatever `to` says. */
  open: boolean;
  /** Where its beep starts (flat); null once played on its own. */
  beep: number | null;
  /**
   * Whether `beep` was moved to the first masked sample of the first frame released in the span: a span may begin
   * where the caller sent no audio (before a stream starts), and the whole beep must be heard.
   */
  placed: boolean;
}

export class KeyMasker {
  readonly counts: MaskCounts = { keys: 0, samples: 0 };
  readonly stage: AudioStage = (next) => this.delayLine(next);
  private readonly keys = new Map<object, MaskedKey>();
  private readonly slots = Array.from({ length: DELAY_FRAMES + 1 }, () => ({ samples: new Int16Array(FRAME_SAMPLES), time: 0 }));
  private held = 0;
  private head = 0;
  /** Where released frames go. */
  private next: FrameSink | null = null;

  /** `onSpan`: told each masked key's span (samples) once it is over, for the operator's metrics. */
  constructor(
    private readonly sound: MaskSound,
    private readonly onSpan?: (samples: number) => void,
  ) {}

  /**
   * Masks `key` (any object standing for one key) over `from`..`to`, or from `from` on while `open`; widens it when
   * known. `audioIdle`: the caller sends no audio now, so a new key's beep is played at once.
   */
  cover(key: object, from: number, to: number, open = false, audioIdle = false): void {
    const masked = this.keys.get(key);
    if (masked === undefined) {
      let beep: number | null = from;
      if (audioIdle && this.sound === 'flat' && this.next !== null) {
        for (let at = 0; at < BEEP_SAMPLES; at += FRAME_SAMPLES) this.next.write(MASK_BEEP.subarray(at, at + FRAME_SAMPLES), (from + at) >>> 0);
        beep = null;
      }
      this.keys.set(key, { from, to, open, beep, placed: false });
      this.counts.keys++;
      if (this.keys.size > KEPT) this.keys.delete(this.keys.keys().next().value!);
      return;
    }
    if (timeDiff(from, masked.from) < 0) masked.from = from;
    if (timeDiff(to, masked.to) > 0) masked.to = to;
    masked.open ||= open;
  }

  /** An in-band key's tone ended: its mask ends at `to` (unless another transport's span goes on). */
  ended(key: object, to: number): void {
    const masked = this.keys.get(key);
    if (masked === undefined) return;
    masked.open = false;
    if (timeDiff(to, masked.to) > 0) masked.to = to;
  }

  /** The call ended: nothing held outlives it. */
  clear(): void {
    for (const masked of this.keys.values()) if (!masked.open) this.onSpan?.(timeDiff(masked.to, masked.from));
    this.keys.clear();
    for (const slot of this.slots) slot.samples.fill(0);
    this.held = 0;
  }

  private delayLine(next: FrameSink): FrameSink {
    this.next = next;
    return {
      write: (samples, mediaTime) => {
        const slots = this.slots;
        const slot = slots[(this.head + this.held) % slots.length]!;
        slot.samples.set(samples);
        slot.time = mediaTime;
        if (++this.held <= DELAY_FRAMES) return;
        const out = slots[this.head]!;
        this.head = (this.head + 1) % slots.length;
        this.held--;
        this.mask(out.samples, out.time);
        next.write(out.samples, out.time);
      },
    };
  }

  /** Rewrites the masked part of the frame at `time` in place. */
  private mask(frame: Int16Array, time: number): void {
    for (const [key, masked] of this.keys) {
      const from = Math.max(0, timeDiff(masked.from, time));
      const to = masked.open ? FRAME_SAMPLES : Math.min(FRAME_SAMPLES, timeDiff(masked.to, time));
      if (from < to) {
        frame.fill(0, from, to);
        this.counts.samples += to - from;
        if (!masked.placed && masked.beep !== null) masked.beep = (time + from) >>> 0;
        masked.placed = true;
      }
      if (this.sound === 'flat' && masked.beep !== null) {
        const beepFrom = Math.max(0, timeDiff(masked.beep, time));
        const beepTo = Math.min(FRAME_SAMPLES, timeDiff(masked.beep, time) + BEEP_SAMPLES);
        for (let i = beepFrom; i < beepTo; i++) frame[i] = MASK_BEEP[i - timeDiff(masked.beep, time)]!;
      }
      // Long released (a second past its span and its beep): forgotten.
      if (!masked.open && timeDiff(time, masked.to) > RATE && (masked.beep === null || timeDiff(time, masked.beep) > RATE)) {
        this.onSpan?.(timeDiff(masked.to, masked.from));
        this.keys.delete(key);
      }
    }
  }
}
