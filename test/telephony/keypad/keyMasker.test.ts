/**
 * The masker against ground truth: keys made here as tones at known places in a noisy line, run through a call's
 * keypad (detector, then the look-ahead delay line) as 20 ms frames. What comes out is what an agent hears: no
 * sample of any tone, nothing changed more than 50 ms from a tone, and with `flat` exactly one beep per key.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../../src/log.js';
import { CallerKeys } from '../../../src/telephony/callerKeys.js';
import { CallKeypad } from '../../../src/telephony/keypad/callKeypad.js';
import { DELAY_FRAMES, MASK_BEEP, type MaskSound } from '../../../src/telephony/keypad/keyMasker.js';
import { ToneDetector } from '../../../src/telephony/keypad/toneDetector.js';
import { throughStages } from '../../../src/telephony/media/frames.js';
import { newRtpView, readRtp, writeRtpHeader } from '../../../src/telephony/media/rtp.js';
import { audioToolsOrSkip, beepsAt, keyTones, multimonKeys, type TonePlace } from '../../support/dtmfSignals.js';

const CA = 'CA' + '2'.repeat(32);
const FRAME = 160;
/** Where the caller's media timeline starts: any RTP timestamp. */
const BASE = 4_000_000;

/** Keys of every length the detector takes (40 ms up), at every place in a frame, in a line with noise 30 dB down. */
function typedLine(): { samples: Int16Array; places: TonePlace[] } {
  const parts: Array<{ samples: Int16Array; places: TonePlace[] }> = [];
  const runs: Array<[string, number, number, number]> = [
    ['0123', 40, 60, 3],
    ['4567', 45, 70, 11.3],
    ['89*#', 60, 40, 7.9],
    ['4242', 100, 100, 0],
    ['1111', 70, 50, 17.1],
    ['5', 400, 100, 5],
  ];
  for (const [keys, toneMs, gapMs, leadMs] of runs) parts.push(keyTones(keys, { toneMs, gapMs, leadMs: 200 + leadMs, levelDbm0: -12, snrDb: 30, seed: keys.length + toneMs }));
  const total = parts.reduce((n, p) => n + p.samples.length, 0);
  const samples = new Int16Array(Math.ceil(total / FRAME) * FRAME + FRAME * (DELAY_FRAMES + 1));
  const places: TonePlace[] = [];
  let at = 0;
  for (const part of parts) {
    samples.set(part.samples, at);
    for (const place of part.places) places.push({ key: place.key, start: place.start + at, end: place.end + at });
    at += part.samples.length;
  }
  return { samples, places };
}

/** A call's keypad; what the agent hears, sample for sample aligned with what the caller sent. */
async function agentHears(samples: Int16Array, o: { sound?: MaskSound; masks?: boolean; events?: TonePlace[] } = {}) {
  const typed: string[] = [];
  const keys = new CallerKeys({
    sessions: {
      async keypress(_sid, k) {
        typed.push(k);
        return true;
      },
    },
    log: createLogger({ level: 'silent' }),
    masking: { sound: o.sound ?? 'silence', payMayBeOpen: () => o.masks ?? true, masksEveryKey: async () => false },
  });
  const clock = { ms: 0, now: () => 1_700_000_000_000 + clock.ms, monotonic: () => clock.ms };
  const keypad = new CallKeypad(CA, keys, clock);
  // The account's answer (keys outside a pay session pass) is in before the call's audio.
  await new Promise((resolve) => setImmediate(resolve));
  const heard = new Int16Array(samples.length);
  const frames: Int16Array[] = [];
  const audio = throughStages(keypad.stages, {
    write: (frame, time) => {
      frames.push(Int16Array.from(frame));
      if (time - BASE >= 0 && time - BASE + FRAME <= heard.length) heard.set(frame, time - BASE);
    },
  });
  const view = newRtpView();
  const event = (place: TonePlace, duration: number, end: boolean) => {
    const p = Buffer.alloc(16);
    writeRtpHeader(p, duration === 0, 96, 1, (BASE + place.start) >>> 0, 0x01020305);
    p[12] = '0123456789*#'.indexOf(place.key);
    p[13] = end ? 0x8a : 0x0a;
    p.writeUInt16BE(duration, 14);
    readRtp(p, view);
    keypad.telephoneEvent(view, p);
  };
  for (let at = 0; at < samples.length; at += FRAME) {
    clock.ms += 20;
    // An event's packets come with the audio of their moment: every 20 ms, the end three times.
    for (const place of o.events ?? []) {
      if (place.start >= at + FRAME || place.end + 3 * FRAME < at) continue;
      const duration = Math.min(place.end, at + FRAME) - place.start;
      event(place, Math.max(0, duration), at + FRAME > place.end);
    }
    audio.write(samples.subarray(at, at + FRAME), BASE + at);
  }
  return { heard, frames, keypad, typed, event, clock };
}

/** Samples from `places`' tones that reached the agent unchanged (with `silence` every masked sample is 0). */
function leakedToneSamples(heard: Int16Array, places: TonePlace[]): number {
  let leaked = 0;
  for (const place of places) for (let i = place.start; i < place.end; i++) if (heard[i] !== 0) leaked++;
  return leaked;
}

/** Frames changed although every sample of theirs is more than 50 ms (400 samples) from every tone. */
function framesChangedAwayFromTones(sent: Int16Array, heard: Int16Array, places: TonePlace[]): number {
  let changed = 0;
  for (let at = 0; at + FRAME <= sent.length - DELAY_FRAMES * FRAME; at += FRAME) {
    const near = places.some((p) => at + FRAME > p.start - 400 && at < p.end + 400);
    if (near) continue;
    for (let i = at; i < at + FRAME; i++) {
      if (heard[i] !== sent[i]) {
        changed++;
        break;
      }
    }
  }
  return changed;
}

