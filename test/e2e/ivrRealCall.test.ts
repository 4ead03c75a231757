/**
 * Prompts on a real call: SIPp calls one of paytone's numbers with its media at an RTP endpoint of ours, which
 * records everything paytone sends the caller and presses keys as RFC 4733 events. Where a `<Say>` plays, the
 * caller's audio holds speech (energy), where a `<Pause>` is, silence; a key pressed during a `<Gather>` prompt
 * cuts it short, and the key reaches the app as `Digits`; a `<Play>` file arrives sample for sample. The prompt's
 * full length comes from the same engine, rendered here.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import twilio from 'twilio';
import { AUTH_TOKEN, startPaytoneProcess, type PaytoneProcess } from '../support/paytone.js';
import { startTwimlApp, type TwimlApp } from '../support/twimlApp.js';
import { callerHears, speechSpans, voicedFrames } from '../support/callerHears.js';
import { framesHeard, peersOrSkip, scratchDir, testSignal, writeWav, type RtpEndpoint } from '../support/sipPeers.js';
import fs from 'node:fs';
import path from 'node:path';
import { until } from '../support/poll.js';
import { EspeakSynthesizer } from '../../src/telephony/prompts/espeakSynthesizer.js';

const skip = peersOrSkip();
const NUMBER = '+15551230001';
const MENU = 'Thank you for calling Example Utilities. For billing, press one. To pay your bill by card, press two. For anything else, please stay on the line.';

/** A recorded prompt: three seconds that never repeat, so each frame can be found in what the caller heard. */
const SWEEP = testSignal(3, 7);

let paytone: PaytoneProcess;
let app: TwimlApp;

before(async () => {
  if (skip) return;
  const greeting = new twilio.twiml.VoiceResponse();
  greeting.say('Welcome to Example Utilities.');
  greeting.pause({ length: 2 });
  greeting.say('Goodbye.');
  greeting.hangup();
  const menu = new twilio.twiml.VoiceResponse();
  menu.gather({ numDigits: 1, action: '/choice', timeout: 10 }).say(MENU);
  const choice = new twilio.twiml.VoiceResponse();
  choice.pause({ length: 2 });
  choice.hangup();
  const file = path.join(scratchDir(), 'sweep.wav');
  writeWav(file, SWEEP.samples);
  const recorded = new twilio.twiml.VoiceResponse();
  recorded.play({}, '/sweep.wav');
  recorded.hangup();
  app = await startTwimlApp(AUTH_TOKEN, {
    '/greeting': greeting.toString(),
    '/menu': menu.toString(),
    '/choice': choice.toString(),
    '/recorded': recorded.toString(),
    '/sweep.wav': { contentType: 'audio/wav', body: fs.readFileSync(file) },
  });
  paytone = await startPaytoneProcess();
});

after(async () => {
  await paytone?.stop();
  await app?.close();
});

function heardOnCall(path: string, during?: (endpoint: RtpEndpoint) => Promise<void>): Promise<Int16Array> {
  return callerHears(paytone, app, { number: NUMBER, path }, during);
}

test('the caller hears speech where <Say> plays and silence where <Pause> is', { skip }, async (t) => {
  const spans = speechSpans(voicedFrames(await heardOnCall('/greeting')));
  assert.equal(spans.length, 2, `two prompts, apart: ${JSON.stringify(spans)}`);
  const [welcome, goodbye] = spans as [[number, number], [number, number]];
  assert.ok(welcome[1] - welcome[0] >= 50, `"Welcome to Example Utilities." lasts over a second (${(welcome[1] - welcome[0]) * 20} ms)`);
  const gapMs = (goodbye[0] - welcome[1]) * 20;
  t.diagnostic(`speech ${(welcome[1] - welcome[0]) * 20} ms, silence ${gapMs} ms, speech ${(goodbye[1] - goodbye[0]) * 20} ms`);
  assert.ok(gapMs >= 1900, `the 2 s <Pause> is silence between them (${gapMs} ms)`);
});

test('a <Play> file reaches the caller sample for sample', { skip }, async (t) => {
  const share = framesHeard(await heardOnCall('/recorded'), SWEEP.samples);
  t.diagnostic(`${Math.round(share * 1000) / 10}% of the file's frames heard whole`);
  assert.ok(share > 0.98, `${share}`);
});

test('a key pressed during a <Gather> prompt cuts it short (barge-in) and reaches the app as Digits', { skip }, async (t) => {
  const fullMs = ((await new EspeakSynthesizer().render({ text: MENU, voice: 'man', language: 'en-US' })).length / 8000) * 1000;
  let pressedAt = 0;
  const heard = await heardOnCall('/menu', async (endpoint) => {
    // The caller knows the menu: a second into it, they press 2.
    await until('the menu to be heard', async () => voicedFrames(endpoint.heard()).includes(true), 20_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    pressedAt = Math.floor(endpoint.received.length / 160);
    await endpoint.pressKey('2');
  });
  assert.equal(app.to('/choice').at(-1)?.params.Digits, '2');
  const spans = speechSpans(voicedFrames(heard));
  assert.equal(spans.length, 1, JSON.stringify(spans));
  const heardMs = (spans[0]![1] - spans[0]![0]) * 20;
  t.diagnostic(`menu ${Math.round(fullMs)} ms long, ${heardMs} ms heard, stopped ${(spans[0]![1] - pressedAt) * 20} ms after the key was sent`);
  assert.ok(fullMs > 6000, `the whole menu is long (${fullMs} ms)`);
  assert.ok(heardMs < fullMs / 2, `the menu stopped early: ${heardMs} ms of ${Math.round(fullMs)} ms heard`);
  assert.ok(spans[0]![1] <= pressedAt + 25, `the prompt stopped within half a second of the key (${(spans[0]![1] - pressedAt) * 20} ms)`);
});
