/**
 * Test audio for the keypad: DTMF tones made in the test (level in dBm0 per tone, twist, frequency error, noise at
 * a signal-to-noise ratio), speech from `espeak-ng` resampled by `sox`, all through G.711 µ-law as a call carries
 * them, and `multimon-ng` as an independent decoder of what an agent heard.
 *
 * @example
 *   const audio = keyTones('1234', { toneMs: 60, gapMs: 60, levelDbm0: -10 });
 *   const speech = espeakSpeech(600);   // ten minutes
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import alawmulaw from 'alawmulaw';

export const RATE = 8000;
const ROWS = [697, 770, 852, 941];
const COLUMNS = [1209, 1336, 1477, 1633];
const KEYPAD = ['123', '456', '789', '*0#'];
/** The peak of a 0 dBm0 sine in 16-bit samples (G.711's full scale is +3.17 dBm0). */
export const ZERO_DBM0_PEAK = 32768 * 10 ** (-3.17 / 20);

export function frequenciesOf(key: string): [number, number] {
  const row = KEYPAD.findIndex((r) => r.includes(key));
  return [ROWS[row]!, COLUMNS[KEYPAD[row]!.indexOf(key)]!];
}

export interface ToneOptions {
  toneMs?: number;
  gapMs?: number;
  /** Level of each tone, dBm0 (of the row tone; the column tone is `twistDb` louder). */
  levelDbm0?: number;
  /** Column minus row level, dB: negative is normal twist, positive reverse. */
  twistDb?: number;
  /** Both frequencies off by this fraction (0.015 = +1.5%). */
  frequencyError?: number;
  /** White noise this many dB below the tones' power, over the whole signal; none when unset. */
  snrDb?: number;
  /** Silence before the first key. */
  leadMs?: number;
  seed?: number;
}

/** Where each tone lies (sample offsets) in a signal made by `keyTones`. */
export interface TonePlace {
  key: string;
  start: number;
  end: number;
}

/** `keys` as tones with gaps, µ-law encoded and decoded as a call carries them; and where each tone is. */
export function keyTones(keys: string, o: ToneOptions = {}): { samples: Int16Array; places: TonePlace[] } {
  const tone = Math.round(((o.toneMs ?? 80) * RATE) / 1000);
  const gap = Math.round(((o.gapMs ?? 80) * RATE) / 1000);
  const lead = Math.round(((o.leadMs ?? 100) * RATE) / 1000);
  const samples = new Float64Array(lead + keys.length * (tone + gap) + gap);
  const rowPeak = ZERO_DBM0_PEAK * 10 ** ((o.levelDbm0 ?? -10) / 20);
  const columnPeak = rowPeak * 10 ** ((o.twistDb ?? 0) / 20);
  const shift = 1 + (o.frequencyError ?? 0);
  const places: TonePlace[] = [];
  let at = lead;
  for (const key of keys) {
    const [row, column] = frequenciesOf(key);
    for (let i = 0; i < tone; i++) {
      const t = i / RATE;
      samples[at + i] = rowPeak * Math.sin(2 * Math.PI * row * shift * t) + columnPeak * Math.sin(2 * Math.PI * column * shift * t + 1);
    }
    places.push({ key, start: at, end: at + tone });
    at += tone + gap;
  }
  if (o.snrDb !== undefined) {
    const tonePower = (rowPeak ** 2 + columnPeak ** 2) / 2;
    const sigma = Math.sqrt(tonePower / 10 ** (o.snrDb / 10));
    const random = seeded(o.seed ?? 1);
    for (let i = 0; i < samples.length; i++) samples[i]! += sigma * gaussian(random);
  }
  return { samples: throughMulaw(samples), places };
}

/** Samples clipped to 16 bits, then µ-law encoded and decoded. */
export function throughMulaw(samples: Float64Array | Int16Array): Int16Array {
  const clipped = Int16Array.from(samples, (v) => Math.max(-32768, Math.min(32767, Math.round(v))));
  return alawmulaw.mulaw.decode(alawmulaw.mulaw.encode(clipped));
}