function beepsIn(heard: Int16Array): number {
  let beeps = 0;
  for (let i = 0; i + MASK_BEEP.length <= heard.length; i++) {
    let j = 0;
    while (j < MASK_BEEP.length && heard[i + j] === MASK_BEEP[j]) j++;
    if (j === MASK_BEEP.length) beeps++;
  }
  return beeps;
}

function detectorKeys(samples: Int16Array): string {
  let keys = '';
  const detector = new ToneDetector({ onKey: (key) => (keys += key), onEnd: () => undefined });
  for (let at = 0; at + FRAME <= samples.length; at += FRAME) detector.write(samples.subarray(at, at + FRAME), at);
  return keys;
}

describe('the masker', () => {
  const line = typedLine();
  const keys = line.places.map((p) => p.key).join('');

  it('lets no sample of any in-band tone through, and changes no frame more than 50 ms from a tone', async () => {
    const { heard, keypad, typed } = await agentHears(line.samples);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(typed.join(''), keys, 'the pay session got every key');
    assert.equal(leakedToneSamples(heard, line.places), 0);
    assert.equal(framesChangedAwayFromTones(line.samples, heard, line.places), 0);
    // Step-back: the detector starts a key at most a block (12.75 ms) late, the mask 45 ms before that.
    for (const place of line.places) assert.equal(leakedToneSamples(heard, [{ ...place, start: place.start - 240, end: place.start }]), 0, 'masked 30 ms ahead');
    assert.equal(keypad.maskCounts.keys, line.places.length);
    assert.equal(detectorKeys(heard), '', "paytone's detector reads no key from what the agent heard");
  });

  it('flat: one identical beep per key, and no key anyone can read from it', { skip: audioToolsOrSkip() }, async () => {
    const { heard } = await agentHears(line.samples, { sound: 'flat' });
    assert.equal(beepsIn(heard), line.places.length);
    assert.equal(beepsAt(heard, 1000), line.places.length, 'counted by ear, as in a recording');
    assert.equal(framesChangedAwayFromTones(line.samples, heard, line.places), 0);
    assert.equal(detectorKeys(heard), '');
    assert.equal(multimonKeys(heard), '', 'multimon-ng reads no key');
    assert.equal(multimonKeys(line.samples), keys, 'multimon-ng reads every key from the caller\'s line');
  });

  it('a key at the very start of the caller\'s audio (a stream starting with a tone) still gets its whole beep', async () => {
    const { samples, places } = keyTones('72', { toneMs: 100, gapMs: 100, leadMs: 0, levelDbm0: -12, snrDb: 30 });
    const padded = new Int16Array(samples.length + FRAME * 10);
    padded.set(samples);
    assert.equal(leakedToneSamples((await agentHears(padded)).heard, places), 0);
    assert.equal(beepsIn((await agentHears(padded, { sound: 'flat' })).heard), 2);
  });

  it('an RFC 4733 key masks its span, and the tone fragment a gateway let through in it', async () => {
    // 30 ms of tone at each event's start (too short for the detector): what a converting gateway leaks.
    const { samples, places } = keyTones('735', { toneMs: 30, gapMs: 300, leadMs: 200, levelDbm0: -12, snrDb: 30 });
    const padded = new Int16Array(samples.length + FRAME * 10);
    padded.set(samples);
    const events = places.map((p) => ({ key: p.key, start: p.start, end: p.start + 640 }));
    const { heard, keypad } = await agentHears(padded, { events, sound: 'flat' });
    assert.equal(keypad.counts.rfc4733, 3);
    assert.equal(beepsIn(heard), 3, 'one beep per event');
    for (const e of events) for (let i = e.start; i < e.end + 160; i++) assert.ok(heard[i] === 0 || MASK_BEEP.includes(heard[i]!), 'the span is masked');
    assert.equal(framesChangedAwayFromTones(padded, heard, events), 0);
  });

  it('events from a caller that sends no audio meanwhile: the agent still hears one beep per key', async () => {
    const { keypad, frames, event, clock } = await agentHears(new Int16Array(FRAME * 10), { sound: 'flat' });
    const before = frames.length;
    // SIPp's play_dtmf: events timestamped off the audio's timeline, each key's start and end.
    [...'314'].forEach((key, i) => {
      const place = { key, start: 24400 + 1600 * i - BASE, end: 0 };
      clock.ms += 100;
      event(place, 0, false);
      clock.ms += 100;
      event(place, 800, true);
    });
    const after = new Int16Array((frames.length - before) * FRAME);
    frames.slice(before).forEach((frame, i) => after.set(frame, i * FRAME));
    assert.equal(keypad.maskCounts.keys, 3);
    assert.equal(beepsIn(after), 3);
  });

  it('a key sent as tone and as event at once is masked once: one beep', async () => {
    const { samples, places } = keyTones('9090', { toneMs: 100, gapMs: 100, leadMs: 200, levelDbm0: -12, snrDb: 30 });
    const padded = new Int16Array(samples.length + FRAME * 10);
    padded.set(samples);
    const { heard, keypad, typed } = await agentHears(padded, { events: places, sound: 'flat' });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(typed.join(''), '9090');
    assert.equal(keypad.maskCounts.keys, 4);
    assert.equal(beepsIn(heard), 4);
    assert.equal(detectorKeys(heard), '');
  });

  it('keys the call does not mask (no pay session, an IVR menu) reach the agent as sent, 80 ms later', async () => {
    const { heard, keypad } = await agentHears(line.samples, { masks: false });
    const released = line.samples.length - DELAY_FRAMES * FRAME;
    assert.deepEqual(heard.subarray(0, released), line.samples.subarray(0, released));
    assert.equal(keypad.maskCounts.keys, 0);
  });
});
