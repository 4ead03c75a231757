/**
 * What the bench's callers send, made once and shared by every call: 20 ms µ-law payloads of line noise (a quiet
 * line at about -50 dBm0, never digital silence, so the in-band detector does its whole work on every block), of
 * each key's tones (-10 dBm0 per tone, phase-continuous over the key), and RFC 4733 event payloads.
 *
 * @example
 *   const audio = keypadAudio();
 *   packet.set(audio.noise[frame % audio.noise.length]!, 12);
 */
import alawmulaw from 'alawmulaw';

const RATE = 8000;
export const FRAME_SAMPLES = 160;
/** Frames of one key's tone, and from one key's start to the next's (100 ms of tone, 200 ms of line). */
export const TONE_FRAMES = 5;
export const KEY_FRAMES = 15;
const ROWS = [697, 770, 852, 941];
const COLUMNS = [1209, 1336, 1477];
const KEYPAD = ['123', '456', '789', '*0#'];
/** The peak of a 0 dBm0 sine in 16-bit samples (G.711's full scale is +3.17 dBm0). */
const ZERO_DBM0_PEAK = 32768 * 10 ** (-3.17 / 20);
export const EVENT_CODES: Record<string, number> = { '*': 10, '#': 11, ...Object.fromEntries([...'0123456789'].map((d) => [d, Number(d)])) };

export interface KeypadAudio {
  /** One second of line noise, frame by frame. */
  noise: Buffer[];
  /** Each key's tone frames. */
  tones: Map<string, Buffer[]>;
}

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

export function keypadAudio(): KeypadAudio {
  const random = seeded(22);
  const noiseRms = ZERO_DBM0_PEAK * Math.SQRT1_2 * 10 ** (-50 / 20);
  const noise = Array.from({ length: 50 }, () => {
    const samples = Int16Array.from({ length: FRAME_SAMPLES }, () => Math.round(noiseRms * Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random())));
    return Buffer.from(alawmulaw.mulaw.encode(samples));
  });
  const peak = ZERO_DBM0_PEAK * 10 ** (-10 / 20);
  const tones = new Map<string, Buffer[]>();
  for (const [row, keys] of KEYPAD.entries()) {
    for (const [column, key] of [...keys].entries()) {
      const frames = Array.from({ length: TONE_FRAMES }, (_, f) => {
        const samples = Int16Array.from({ length: FRAME_SAMPLES }, (_, i) => {
          const t = (f * FRAME_SAMPLES + i) / RATE;
          return Math.round(peak * Math.sin(2 * Math.PI * ROWS[row]! * t) + peak * Math.sin(2 * Math.PI * COLUMNS[column]! * t + 1));
        });
        return Buffer.from(alawmulaw.mulaw.encode(samples));
      });
      tones.set(key, frames);
    }
  }
  return { noise, tones };
}