/** About `seconds` of English speech from espeak-ng in two voices, at 8000 Hz through µ-law. */
export function espeakSpeech(seconds: number): Int16Array {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paytone-speech-'));
  const words = ('the caller reads a card number slowly please hold while I check your account balance today morning payment seven ' +
    'eight nine zero one two three four five six hello thank you for calling customer service my name is anna how can I help you ' +
    'with your order delivery address street avenue river mountain music window kitchen yesterday tomorrow beautiful weather').split(' ');
  const random = seeded(7);
  const parts: Int16Array[] = [];
  let total = 0;
  for (const [n, voice] of ['en-us', 'en-us+f3', 'en-gb+m3', 'en-us+f5'].entries()) {
    const text = Array.from({ length: Math.ceil(seconds * 1.2) }, () => words[Math.floor(random() * words.length)]).join(' ');
    fs.writeFileSync(path.join(dir, 'text'), text);
    const wav = path.join(dir, `speech${n}.wav`);
    execFileSync('espeak-ng', ['-v', voice, '-s', '165', '-w', wav, '-f', path.join(dir, 'text')]);
    const raw = path.join(dir, `speech${n}.raw`);
    execFileSync('sox', [wav, '-r', '8000', '-c', '1', '-b', '16', '-e', 'signed-integer', raw]);
    const bytes = fs.readFileSync(raw);
    const samples = new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length >> 1);
    parts.push(samples);
    total += samples.length;
    if (total >= seconds * RATE) break;
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const all = new Int16Array(total);
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return throughMulaw(all.subarray(0, Math.min(total, seconds * RATE)));
}

/**
 * The beeps in `samples`: runs of 10 ms windows where one tone at `hz` holds most of the energy, apart by 30 ms and
 * more (a frame a receiver's jitter buffer dropped or concealed inside a beep does not make it two).
 */
export function beepsAt(samples: Int16Array, hz: number): number {
  const window = 80;
  const coefficient = 2 * Math.cos((2 * Math.PI * hz) / RATE);
  const floor = (ZERO_DBM0_PEAK * 10 ** (-35 / 20)) ** 2 / 2;
  let beeps = 0;
  let quiet = Infinity;
  for (let at = 0; at + window <= samples.length; at += window) {
    let s1 = 0;
    let s2 = 0;
    let energy = 0;
    for (let i = at; i < at + window; i++) {
      const s = samples[i]! + coefficient * s1 - s2;
      s2 = s1;
      s1 = s;
      energy += samples[i]! * samples[i]!;
    }
    const power = (2 * (s1 * s1 + s2 * s2 - coefficient * s1 * s2)) / (window * window);
    const beep = power > floor && power * window > 0.7 * energy;
    if (beep && quiet >= 3) beeps++;
    quiet = beep ? 0 : quiet + 1;
  }
  return beeps;
}

/** The keys `multimon-ng` decodes from `samples` (8000 Hz). */
export function multimonKeys(samples: Int16Array): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paytone-multimon-'));
  const raw = path.join(dir, 'heard.raw');
  fs.writeFileSync(raw, Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength));
  const wav = path.join(dir, 'heard.wav');
  execFileSync('sox', ['-t', 'raw', '-r', '8000', '-e', 'signed-integer', '-b', '16', '-c', '1', raw, wav]);
  const out = execFileSync('multimon-ng', ['-q', '-a', 'DTMF', '-t', 'wav', wav], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  fs.rmSync(dir, { recursive: true, force: true });
  return [...out.matchAll(/DTMF: (\S)/g)].map((m) => m[1]).join('');
}

/** The tools the in-band tests need, or the reason they are missing (CI=true: a failure, not a skip). */
export function audioToolsOrSkip(): string | undefined {
  for (const tool of ['sox', 'espeak-ng', 'multimon-ng']) {
    try {
      execFileSync('which', [tool], { stdio: 'ignore' });
    } catch {
      const missing = `${tool} is not installed (apt-get install sox espeak-ng multimon-ng)`;
      if (process.env.CI === 'true') throw new Error(`CI must have the audio tools: ${missing}`);
      return missing;
    }
  }
  return undefined;
}

export function seeded(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random());
}
