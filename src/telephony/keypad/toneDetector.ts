/**
 * The in-band DTMF detector: the caller's decoded audio, in blocks of 102 samples (12.75 ms at 8000 Hz), through
 * Goertzel filters at the eight DTMF frequencies. A block holds a key when
 *
 * - the strongest row tone and the strongest column tone are each above -32 dBm0,
 * - together they hold at least 60% of the block's energy (speech and noise spread theirs; at 55%, two keys in ten
 *   minutes of espeak-ng speech),
 * - the twist is within 8 dB with the row tone louder (normal) or 4 dB with the column tone louder (reverse),
 * - every other row and every other column is at least 8 dB below the winner of its group.
 *
 * - (to start a key) each tone is as strong, within 3 dB, in the block's first half as in its second: the tones
 *   fill the whole block.
 *
 * Two such blocks in a row, their tones within 3 dB of each other, confirm a key, which then lives on through
 * blocks that pass looser limits (4 dB lower level, 40% of the energy, 2 dB more twist, 6 dB to the others) and
 * ends after two blocks that do not. A 40 ms tone always fills two whole blocks, a 20 ms one never does: it is
 * at most one whole block, or two blocks each partly silent. ±1.5% of frequency error is accepted, ±3.5% is not.
 *
 * Times are media times (RTP timestamps of the caller's audio): a key starts at its first agreeing block.
 *
 * @example
 *   const detector = new ToneDetector({ onKey: (key, start) => ..., onEnd: (key, start, end) => ..., onReject: () => ... });
 *   detector.write(frame, mediaTime);
 */
export const BLOCK_SAMPLES = 102;
const RATE = 8000;
const ROWS = [697, 770, 852, 941];
const COLUMNS = [1209, 1336, 1477, 1633];
const KEYS = ['123A', '456B', '789C', '*0#D'];
/** The power of a 0 dBm0 sine in 16-bit samples: G.711's full scale is +3.17 dBm0. */
const ZERO_DBM0 = (32768 * 10 ** (-3.17 / 20)) ** 2 / 2;

const dB = (db: number) => 10 ** (db / 10);

interface Limits {
  level: number;
  share: number;
  normalTwist: number;
  reverseTwist: number;
  others: number;
}

const STRICT: Limits = { level: ZERO_DBM0 * dB(-32), share: 0.6, normalTwist: dB(8), reverseTwist: dB(4), others: dB(8) };
const LOOSE: Limits = { level: ZERO_DBM0 * dB(-36), share: 0.4, normalTwist: dB(10), reverseTwist: dB(6), others: dB(6) };

/** Keeps rounding in the filters from ever making the quiet-block bound reject a block the filters would pass. */
const QUIET_MARGIN = 0.999;
const STEADY = dB(3);
const EVEN = dB(3);
const HALF = BLOCK_SAMPLES / 2;
const COEFFICIENTS = [...ROWS, ...COLUMNS].map((f) => 2 * Math.cos((2 * Math.PI * f) / RATE));

export interface ToneSink {
  /** A key confirmed; `start` is the media time of its first agreeing block. */
  onKey(key: string, start: number): void;
  /** The key ended at `end` (the media time just past its last block). */
  onEnd(key: string, start: number, end: number): void;
  /** Blocks that looked like a key but were never confirmed (too short, or not the same key twice). */
  onReject?(): void;
}

export class ToneDetector {
  private readonly block = new Float64Array(BLOCK_SAMPLES);
  private readonly power = new Float64Array(8);
  private filled = 0;
  private blockStart = 0;
  private expected: number | null = null;
  /** A key seen in the last block, waiting for the next to agree: where its run of blocks began, its tones' power. */
  private candidate: { key: string; start: number; row: number; column: number } | null = null;
  /** The tones' power in the last block analysed. */
  private row = 0;
  private column = 0;
  private active: { key: string; start: number; end: number; misses: number } | null = null;
  /** Blocks analysed (for the benchmark's cost per block). */
  blocks = 0;

  constructor(private readonly sink: ToneSink) {}

  /** The key being heard now, if any: masking reads it. */
  get hearing(): { key: string; start: number } | null {
    return this.active;
  }

  write(samples: Int16Array, mediaTime: number): void {
    // A gap in the timeline (lost packets, a re-INVITE): the block in hand belongs to nothing.
    if (this.expected !== null && this.expected !== mediaTime) this.filled = 0;
    this.expected = (mediaTime + samples.length) >>> 0;
    for (let i = 0; i < samples.length; i++) {
      if (this.filled === 0) this.blockStart = (mediaTime + i) >>> 0;
      this.block[this.filled++] = samples[i]!;
      if (this.filled === BLOCK_SAMPLES) {
        this.filled = 0;
        this.analyse(this.blockStart);
      }
    }
  }

