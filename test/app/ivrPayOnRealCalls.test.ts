/**
 * `<Pay>` on a real call: the caller's keys arrive as the SIP side hands them on (src/telephony/callerKeys.ts,
 * RFC 4733 / INFO / in-band, one key each), the prompts are said through the call's voice, and the field's first key
 * cuts the prompt short (barge-in). The call's legs are a fake control; everything else is paytone's own.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { createAppContext, type AppContext } from '../../src/app/context.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { newPhoneNumber } from '../../src/domain/phoneNumbers.js';
import { newSid } from '../../src/domain/sids.js';
import type { LiveEvent } from '../../src/domain/liveEvents.js';
import type { CallControl } from '../../src/twiml/callControl.js';
import { fakeCall } from '../support/fakeCall.js';
import { startTwimlApp, type TwimlApp } from '../support/twimlApp.js';
import { until } from '../support/poll.js';

const AC = 'AC' + '9'.repeat(32);
const PN = newSid('PN');

let app: AppContext;
let web: TwimlApp;

before(async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paytone-ivr-real-'));
  app = await createAppContext(loadConfig({ PAYTONE_DATA_DIR: dataDir }), createLogger({ level: 'silent' }));
  const { authToken } = await app.accounts.createAccount({ sid: AC, friendlyName: '<Pay> on real calls' });
  web = await startTwimlApp(authToken, {
    '/voice': '<Response><Pay chargeAmount="10" securityCode="false" postalCode="false" action="/paid"><Prompt for="payment-card-number"><Say>Please enter your card number</Say></Prompt></Pay></Response>',
    '/paid': '<Response><Hangup/></Response>',
  });
  await app.phoneNumbers.insert(newPhoneNumber({ sid: PN, accountSid: AC, phoneNumber: '+15551230001', settings: { voiceUrl: `${web.url}/voice` }, now: Date.now() }));
});

after(async () => {
  await app.close();
  await web.close();
});

it('takes a card from the caller\'s own keys, says the prompts through the call\'s voice, and a key cuts a prompt short', async () => {
  const events: LiveEvent[] = [];
  const stop = app.liveEvents.bus.subscribe(AC, (batch) => events.push(...batch));
  const legs = fakeCall();
  const spoken: string[] = [];
  // A prompt that lasts until something stops it: only a key can end it here.
  let callSid = '';
  const control: CallControl = {
    ...legs.control,
    // The 200 OK, as the SIP side reports it.
    answer: () => app.callProgress.answered(callSid),
    voice: {
      async say(say, signal) {
        await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
        spoken.push(`${say.text} (cut short)`);
      },
      play: async () => null,
    },
  };
  const call = await app.callProgress.inbound({ accountSid: AC, to: '+15551230001', from: '+15559870002', phoneNumberSid: PN, sipCallId: 'ivr@127.0.0.1', sipSourceIp: '127.0.0.1' });
  callSid = call.sid;
  const running = app.callRunner.run(call, control);
  const asked = (capture: string) => until(`${capture} asked`, async () => events.some((e) => e.kind === 'asking' && e.callSid === call.sid && e.params.Capture === capture), 10_000);
  const type = (keys: string) => [...keys].forEach((key, i) => app.callerKeys.heard(call.sid, key, { transport: 'rfc4733', mediaTime: i * 1600, at: Date.now() }));

  await asked('payment-card-number');
  type('4242424242424242#');
  await asked('expiration-date');
  type('1230');
  await running;
  stop();

  const action = web.to('/paid').find((r) => r.params.CallSid === call.sid)!;
  assert.ok(action.signatureValid);
  assert.equal(action.params.Result, 'success');
  assert.equal(action.params.PaymentCardNumber, 'xxxx-xxxx-xxxx-4242');
  assert.equal(action.params.ExpirationDate, '1230');
  assert.deepEqual(spoken.slice(0, 2), [
    'Please enter your card number (cut short)',
    'Please enter the expiration date, two digits for the month and two for the year. (cut short)',
  ]);
  assert.ok(legs.actions.includes('hangUp'), 'the action\'s <Hangup> ran');
  assert.ok(!JSON.stringify(events).includes('4242424242424242'), 'no live event carries the card number');
});

it('ends the pay session unpaid when the API sends the call to other TwiML, and asks no action', async () => {
  const events: LiveEvent[] = [];
  const stop = app.liveEvents.bus.subscribe(AC, (batch) => events.push(...batch));
  const legs = fakeCall();
  let callSid = '';
  const control: CallControl = { ...legs.control, answer: () => app.callProgress.answered(callSid) };
  const call = await app.callProgress.inbound({ accountSid: AC, to: '+15551230001', from: '+15559870002', phoneNumberSid: PN, sipCallId: 'ivr2@127.0.0.1', sipSourceIp: '127.0.0.1' });
  callSid = call.sid;
  const running = app.callRunner.run(call, control);
  await until('the card number asked', async () => events.some((e) => e.kind === 'asking' && e.callSid === call.sid), 10_000);
  assert.ok(app.callRunner.redirect(call.sid, { kind: 'twiml', text: '<Response><Hangup/></Response>' }));
  await running;
  stop();
  const ended = events.find((e) => e.kind === 'ended' && e.callSid === call.sid);
  assert.equal(ended?.params.Result, undefined, 'cancelled, not paid');
  assert.equal(web.to('/paid').filter((r) => r.params.CallSid === call.sid).length, 0, 'no action: the redirect wins, as on Twilio');
  assert.ok(legs.actions.includes('hangUp'), 'the new TwiML ran');
});
