/**
 * The timing of the frames paytone sends on agent legs, as the agents receive them: per stream, each frame's place
 * on its 20 ms grid comes from its RTP timestamp (160 samples a frame), so a lost frame is not taken for a late one.
 *
 * - deviation: how far the gap between two frames of a stream is from 20 ms per frame between them;
 * - lateness: how long after its slot a frame arrived, the slots anchored at the stream's earliest frame of the
 *   window (the one that came soonest after its slot); a frame more than 20 ms after its slot is late.
 *
 * @example
 *   const timing = new FrameTiming(200);
 *   timing.record(callIndex, rtpTimestamp, performance.now());
 *   timing.summary();   // { frames, p50DeviationMs, p99DeviationMs, maxDeviationMs, lateFrames, maxLatenessMs }
 */
import { percentile } from '../load.js';

const FRAME_MS = 20;
const FRAME_SAMPLES = 160;
/** A frame this much later than its slot is late (the minimum: none is). */
export const LATE_MS = 20;

interface Stream {
  firstTimestamp: number;
  lastFrame: number;
  lastAt: number;
  /** Arrival minus slot (ms) of each frame, in arrival order. */
  offsets: number[];
}

export interface FrameTimingFigures {
  streams: number;
  frames: number;
  p50DeviationMs: number;
  p99DeviationMs: number;
  maxDeviationMs: number;
  /** Frames that arrived more than 20 ms after their slot. */
  lateFrames: number;
  maxLatenessMs: number;
  /** Frames that never came (gaps in the timestamps). */
  missingFrames: number;
}

export class FrameTiming {
  private readonly streams: Array<Stream | null>;
  private readonly deviations: number[] = [];
  private recording = false;
  private missing = 0;

  constructor(streams: number) {
    this.streams = Array.from({ length: streams }, () => null);
  }

  /** From now on frames count; before, streams only find their grid. */
  start(): void {
    this.recording = true;
    this.streams.fill(null);
  }

  stop(): void {
    this.recording = false;
  }

  record(stream: number, timestamp: number, at: number): void {
    if (!this.recording) return;
    const known = this.streams[stream];
    if (known === null || known === undefined) {
      this.streams[stream] = { firstTimestamp: timestamp, lastFrame: 0, lastAt: at, offsets: [at] };
      return;
    }
    const frame = ((timestamp - known.firstTimestamp) >>> 0) / FRAME_SAMPLES;
    // A frame older than the last (reordered, or a timestamp jump backwards) is left out of the gaps.
    if (frame > known.lastFrame && frame < known.lastFrame + 3000) {
      const frames = frame - known.lastFrame;
      this.deviations.push(Math.abs(at - known.lastAt - frames * FRAME_MS));
      this.missing += frames - 1;
      known.lastFrame = frame;
      known.lastAt = at;
    }
    known.offsets.push(at - frame * FRAME_MS);
  }

  summary(): FrameTimingFigures {
    let frames = 0;
    let late = 0;
    let maxLateness = 0;
    let streams = 0;
    for (const stream of this.streams) {
      if (stream === null || stream === undefined) continue;
      streams++;
      const anchor = stream.offsets.reduce((min, offset) => Math.min(min, offset), Infinity);
      for (const offset of stream.offsets) {
        const lateness = offset - anchor;
        frames++;
        if (lateness > LATE_MS) late++;
        if (lateness > maxLateness) maxLateness = lateness;
      }
    }
    return {
      streams,
      frames,
      p50DeviationMs: percentile(this.deviations, 50),
      p99DeviationMs: percentile(this.deviations, 99),
      maxDeviationMs: percentile(this.deviations, 100),
      lateFrames: late,
      maxLatenessMs: maxLateness,
      missingFrames: this.missing,
    };
  }
}
