/**
 * `<Pay>` on a sandbox call of a 3-process cluster: the call's TwiML runs in the process that placed it, while every
 * other request (keys on the sandbox keypad, the hang-up) lands on the next process in turn, through the balancer.
 * Keys wait in the database and reach the pay session wherever they are played; the process running the TwiML
 * hears how each field ended from the shared live feed. The action hears the payment, and the call goes on with
 * its TwiML; a hang-up made on another process ends `<Pay>` with `caller-hung-up` and runs nothing after it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import twilio from 'twilio';
import { ACCOUNT_SID, AUTH_TOKEN } from '../support/paytone.js';
import { startPaytoneCluster, type PaytoneCluster } from '../support/paytoneCluster.js';
import { postgresForTests } from '../support/postgres.js';
import { until } from '../support/poll.js';
import { openEventStream, type EventStream } from '../support/sse.js';
import { startTwimlApp, type TwimlApp } from '../support/twimlApp.js';
import { assertPaidByVisa4242, ivrPayCalls, payDocument } from '../e2e/ivrPayFlows.js';

const pg = await postgresForTests();

const GOODBYE = new twilio.twiml.VoiceResponse();
GOODBYE.say('Thank you. Goodbye.');
GOODBYE.hangup();

let cluster: PaytoneCluster;
let app: TwimlApp;
let feed: EventStream;
let calls: ReturnType<typeof ivrPayCalls>;

describe('<Pay> on a sandbox call of a cluster', { skip: pg.skip ?? false }, () => {
  before(async () => {
    app = await startTwimlApp(AUTH_TOKEN, {
      '/card': payDocument({ chargeAmount: '12.50', action: '/paid', statusCallback: '/progress' }, (pay) => {
        pay.prompt({ for: 'payment-card-number' }).say('Please enter your card number');
      }),
      '/paid': GOODBYE.toString(),
    });
    cluster = await startPaytoneCluster({ size: 3, env: { PAYTONE_DTMF_INTERVAL_MS: '20' } });
    feed = await openEventStream(`${cluster.baseUrl}/v1/Accounts/${ACCOUNT_SID}/Events`, { authorization: `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}` });
    calls = ivrPayCalls(cluster, app, feed);
  });

  after(async () => {
    feed?.close();
    await cluster?.stop();
    await app?.close();
  });

  it('takes a card typed through every process, posts the outcome and goes on with the returned TwiML', async () => {
    const { sid: callSid } = await cluster.members[0]!.client().calls.create({ to: '+15551230500', from: '+15559870500', url: `${app.url}/card` });
    await calls.type(callSid, [
      ['payment-card-number', '4242424242424242#'],
      ['expiration-date', '1230'],
      ['security-code', '123'],
      ['postal-code', '94107#'],
    ]);
    assertPaidByVisa4242(await calls.actionOf(callSid));
    await until('the returned TwiML to hang the call up', async () => (await cluster.client().calls(callSid).fetch()).status === 'completed', 30_000);
    assert.deepEqual(calls.said(callSid), [
      'Please enter your card number',
      'Please enter the expiration date, two digits for the month and two for the year.',
      'Please enter the security code.',
      'Please enter your postal code, followed by the pound key.',
      'Thank you. Please wait while your payment is processed.',
      'Thank you. Goodbye.',
    ]);
    assert.deepEqual(
      calls.progress(callSid).map(([step]) => step),
      ['payment-card-number', 'expiration-date', 'security-code', 'postal-code', 'payment-processing'],
    );
  });

  it('ends <Pay> with caller-hung-up when another process hangs the call up, and runs nothing after it', async () => {
    // Placed on the first process, which runs its TwiML; hung up on the second.
    const { sid: callSid } = await cluster.members[0]!.client().calls.create({ to: '+15551230500', from: '+15559870500', url: `${app.url}/card` });
    await calls.asked(callSid, 'payment-card-number');
    await cluster.members[1]!.client().calls(callSid).update({ status: 'completed' });
    const action = await calls.actionOf(callSid);
    assert.equal(action.params.Result, 'caller-hung-up');
    assert.equal(action.params.CallStatus, 'completed');
    // The goodbye is not said on a call that has ended, wherever it ended.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.ok(!calls.said(callSid).includes('Thank you. Goodbye.'), JSON.stringify(calls.said(callSid)));
  });
});
