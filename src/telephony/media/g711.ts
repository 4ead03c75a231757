/**
 * G.711 µ-law (PCMU, payload type 0) and A-law (PCMA, 8), bit-exact through `alawmulaw` (chosen for that: it
 * follows ITU-T G.711's tables and has no dependencies). Its per-sample functions are turned into lookup tables
 * once, so decoding a 20 ms frame is 160 array reads into a buffer the caller owns, and encoding is the same.
 *
 * @example
 *   decodeG711('PCMU', payload, 0, 160, samples);   // samples: Int16Array(160)
 *   encodeG711('PCMA', samples, packet, 12);
 */
import alawmulaw from 'alawmulaw';

export type G711 = 'PCMU' | 'PCMA';

/** Samples per 20 ms frame at 8000 Hz, and bytes per encoded frame. */
export const FRAME_SAMPLES = 160;

function tables(codec: typeof alawmulaw.mulaw): { decode: Int16Array; encode: Uint8Array } {
  const decode = new Int16Array(256);
  for (let byte = 0; byte < 256; byte++) decode[byte] = codec.decodeSample(byte);
  const encode = new Uint8Array(65536);
  for (let sample = -32768; sample < 32768; sample++) encode[sample & 0xffff] = codec.encodeSample(sample);
  return { decode, encode };
}

const TABLES: Record<G711, { decode: Int16Array; encode: Uint8Array }> = { PCMU: tables(alawmulaw.mulaw), PCMA: tables(alawmulaw.alaw) };

export function decodeG711(codec: G711, payload: Buffer, offset: number, length: number, out: Int16Array, outOffset = 0): void {
  const table = TABLES[codec].decode;
  for (let i = 0; i < length; i++) out[outOffset + i] = table[payload[offset + i]!]!;
}

export function encodeG711(codec: G711, samples: Int16Array, out: Buffer, offset: number): void {
  const table = TABLES[codec].encode;
  for (let i = 0; i < samples.length; i++) out[offset + i] = table[samples[i]! & 0xffff]!;
}
