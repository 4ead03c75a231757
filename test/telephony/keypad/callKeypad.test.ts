/**
 * One call's keypad: keys from RFC 4733 and SIP INFO counted once on the caller's media timeline, handed to the
 * call's open pay session, else to what subscribed on the call, in the order heard; per-transport counts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../../src/log.js';
import { CallerKeys, type CallerKeyInfo } from '../../../src/telephony/callerKeys.js';
import { CallKeypad } from '../../../src/telephony/keypad/callKeypad.js';
import { KeyTimeline } from '../../../src/telephony/keypad/keyTimeline.js';
import { throughStages } from '../../../src/telephony/media/frames.js';
import { newRtpView, readRtp, writeRtpHeader } from '../../../src/telephony/media/rtp.js';

const CA = 'CA' + '1'.repeat(32);
const silent = createLogger({ level: 'silent' });

/** A call's keypad whose audio frames and clock the test drives; the session takes keys while `open`. */
function call(options: { open?: boolean } = {}) {
  const clock = { ms: 1000, now: () => 1_700_000_000_000 + clock.ms, monotonic: () => clock.ms };
  const session: Array<{ keys: string; pressedAt: readonly number[] }> = [];
  const state = { open: options.open ?? true };
  const keys = new CallerKeys({
    sessions: {
      async keypress(_callSid, typed, pressedAt) {
        if (state.open) session.push({ keys: typed, pressedAt });
        return state.open;
      },
    },
    log: silent,
  });
  const keypad = new CallKeypad(CA, keys, clock);
  const audio = throughStages(keypad.stages, { write: () => undefined });
  let mediaTime = 50_000;
  /** `ms` of caller audio, one 20 ms frame at a time, as it arrives. */
  const talk = (ms: number) => {
    for (let t = 0; t < ms; t += 20) {
      clock.ms += 20;
      audio.write(new Int16Array(160), mediaTime);
      mediaTime = (mediaTime + 160) >>> 0;
    }
  };
  const view = newRtpView();
  /** One telephone-event packet on the audio's timeline (or at `timestamp`). */
  const event = (key: number, o: { timestamp?: number; duration?: number; end?: boolean; marker?: boolean }) => {
    const p = Buffer.alloc(16);
    writeRtpHeader(p, o.marker ?? false, 96, 1, o.timestamp ?? mediaTime, 0x01020305);
    p[12] = key;
    p[13] = o.end ? 0x8a : 0x0a;
    p.writeUInt16BE(o.duration ?? 0, 14);
    readRtp(p, view);
    keypad.telephoneEvent(view, p);
  };
  const heard: Array<{ key: string; info: CallerKeyInfo }> = [];
  return { clock, keys, keypad, talk, event, session, state, heard, now: () => mediaTime, settle: () => new Promise((r) => setImmediate(r)) };
}

