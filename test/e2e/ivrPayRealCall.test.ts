/**
 * `<Pay>` on a real call, end to end: SIPp calls a number whose VoiceUrl answers with a `<Pay>` built by the twilio
 * library, with a spoken `<Prompt>` for each field. The caller (an RTP endpoint of ours behind SIPp) waits until
 * each prompt is heard, then types the field by RFC 4733 while the prompt still plays: the prompt stops at the
 * first key (barge-in). The action hears the payment (signed, masked), and the call goes on with the TwiML it
 * returns: a goodbye the caller hears, then paytone's BYE.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import twilio from 'twilio';
import { EspeakSynthesizer } from '../../src/telephony/prompts/espeakSynthesizer.js';
import { callerHears, FRAME, speechSpans, voicedFrames } from '../support/callerHears.js';
import { AUTH_TOKEN, startPaytoneProcess, type PaytoneProcess } from '../support/paytone.js';
import { until } from '../support/poll.js';
import { peersOrSkip, type RtpEndpoint } from '../support/sipPeers.js';
import { startTwimlApp, type TwimlApp } from '../support/twimlApp.js';

const skip = peersOrSkip();
const NUMBER = '+15551230023';

/** Each field's prompt, long enough that a key pressed a second into it cuts most of it. */
const FIELDS = [
  { for: 'payment-card-number', keys: '4242424242424242#', prompt: 'Please enter the sixteen digit number on the front of your card, then press the pound key when you are done.' },
  { for: 'expiration-date', keys: '1230', prompt: 'Please enter the expiration date of your card, two digits for the month, then two digits for the year.' },
  { for: 'security-code', keys: '123', prompt: 'Please enter the three digit security code, which you will find on the back of your card, near the signature.' },
  { for: 'postal-code', keys: '94110#', prompt: 'Please enter the postal code of your billing address, then press the pound key when you are done.' },
] as const;
const GOODBYE = 'Thank you, your payment has been taken. Goodbye.';
/** How long after the first key the prompt may still be heard: the key's way to paytone and the audio already sent. */
const BARGE_IN_FRAMES = 25;

let paytone: PaytoneProcess;
let app: TwimlApp;

before(async () => {
  if (skip) return;
  const voice = new twilio.twiml.VoiceResponse();
  const pay = voice.pay({ chargeAmount: '42.50', currency: 'usd', description: 'Invoice 1042', action: '/paid', maxAttempts: 2 });
  for (const field of FIELDS) pay.prompt({ for: field.for }).say(field.prompt);
  pay.prompt({ for: 'payment-processing' }).say('One moment while we take your payment.');
  const paid = new twilio.twiml.VoiceResponse();
  paid.say(GOODBYE);
  paid.hangup();
  app = await startTwimlApp(AUTH_TOKEN, { '/pay': voice.toString(), '/paid': paid.toString() });
  paytone = await startPaytoneProcess();
});

after(async () => {
  await paytone?.stop();
  await app?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const framesSoFar = (endpoint: RtpEndpoint) => Math.floor(endpoint.received.length / FRAME);

/** Where the caller was when it typed a field: the first voiced frame of its prompt, the first key, the last key. */
interface Typed {
  promptAt: number;
  firstKeyAt: number;
  lastKeyAt: number;
}

test('a SIPp caller pays by <Pay>: prompts are heard, each cut by its first key, the action is paid and its goodbye heard', { skip }, async (t) => {
  const typed: Typed[] = [];
  let actionAt = 0;
  const heard = await callerHears(paytone, app, { number: NUMBER, path: '/pay', seconds: 120 }, async (endpoint) => {
    for (const field of FIELDS) {
      const from = framesSoFar(endpoint);
      const promptAt = await until(`the ${field.for} prompt to be heard`, async () => {
        const at = voicedFrames(endpoint.heard()).indexOf(true, from);
        return at >= 0 && at + 1;
      }, 30_000) - 1;
      // The caller listens a moment, then types over the prompt.
      await sleep(800);
      const firstKeyAt = framesSoFar(endpoint);
      let lastKeyAt = firstKeyAt;
      for (const key of field.keys) {
        lastKeyAt = framesSoFar(endpoint);
        await endpoint.pressKey(key);
        await sleep(100);
      }
      typed.push({ promptAt, firstKeyAt, lastKeyAt });
    }
    await until('the action to be asked', async () => app.to('/paid').length > 0, 30_000);
    actionAt = framesSoFar(endpoint);
  });

  const action = app.to('/paid').at(-1)!;
  assert.ok(action.signatureValid, 'the action is signed with the account\'s auth token');
  assert.equal(action.method, 'POST');
  const { Result, PaymentCardNumber, PaymentCardType, ExpirationDate, SecurityCode, PaymentCardPostalCode, PaymentMethod, To } = action.params;
  assert.deepEqual(
    { Result, PaymentCardNumber, PaymentCardType, ExpirationDate, SecurityCode, PaymentCardPostalCode, PaymentMethod, To },
    { Result: 'success', PaymentCardNumber: 'xxxx-xxxx-xxxx-4242', PaymentCardType: 'visa', ExpirationDate: '1230', SecurityCode: 'xxx', PaymentCardPostalCode: '94110', PaymentMethod: 'credit-card', To: NUMBER },
  );
  assert.match(action.params.PaymentConfirmationCode ?? '', /\S/, 'the sandbox gateway\'s confirmation code');
  assert.ok(!JSON.stringify(action.params).includes('4242424242424242'), 'no whole card number in the action');

  const voiced = voicedFrames(heard);
  const spans = speechSpans(voiced);
  const engine = new EspeakSynthesizer();
  for (const [i, field] of FIELDS.entries()) {
    const { firstKeyAt, lastKeyAt } = typed[i]!;
    // The prompt may have begun before the caller started listening for it: its whole run of speech counts.
    const promptAt = spans.find(([first, last]) => first <= typed[i]!.promptAt && typed[i]!.promptAt <= last)?.[0] ?? typed[i]!.promptAt;
    const fullMs = ((await engine.render({ text: field.prompt, voice: 'man', language: 'en-US' })).length / 8000) * 1000;
    const lastVoiced = voiced.lastIndexOf(true, lastKeyAt);
    const heardMs = (lastVoiced - promptAt) * 20;
    t.diagnostic(`${field.for}: prompt ${Math.round(fullMs)} ms long, ${heardMs} ms heard, stopped ${(lastVoiced - firstKeyAt) * 20} ms after the first key`);
    assert.ok(lastVoiced <= firstKeyAt + BARGE_IN_FRAMES, `the ${field.for} prompt stopped within half a second of the first key (${(lastVoiced - firstKeyAt) * 20} ms)`);
    assert.ok(heardMs < fullMs / 2, `the ${field.for} prompt was cut short: ${heardMs} ms of ${Math.round(fullMs)} ms heard`);
  }
  const goodbye = speechSpans(voiced.slice(actionAt));
  const goodbyeMs = goodbye.reduce((sum, [first, last]) => sum + (last - first) * 20, 0);
  t.diagnostic(`after the action: ${goodbyeMs} ms of speech in ${goodbye.length} span(s)`);
  assert.ok(goodbyeMs >= 1500, `the action's <Say> is heard after it (${goodbyeMs} ms of speech)`);
});
