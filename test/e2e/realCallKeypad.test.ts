/**
 * The caller's keypad on a real call, end to end: SIPp calls in, the app starts a card payment on the caller's
 * CallSid through the official twilio client, and SIPp types the card and the expiry by RFC 4733 (its own
 * `play_dtmf` packets) and the security code by SIP INFO. The session ends `Result=success` with, field for field,
 * the same callbacks a sandbox call typed on the sandbox keypad gets.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AUTH_TOKEN, startPaytoneProcess, type PaytoneProcess } from '../support/paytone.js';
import { startReceiver, type CallbackReceiver } from '../support/receiver.js';
import { startTwimlApp, type TwimlApp } from '../support/twimlApp.js';
import { until } from '../support/poll.js';
import { typingCaller } from '../support/sippScenarios.js';
import { peersOrSkip, startSipp } from '../support/sipPeers.js';
import { futureExpiry } from './flows.js';

const skip = peersOrSkip();
const NUMBER = '+15551230001';
const CARD = '4242424242424242';
const EXPIRY = futureExpiry();
const CODE = '123';

let paytone: PaytoneProcess;
let app: TwimlApp;
let receiver: CallbackReceiver;
let keyCount = 0;

before(async () => {
  if (skip) return;
  receiver = await startReceiver(AUTH_TOKEN);
  app = await startTwimlApp(AUTH_TOKEN, { '/voice': '<Response><Pause length="60"/></Response>' });
  paytone = await startPaytoneProcess();
  await paytone.client().incomingPhoneNumbers.create({ phoneNumber: NUMBER, voiceUrl: `${app.url}/voice` });
});

after(async () => {
  await paytone?.stop();
  await app?.close();
  await receiver?.close();
});

/** The agent's side: a card payment on `callSid`, each field asked for once the one before has ended. */
async function pay(callSid: string, type: (field: string, digits: string) => Promise<void>): Promise<{ sid: string; callbacks: Array<Record<string, string>> }> {
  const client = paytone.client();
  const statusCallback = `${receiver.url}/pay`;
  const payment = await client.calls(callSid).payments.create({ idempotencyKey: `k${++keyCount}`, statusCallback, chargeAmount: 10, postalCode: false } as never);
  for (const [field, digits] of [['payment-card-number', `${CARD}#`], ['expiration-date', `${EXPIRY}#`], ['security-code', `${CODE}#`]] as const) {
    await client.calls(callSid).payments(payment.sid).update({ idempotencyKey: `k${++keyCount}`, statusCallback, capture: field });
    await type(field, digits);
    await receiver.waitFor(() => receiver.forSession(payment.sid).some((c) => c.params.Capture === field && c.params.PartialResult === 'false'), 30_000);
    // A field full at its longest ends before its `#`: the agent asks for the next one a moment later, as a person would.
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  await client.calls(callSid).payments(payment.sid).update({ idempotencyKey: `k${++keyCount}`, statusCallback, status: 'complete' });
  await receiver.waitFor(() => receiver.forSession(payment.sid).some((c) => c.params.Result !== undefined), 30_000);
  return { sid: payment.sid, callbacks: receiver.forSession(payment.sid).map((c) => c.params) };
}

/** A session's callbacks without what differs from one session to the next (sids, dates, the gateway's codes). */
function comparable(callbacks: Array<Record<string, string>>): Array<Record<string, string>> {
  const varying = ['AccountSid', 'CallSid', 'Sid', 'DateCreated', 'DateUpdated', 'PaymentConfirmationCode', 'PaymentToken'];
  return callbacks.map((c) => Object.fromEntries(Object.entries(c).filter(([name]) => !varying.includes(name))));
}

test('SIPp types a card by RFC 4733 and SIP INFO into a payment on its CallSid: the sandbox keypad\'s callbacks, Result=success', { skip }, async () => {
  const client = paytone.client();
  const sandboxCall = await client.calls.create({ to: '+14155550100', from: '+14155550199', twiml: '<Response><Pause length="60"/></Response>' });
  const sandbox = await pay(sandboxCall.sid, (_field, digits) => paytone.press(sandboxCall.sid, digits));
  await client.calls(sandboxCall.sid).update({ status: 'completed' });

  // The caller types each field after a pause long enough for the agent to have asked for it.
  const sipp = await startSipp(
    typingCaller([{ pause: 4000 }, { rfc4733: `${CARD}#` }, { pause: 7000 }, { rfc4733: `${EXPIRY}#` }, { pause: 4000 }, { info: `${CODE}#` }, { pause: 4000 }]),
    { target: paytone.sipPort!, service: NUMBER, media: true, seconds: 60 },
  );
  const [call] = await until('the call to be answered', async () => {
    const list = await client.calls.list({ to: NUMBER, status: 'in-progress' });
    return list.length === 1 && list;
  });
  const real = await pay(call!.sid, async () => undefined);
  const run = await sipp.done;
  assert.equal(run.code, 0, run.log);

  const final = real.callbacks.at(-1)!;
  assert.equal(final.Result, 'success', JSON.stringify(final));
  assert.equal(final.CallSid, call!.sid);
  assert.deepEqual(comparable(real.callbacks), comparable(sandbox.callbacks));
  const everything = JSON.stringify(real.callbacks) + paytone.output();
  assert.ok(!everything.includes(CARD), 'the card number is in no callback and no log line');
});
