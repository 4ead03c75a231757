/**
 * Reads the audio files `<Play>` accepts into what a call sends: 8 kHz, 16-bit mono samples. A WAV file (PCM 8 or
 * 16 bit, µ-law, A-law; any rate, mono or stereo: channels are mixed, rates resampled linearly) or headerless µ-law
 * or A-law at 8 kHz, as telephony systems keep prompts (`audio/basic`, `.ul`, `.ulaw`, `.al`). MP3 is decoded by
 * mp3Audio.ts before it gets here. Anything else (a web page, Ogg) is named, never guessed at. Reading never throws.
 *
 * @example
 *   const read = readAudioFile(bytes, 'audio/wav');
 *   if (read.ok) read.samples.length / 8000 // seconds
 */
import alawmulaw from 'alawmulaw';

export type ReadAudio = { ok: true; samples: Int16Array } | { ok: false; problem: string };

const RATE = 8000;
/** WAV format codes. */
const PCM = 1;
const ALAW = 6;
const MULAW = 7;
const EXTENSIBLE = 0xfffe;

/** The file's samples at 8 kHz, from its bytes and its Content-Type (and its URL's ending when the type says little). */
export function readAudioFile(bytes: Uint8Array, contentType: string, url = ''): ReadAudio {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length >= 12 && buffer.toString('latin1', 0, 4) === 'RIFF' && buffer.toString('latin1', 8, 12) === 'WAVE') return readWav(buffer);
  const path = url.replace(/[?#].*$/, '').toLowerCase();
  if (type === 'audio/basic' || type === 'audio/x-mulaw' || type === 'audio/mulaw' || type === 'audio/pcmu' || /\.(ul|ulaw|mulaw|au)$/.test(path)) {
    return { ok: true, samples: alawmulaw.mulaw.decode(bytes) };
  }
  if (type === 'audio/x-alaw' || type === 'audio/alaw' || type === 'audio/pcma' || /\.(al|alaw)$/.test(path)) return { ok: true, samples: alawmulaw.alaw.decode(bytes) };
  return { ok: false, problem: `it is ${type === '' ? 'of no stated type' : type}; paytone plays MP3 (audio/mpeg), WAV (audio/wav) and µ-law or A-law at 8 kHz (audio/basic, audio/x-mulaw, audio/x-alaw)` };
}

function readWav(buffer: Buffer): ReadAudio {
  let format: { code: number; channels: number; rate: number; bits: number } | null = null;
  for (let at = 12; at + 8 <= buffer.length; ) {
    const id = buffer.toString('latin1', at, at + 4);
    const size = buffer.readUInt32LE(at + 4);
    const body = buffer.subarray(at + 8, Math.min(buffer.length, at + 8 + size));
    if (id === 'fmt ' && body.length >= 16) {
      let code = body.readUInt16LE(0);
      if (code === EXTENSIBLE && body.length >= 26) code = body.readUInt16LE(24);
      format = { code, channels: body.readUInt16LE(2), rate: body.readUInt32LE(4), bits: body.readUInt16LE(14) };
    } else if (id === 'data') {
      if (format === null) return { ok: false, problem: 'its WAV data comes before its format' };
      return decodeWav(body, format);
    }
    at += 8 + size + (size % 2);
  }
  return { ok: false, problem: 'it is a WAV file without audio data' };
}

function decodeWav(data: Buffer, f: { code: number; channels: number; rate: number; bits: number }): ReadAudio {
  if (f.channels < 1 || f.channels > 8 || f.rate < 4000 || f.rate > 192_000) return { ok: false, problem: `its WAV format (${f.channels} channels at ${f.rate} Hz) is not one paytone plays` };
  let mono: Int16Array;
  if (f.code === PCM && f.bits === 16) mono = mix(new Int16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length - (data.length % 2))), f.channels);
  else if (f.code === PCM && f.bits === 8) mono = mix(Int16Array.from(data, (b) => (b - 128) << 8), f.channels);
  else if (f.code === MULAW && f.bits === 8) mono = mix(alawmulaw.mulaw.decode(data), f.channels);
  else if (f.code === ALAW && f.bits === 8) mono = mix(alawmulaw.alaw.decode(data), f.channels);
  else return { ok: false, problem: `its WAV encoding (format ${f.code}, ${f.bits} bits) is not PCM 8/16-bit, µ-law or A-law` };
  return { ok: true, samples: resample(mono, f.rate) };
}

function mix(samples: Int16Array, channels: number): Int16Array {
  if (channels === 1) return samples;
  const out = new Int16Array(Math.floor(samples.length / channels));
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += samples[i * channels + c]!;
    out[i] = Math.round(sum / channels);
  }
  return out;
}

/**
 * To 8 kHz by linear interpolation, after a moving-average low-pass over each output sample's span when coming
 * down from a higher rate (enough for speech prompts; the telephone band ends at 3.4 kHz anyway).
 */
export function resample(samples: Int16Array, rate: number): Int16Array {
  if (rate === RATE) return samples;
  const step = rate / RATE;
  const out = new Int16Array(Math.floor(samples.length / step));
  const span = Math.max(1, Math.floor(step));
  for (let i = 0; i < out.length; i++) {
    const position = i * step;
    const left = Math.floor(position);
    if (span > 1) {
      let sum = 0;
      let count = 0;
      for (let k = left; k < left + span && k < samples.length; k++, count++) sum += samples[k]!;
      out[i] = Math.round(sum / Math.max(1, count));
    } else {
      const next = samples[Math.min(left + 1, samples.length - 1)]!;
      out[i] = Math.round(samples[left]! + (next - samples[left]!) * (position - left));
    }
  }
  return out;
}