  private analyse(start: number): void {
    this.blocks++;
    const key = this.keyIn(this.active ? LOOSE : STRICT);
    const end = (start + BLOCK_SAMPLES) >>> 0;
    const active = this.active;
    if (active !== null) {
      if (key === active.key) {
        active.end = end;
        active.misses = 0;
      } else if (++active.misses >= 2) {
        this.active = null;
        this.sink.onEnd(active.key, active.start, active.end);
        if (key !== null && this.keyIn(STRICT) === key) this.candidate = { key, start, row: this.row, column: this.column };
      }
      return;
    }
    const candidate = this.candidate;
    if (key === null) {
      if (candidate !== null) this.sink.onReject?.();
      this.candidate = null;
    } else if (candidate?.key === key && steady(candidate.row, this.row) && steady(candidate.column, this.column)) {
      this.active = { key, start: candidate.start, end, misses: 0 };
      this.candidate = null;
      this.sink.onKey(key, this.active.start);
    } else if (candidate?.key === key) {
      // The same key, louder or softer: a block only partly filled by the tone, and this one. Their run goes on.
      this.candidate = { key, start: candidate.start, row: this.row, column: this.column };
    } else {
      if (candidate !== null) this.sink.onReject?.();
      this.candidate = { key, start, row: this.row, column: this.column };
    }
  }

  /** Whether the tone at filter `f` is as strong (within 3 dB) in the block's first half as in its second. */
  private even(f: number): boolean {
    const first = goertzel(this.block, 0, HALF, COEFFICIENTS[f]!);
    const second = goertzel(this.block, HALF, HALF, COEFFICIENTS[f]!);
    return first <= second * EVEN && second <= first * EVEN;
  }

  /** The key this block holds under `limits`, or null. */
  private keyIn(limits: Limits): string | null {
    const block = this.block;
    let energy = 0;
    for (let i = 0; i < BLOCK_SAMPLES; i++) energy += block[i]! * block[i]!;
    // No sine in the block can be stronger than 2 x energy / N (Cauchy-Schwarz on its Goertzel sum): a block too
    // quiet to hold a tone at the level limit (line noise, silence) needs no filter run, and its answer is the same.
    if (energy * 2 < limits.level * BLOCK_SAMPLES * QUIET_MARGIN) return null;
    const power = this.power;
    // The power (A²/2) of the sine at each frequency.
    for (let f = 0; f < 8; f++) power[f] = (2 * goertzel(block, 0, BLOCK_SAMPLES, COEFFICIENTS[f]!)) / (BLOCK_SAMPLES * BLOCK_SAMPLES);
    const row = strongest(power, 0);
    const column = strongest(power, 4);
    const rowPower = power[row]!;
    const columnPower = power[column]!;
    this.row = rowPower;
    this.column = columnPower;
    if (rowPower < limits.level || columnPower < limits.level) return null;
    if ((rowPower + columnPower) * BLOCK_SAMPLES < limits.share * energy) return null;
    if (rowPower > columnPower * limits.normalTwist || columnPower > rowPower * limits.reverseTwist) return null;
    for (let f = 0; f < 4; f++) {
      if (f !== row && power[f]! * limits.others > rowPower) return null;
      if (f + 4 !== column && power[f + 4]! * limits.others > columnPower) return null;
    }
    // Strictly, both tones fill the whole block: as strong in its first half as in its second. A block a tone
    // covers only in part (a 20 ms tone straddles two) is uneven, by 5 dB when a quarter of it is silence.
    if (limits === STRICT && !(this.even(row) && this.even(column))) return null;
    const key = KEYS[row]![column - 4]!;
    // A-D: no phone keypad has them; a block of one is no key.
    return key >= 'A' && key <= 'D' ? null : key;
  }
}

/** Goertzel power of `coefficient` over `length` samples of `block` from `from`. */
function goertzel(block: Float64Array, from: number, length: number, coefficient: number): number {
  let s1 = 0;
  let s2 = 0;
  for (let i = from; i < from + length; i++) {
    const s = block[i]! + coefficient * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return s1 * s1 + s2 * s2 - coefficient * s1 * s2;
}

/** Two blocks of one steady tone: within 3 dB of each other (a block half filled by a tone is 6 dB down). */
function steady(a: number, b: number): boolean {
  return a <= b * STEADY && b <= a * STEADY;
}

function strongest(power: Float64Array, from: number): number {
  let best = from;
  for (let f = from + 1; f < from + 4; f++) if (power[f]! > power[best]!) best = f;
  return best;
}
