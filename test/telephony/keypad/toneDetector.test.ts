/**
 * The in-band detector against tones made here with known levels, twist, frequency error and noise, and against
 * ten minutes of espeak-ng speech (talk-off).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ToneDetector } from '../../../src/telephony/keypad/toneDetector.js';
import { audioToolsOrSkip, espeakSpeech, keyTones, multimonKeys, type ToneOptions } from '../../support/dtmfSignals.js';

const ALL_KEYS = '0123456789*#';

/** Runs `samples` through a detector in 20 ms frames, as a call's audio arrives. */
function detect(samples: Int16Array): { keys: string; spans: Array<{ key: string; start: number; end: number }>; rejected: number } {
  const spans: Array<{ key: string; start: number; end: number }> = [];
  let keys = '';
  let rejected = 0;
  const detector = new ToneDetector({ onKey: (key) => (keys += key), onEnd: (key, start, end) => spans.push({ key, start, end }), onReject: () => rejected++ });
  for (let at = 0; at + 160 <= samples.length; at += 160) detector.write(samples.subarray(at, at + 160), at);
  return { keys, spans, rejected };
}

const typed = (o: ToneOptions, keys = ALL_KEYS) => detect(keyTones(keys, o).samples).keys;

describe('the in-band detector', () => {
  it('reads every key at levels from 0 to -25 dBm0 per tone, and none at -40', () => {
    for (const levelDbm0 of [0, -10, -20, -25]) assert.equal(typed({ levelDbm0 }), ALL_KEYS, `${levelDbm0} dBm0`);
    assert.equal(typed({ levelDbm0: -40 }), '', '-40 dBm0');
  });

  it('reads every key just above the -32 dBm0 limit and none just below, quiet blocks around them or not', () => {
    assert.equal(typed({ levelDbm0: -30 }), ALL_KEYS, '-30 dBm0');
    assert.equal(typed({ levelDbm0: -30, snrDb: 20, seed: 7 }), ALL_KEYS, '-30 dBm0 in noise');
    assert.equal(typed({ levelDbm0: -34 }), '', '-34 dBm0');
  });

  it('accepts twist up to 6 dB normal and 3 dB reverse, rejects 12 dB normal and 8 dB reverse', () => {
    assert.equal(typed({ twistDb: -6 }), ALL_KEYS, 'normal 6 dB');
    assert.equal(typed({ twistDb: 3 }), ALL_KEYS, 'reverse 3 dB');
    assert.equal(typed({ twistDb: -12 }), '', 'normal 12 dB');
    assert.equal(typed({ twistDb: 8 }), '', 'reverse 8 dB');
  });

  it('accepts ±1.5% frequency error and rejects ±3.5%', () => {
    for (const e of [0.015, -0.015]) assert.equal(typed({ frequencyError: e }), ALL_KEYS, `${e * 100}%`);
    for (const e of [0.035, -0.035]) assert.equal(typed({ frequencyError: e }), '', `${e * 100}%`);
  });

  it('accepts 40 ms tones and rejects 20 ms ones, with 40 ms gaps', () => {
    // Each run starts the tones at another place in the 102-sample blocks.
    for (let lead = 0; lead < 102; lead += 5) {
      assert.equal(typed({ toneMs: 40, gapMs: 40, leadMs: lead / 8 }), ALL_KEYS, `40 ms, ${lead} samples in`);
      const short = detect(keyTones(ALL_KEYS, { toneMs: 20, gapMs: 40, leadMs: lead / 8 }).samples);
      assert.equal(short.keys, '', `20 ms, ${lead} samples in`);
      assert.ok(short.rejected > 0, 'short tones count as rejections');
    }
  });

  it('reads every key in white noise at 20, 10 and 6 dB SNR', () => {
    for (const snrDb of [20, 10, 6]) assert.equal(typed({ snrDb, levelDbm0: -15, seed: snrDb }), ALL_KEYS, `${snrDb} dB SNR`);
  });

  it('a held key is one key, and a real "44" is two; spans match where the tones are', () => {
    const { samples, places } = keyTones('4449', { toneMs: 300, gapMs: 50 });
    const heard = detect(samples);
    assert.equal(heard.keys, '4449');
    heard.spans.forEach((span, i) => {
      assert.ok(Math.abs(span.start - places[i]!.start) <= 102, `key ${i} starts within a block of its tone`);
      assert.ok(span.end >= places[i]!.end - 102 && span.end <= places[i]!.end + 102, `key ${i} ends within a block of its tone`);
    });
  });

  it('multimon-ng, an independent decoder, agrees on the test tones', { skip: audioToolsOrSkip() }, () => {
    assert.equal(multimonKeys(keyTones(ALL_KEYS, { levelDbm0: -10 }).samples), ALL_KEYS);
  });

  it('talk-off: at most 1 false key in ten minutes of espeak-ng speech', { skip: audioToolsOrSkip() }, () => {
    const speech = espeakSpeech(600);
    assert.ok(speech.length >= 600 * 8000 * 0.99, `${speech.length / 8000} s of speech`);
    const heard = detect(speech);
    assert.ok(heard.keys.length <= 1, `${heard.keys.length} false keys in 10 minutes of speech`);
  });
});
