/**
 * The Twilio resources around a pay session that apps also touch: fetching the account (a credentials check)
 * and the call's own status callback when it ends.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ACCOUNT_SID, AUTH_TOKEN, startPaytone, type PaytoneProcess } from '../support/paytone.js';
import { startReceiver, type CallbackReceiver } from '../support/receiver.js';
import { validatorFor } from '../support/twilioSchema.js';

let paytone: PaytoneProcess;
let receiver: CallbackReceiver;

before(async () => {
  paytone = await startPaytone();
  receiver = await startReceiver(AUTH_TOKEN);
});
after(async () => {
  await paytone.stop();
  await receiver.close();
});

test('the account fetch answers in Twilio\'s Account shape and never returns the auth token', async () => {
  const account = await paytone.client().api.v2010.accounts(ACCOUNT_SID).fetch();
  assert.equal(account.sid, ACCOUNT_SID);
  assert.equal(account.status, 'active');
  assert.equal(account.authToken, null);
  const raw = await paytone.get(`/2010-04-01/Accounts/${ACCOUNT_SID}.json`);
  const validate = validatorFor('api.v2010.account');
  assert.ok(validate(raw.body), JSON.stringify(validate.errors));
  assert.ok(!JSON.stringify(raw.body).includes(AUTH_TOKEN));
});

test('hanging up sends the call\'s StatusCallback once, signed, with CallStatus=completed', async () => {
  const client = paytone.client();
  const call = await client.calls.create({ to: '+15551230300', from: '+15559870300', statusCallback: `${receiver.url}/call-status` });
  await client.calls(call.sid).update({ status: 'completed' });
  await receiver.waitFor((all) => all.some((r) => r.params.CallSid === call.sid));
  const received = receiver.received.filter((r) => r.params.CallSid === call.sid);
  assert.equal(received.length, 1);
  const [callback] = received;
  assert.equal(callback!.path, '/call-status');
  assert.ok(callback!.signatureValid);
  assert.equal(callback!.params.CallStatus, 'completed');
  assert.equal(callback!.params.AccountSid, ACCOUNT_SID);
  assert.equal(callback!.params.To, '+15551230300');
  assert.equal(callback!.params.From, '+15559870300');
  assert.match(callback!.params.CallDuration ?? '', /^\d+$/);
  assert.equal(callback!.headers['i-twilio-idempotency-token'], `${call.sid}-1`);
});