describe('a call keypad', () => {
  it('RFC 4733 keys reach the open pay session in the order typed, each on its first packet', async () => {
    const c = call();
    c.talk(100);
    for (const key of [4, 2, 11]) {
      const ts = c.now();
      c.event(key, { timestamp: ts, marker: true });
      c.talk(60);
      c.event(key, { timestamp: ts, duration: 480, end: true });
      c.event(key, { timestamp: ts, duration: 480, end: true });
      c.talk(60);
    }
    await c.settle();
    assert.equal(c.session.map((s) => s.keys).join(''), '42#');
    assert.deepEqual(c.keypad.counts, { rfc4733: 3, sipInfo: 0, inBand: 0, sameKeyAgain: 0, rejected: 0 });
  });

  it('a key sent by RFC 4733 and SIP INFO at once counts once; a real "44" by both counts twice', async () => {
    const c = call();
    c.talk(100);
    for (let i = 0; i < 2; i++) {
      const ts = c.now();
      c.event(4, { timestamp: ts, marker: true });
      c.talk(40);
      c.keypad.info('application/dtmf-relay', Buffer.from('Signal=4\r\nDuration=100\r\n'));
      c.talk(60);
      c.event(4, { timestamp: ts, duration: 800, end: true });
      c.talk(100);
    }
    await c.settle();
    assert.equal(c.session.map((s) => s.keys).join(''), '44');
    assert.deepEqual(c.keypad.counts, { rfc4733: 2, sipInfo: 0, inBand: 0, sameKeyAgain: 2, rejected: 0 });
  });

  it("SIPp's play_dtmf timestamps, off the audio's timeline, are placed where the events arrived", async () => {
    const c = call();
    c.talk(2000);
    c.event(1, { timestamp: 24400, marker: true });
    c.talk(20);
    c.keypad.info('application/dtmf', Buffer.from('1'));
    c.event(1, { timestamp: 24400, duration: 960, end: true });
    await c.settle();
    assert.equal(c.session.map((s) => s.keys).join(''), '1');
    assert.equal(c.keypad.counts.sameKeyAgain, 1);
  });

  it('with no session open, keys go to what subscribed on the call, with their transport and media time', async () => {
    const c = call({ open: false });
    const stop = c.keys.subscribe(CA, (key, info) => c.heard.push({ key, info }));
    c.talk(100);
    const ts = c.now();
    c.event(7, { timestamp: ts, marker: true });
    c.talk(200);
    c.keypad.info('application/dtmf-relay', Buffer.from('Signal=#'));
    await c.settle();
    assert.deepEqual(c.heard.map((h) => [h.key, h.info.transport]), [['7', 'rfc4733'], ['#', 'sip-info']]);
    assert.equal(c.heard[0]!.info.mediaTime, ts);
    assert.equal(c.heard[1]!.info.at, c.clock.now());
    stop();
    c.keypad.info('application/dtmf', Buffer.from('5'));
    await c.settle();
    assert.equal(c.heard.length, 2, 'nothing after unsubscribing');
    assert.equal(c.session.length, 0);
  });

  it('a key the session took is not also given to subscribers', async () => {
    const c = call();
    c.keys.subscribe(CA, (key, info) => c.heard.push({ key, info }));
    c.keypad.info('application/dtmf', Buffer.from('5'));
    await c.settle();
    assert.equal(c.session.length, 1);
    assert.equal(c.heard.length, 0);
  });

  it('a press watcher (a prompt to stop) hears of every key, a session\'s too, but never which', async () => {
    const c = call();
    const presses: unknown[][] = [];
    const stop = c.keys.onPress(CA, (...args: unknown[]) => presses.push(args));
    c.keypad.info('application/dtmf', Buffer.from('7'));
    await c.settle();
    assert.deepEqual(presses, [[]], 'told once, with nothing');
    assert.equal(c.session.length, 1, 'the session still took the key');
    stop();
    c.keypad.info('application/dtmf', Buffer.from('8'));
    await c.settle();
    assert.equal(presses.length, 1);
  });

  it('a deadline waits for a key heard before it and not delivered yet; the call ending drops everything', async () => {
    const c = call();
    c.keypad.info('application/dtmf', Buffer.from('5'));
    assert.equal(c.keys.pressedBy(CA, c.clock.now()), true);
    assert.equal(c.keys.pressedBy(CA, c.clock.now() - 1), false);
    await c.settle();
    assert.equal(c.keys.pressedBy(CA, c.clock.now()), false);
    c.keys.subscribe(CA, (key, info) => c.heard.push({ key, info }));
    c.keypad.close();
    c.keypad.info('application/dtmf', Buffer.from('6'));
    await c.settle();
    assert.equal(c.session.length, 1);
    assert.equal(c.heard.length, 0);
  });
});

describe('the key timeline', () => {
  it('joins overlapping spans of one key from two transports, and never two reports of one transport', () => {
    const t = new KeyTimeline();
    assert.equal(t.offer('4', 'rfc4733', 1000, 1800, 0).fresh, true);
    assert.equal(t.offer('4', 'in-band', 1100, 1700, 0).fresh, false);
    assert.equal(t.offer('4', 'in-band', 1150, 1750, 0).fresh, true, 'the key took its in-band report already');
    assert.equal(t.offer('5', 'rfc4733', 1000, 1800, 0).fresh, true, 'another key');
    assert.equal(t.offer('4', 'rfc4733', 2400, 3200, 0).fresh, true);
    assert.equal(t.offer('4', 'in-band', 2000, 2300, 0).fresh, false, 'ends within 20 ms of the second 4: joins it');
  });

  it('overlapping spans of one key that arrive more than a second apart are two keys', () => {
    // SIPp's events stand still between keys and its audio between streams: a tone typed 1.5 s after an event of
    // the same key can land on the event's spot of the timeline. It is the next key, not the event again.
    const t = new KeyTimeline();
    assert.equal(t.offer('1', 'rfc4733', 1000, 1800, 10_000).fresh, true);
    assert.equal(t.offer('1', 'in-band', 1040, 1700, 11_500).fresh, true);
    assert.equal(t.offer('1', 'rfc4733', 3000, 3800, 12_000).fresh, true);
    assert.equal(t.offer('1', 'in-band', 3040, 3700, 12_900).fresh, false, '900 ms apart: the same key');
  });

  it('spans apart are two keys, across the 32-bit wrap too', () => {
    const t = new KeyTimeline();
    assert.equal(t.offer('4', 'rfc4733', 2 ** 32 - 400, 2 ** 32 - 100, 0).fresh, true);
    assert.equal(t.offer('4', 'in-band', 2 ** 32 - 300, 100, 0).fresh, false);
    assert.equal(t.offer('4', 'in-band', 700, 1500, 0).fresh, true);
  });
});
