/**
 * Decoded audio between the legs: 20 ms frames of 160 16-bit samples at 8000 Hz. A frame handed to `write` is
 * lent, valid only during the call (the sender reuses it for the next packet): a stage that keeps audio copies it.
 *
 * The caller's audio reaches the agent through `AudioStage`s composed in front of the agent's queue. A stage may
 * pass a frame on at once (a detector that only listens) or later (a look-ahead delay line that must see 60 ms
 * past a frame before it releases it, rewritten or masked): it owns when and what it writes next.
 *
 * @example
 *   const path = throughStages([detector, masker], agentMedia.outgoing);
 *   callerMedia.sink = path;
 */
import { FRAME_SAMPLES } from './g711.js';

export interface FrameSink {
  /** One frame; `mediaTime` is its first sample's RTP timestamp on the sender's timeline. */
  write(samples: Int16Array, mediaTime: number): void;
}

/** Builds a stage in front of `next`. */
export type AudioStage = (next: FrameSink) => FrameSink;

/** The sink that runs `stages` in order and ends in `sink`. */
export function throughStages(stages: AudioStage[], sink: FrameSink): FrameSink {
  return stages.reduceRight<FrameSink>((next, stage) => stage(next), sink);
}

/**
 * Frames waiting for the 20 ms beat of a sender, copied into slots allocated once: a small jitter buffer. After it
 * ran dry it releases nothing until `prefill` frames wait again, so packets that arrive unevenly still leave
 * evenly (each dry beat would otherwise put a frame of silence into the middle of the audio). Full, the oldest
 * frame is dropped, so a sender that fell behind catches up instead of adding delay.
 */
export class FrameQueue implements FrameSink {
  private readonly slots: Int16Array[];
  private head = 0;
  private count = 0;
  private primed = false;
  dropped = 0;

  constructor(
    capacity = 8,
    private readonly prefill = 3,
  ) {
    this.slots = Array.from({ length: capacity }, () => new Int16Array(FRAME_SAMPLES));
  }

  get length(): number {
    return this.count;
  }

  write(samples: Int16Array): void {
    if (this.count === this.slots.length) {
      this.head = (this.head + 1) % this.slots.length;
      this.count--;
      this.dropped++;
    }
    this.slots[(this.head + this.count) % this.slots.length]!.set(samples);
    this.count++;
  }

  /** The oldest frame (lent until the next write), or null when none waits. */
  take(): Int16Array | null {
    if (this.count === 0) this.primed = false;
    else if (this.count >= this.prefill) this.primed = true;
    if (!this.primed) return null;
    const frame = this.slots[this.head]!;
    this.head = (this.head + 1) % this.slots.length;
    this.count--;
    return frame;
  }

  /** Drops up to `frames` of the oldest frames waiting. */
  drop(frames: number): void {
    const dropped = Math.min(frames, this.count);
    this.head = (this.head + dropped) % this.slots.length;
    this.count -= dropped;
    this.dropped += dropped;
  }

  clear(): void {
    this.count = 0;
    this.primed = false;
  }
}
