/**
 * MP3 files for `<Play>`, as Twilio plays them (`audio/mpeg`): decoded by mpg123 built to WebAssembly (npm
 * `mpg123-decoder`: MIT, no native build, decodes MPEG layers I-III at any rate), mixed to mono and resampled to
 * 8 kHz like a WAV file. A file is decoded once, when it is fetched, never on the media path: the bytes go in 16 KB at
 * a time with a turn of the event loop between, so a long file cannot hold up the calls' audio while it decodes.
 *
 * @example
 *   if (looksLikeMp3(bytes, 'audio/mpeg', url)) {
 *     const read = await decodeMp3(bytes);
 *     if (read.ok) read.samples.length / 8000 // seconds
 *   }
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { MPEGDecoder } from 'mpg123-decoder';
import { resample, type ReadAudio } from './audioFiles.js';

const MP3_TYPES = new Set(['audio/mpeg', 'audio/mp3', 'audio/mpeg3', 'audio/x-mpeg', 'audio/x-mpeg-3', 'audio/mpg']);
const CHUNK_BYTES = 16 * 1024;

/** An MP3 (and not a WAV file, whatever its label) by its type, its URL's ending, an ID3 tag or an MPEG audio frame header at its start. */
export function looksLikeMp3(bytes: Uint8Array, contentType: string, url = ''): boolean {
  if (bytes.length >= 4 && Buffer.from(bytes.subarray(0, 4)).toString('latin1') === 'RIFF') return false;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (MP3_TYPES.has(type) || /\.mp3$/.test(url.replace(/[?#].*$/, '').toLowerCase())) return true;
  const id3 = bytes.length >= 3 && bytes[0] === 0x49 && bytes[1] === 0x44 && bytes[2] === 0x33;
  // 11 bits of frame sync, then a layer that is not "reserved".
  const frameSync = bytes.length >= 2 && bytes[0] === 0xff && (bytes[1]! & 0xe0) === 0xe0 && (bytes[1]! & 0x06) !== 0;
  return id3 || frameSync;
}

/** The file's audio at 8 kHz mono. Never throws: a file mpg123 cannot read is a problem in words. */
export async function decodeMp3(bytes: Uint8Array): Promise<ReadAudio> {
  const decoder = new MPEGDecoder();
  try {
    await decoder.ready;
    const parts: Float32Array[] = [];
    let sampleRate = 0;
    for (let at = 0; at < bytes.length; at += CHUNK_BYTES) {
      const decoded = decoder.decode(bytes.subarray(at, at + CHUNK_BYTES));
      if (decoded.samplesDecoded > 0) {
        if (sampleRate !== 0 && decoded.sampleRate !== sampleRate) return { ok: false, problem: 'its MP3 frames change their sample rate' };
        sampleRate = decoded.sampleRate;
        parts.push(mono(decoded.channelData, decoded.samplesDecoded));
      }
      if (at + CHUNK_BYTES < bytes.length) await nextTurn();
    }
    if (sampleRate === 0) return { ok: false, problem: 'it is labelled MP3 but holds no MPEG audio frame paytone can decode' };
    return { ok: true, samples: resample(toInt16(parts), sampleRate) };
  } catch (err) {
    return { ok: false, problem: `its MP3 audio could not be decoded (${err instanceof Error ? err.message.slice(0, 100) : 'decoder error'})` };
  } finally {
    decoder.free();
  }
}

function mono(channels: Float32Array[], length: number): Float32Array {
  if (channels.length === 1) return channels[0]!.slice(0, length);
  const out = new Float32Array(length);
  for (const channel of channels) for (let i = 0; i < length; i++) out[i]! += channel[i]! / channels.length;
  return out;
}

function toInt16(parts: Float32Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) out[at + i] = Math.max(-32768, Math.min(32767, Math.round(part[i]! * 32767)));
    at += part.length;
  }
  return out;
}
