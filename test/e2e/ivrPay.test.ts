/**
 * `<Pay>` end to end in the sandbox: an app's TwiML built with the twilio library's VoiceResponse, sandbox calls
 * typed on the sandbox keypad, and every action POST checked field by field and with twilio.validateRequest; the
 * call then goes on with the TwiML the action returns.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import twilio from 'twilio';
import { ACCOUNT_SID, AUTH_TOKEN, startPaytoneProcess, type PaytoneProcess } from '../support/paytone.js';
import { startTwimlApp, type TwimlApp } from '../support/twimlApp.js';
import { assertPaidByVisa4242, ivrPayCalls, payDocument, payParams } from './ivrPayFlows.js';
import { paymentsPath } from './flows.js';
import { createConnector } from './connectorFlows.js';
import { startGenericGateway, type GenericGateway } from '../support/genericGateway.js';
import { until } from '../support/poll.js';
import { openEventStream, type EventStream } from '../support/sse.js';

const GOODBYE = new twilio.twiml.VoiceResponse();
GOODBYE.redirect('/goodbye');
const HANG_UP = new twilio.twiml.VoiceResponse();
HANG_UP.hangup();

const DOCUMENTS: Record<string, string> = {
  '/card': payDocument({ chargeAmount: '12.50', action: '/paid', statusCallback: '/progress', maxAttempts: 2 }, (pay) => {
    pay.prompt({ for: 'payment-card-number' }).say('Please enter your card number');
    pay.prompt({ for: 'expiration-date', errorType: ['invalid-date'] }).say('That date is wrong; enter month and year');
  }),
  '/ach': payDocument({ paymentMethod: 'ach-debit', chargeAmount: '40', action: '/paid', bankAccountType: 'consumer-savings' }),
  '/token': payDocument({ action: '/paid', postalCode: 'false', securityCode: 'false', tokenType: 'one-time' }, (pay) => pay.parameter({ name: 'customer', value: 'C-7' })),
  '/strict': payDocument({ chargeAmount: '5', action: '/paid', maxAttempts: 2 }),
  '/star': payDocument({ chargeAmount: '5', action: '/paid' }),
  '/generic': payDocument({ chargeAmount: '30', action: '/paid', paymentConnector: 'Acme', securityCode: false, postalCode: false }, (pay) => {
    pay.parameter({ name: 'customer', value: 'C-9' });
    pay.parameter({ name: 'channel', value: 'ivr' });
  }),
  '/ach-twice': payDocument({ paymentMethod: 'ach-debit', chargeAmount: '40', action: '/paid', statusCallback: '/progress', maxAttempts: 2 }, (pay) => {
    pay.prompt({ for: 'bank-routing-number' }).say('Please enter your routing number');
    pay.prompt({ for: 'bank-routing-number', requireMatchingInputs: true }).say('Please enter your routing number again');
    pay.prompt({ for: 'bank-account-number' }).say('Please enter your account number');
    pay.prompt({ for: 'bank-account-number', requireMatchingInputs: true }).say('Please enter your account number again');
    pay.prompt({ for: 'bank-account-number', errorType: ['input-matching-failed'] }).say('Those did not match. Please enter your account number');
  }),
  '/known-postal-code': payDocument({ chargeAmount: '30', action: '/paid', paymentConnector: 'Acme', securityCode: false, postalCode: '94110' }),
  '/missing-connector': payDocument({ chargeAmount: '5', action: '/paid', paymentConnector: 'Nowhere' }),
  '/paid': GOODBYE.toString(),
  '/goodbye': HANG_UP.toString(),
};

let paytone: PaytoneProcess;
let app: TwimlApp;
/** The account's live events: what paytone asks and says on every call. */
let feed: EventStream;
let gateway: GenericGateway;
let calls: ReturnType<typeof ivrPayCalls>;

before(async () => {
  app = await startTwimlApp(AUTH_TOKEN, DOCUMENTS);
  // One process: in a cluster, sandbox calls do not run their TwiML yet.
  paytone = await startPaytoneProcess({ env: { PAYTONE_DTMF_INTERVAL_MS: '20' } });
  gateway = await startGenericGateway();
  await createConnector(paytone, { UniqueName: 'Acme', Type: 'generic', Mode: 'live', EndpointUrl: gateway.url, Username: gateway.username, Password: gateway.password });
  feed = await openEventStream(`${paytone.baseUrl}/v1/Accounts/${ACCOUNT_SID}/Events`, { authorization: `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}` });
  calls = ivrPayCalls(paytone, app, feed);
});

after(async () => {
  feed?.close();
  if (process.env.IVR_DEBUG_LOG) (await import('node:fs')).writeFileSync(process.env.IVR_DEBUG_LOG, paytone.output());
  await paytone?.stop();
  await app?.close();
  await gateway?.close();
});

async function callStatus(callSid: string): Promise<string> {
  return (await paytone.client().calls(callSid).fetch()).status;
}

describe('<Pay> in the sandbox', () => {
  it('takes a card, retries a wrong expiry within maxAttempts, posts the outcome and goes on with the returned TwiML', async () => {
    const callSid = await calls.callTo('/card');
    await calls.type(callSid, [
      ['payment-card-number', '4242424242424242#'],
      ['expiration-date', '1399#'],
      ['expiration-date', '1230#'],
      ['security-code', '123#'],
      ['postal-code', '94107#'],
    ]);
    const action = await calls.actionOf(callSid);
    assertPaidByVisa4242(action);
    assert.equal(action.params.CallSid, callSid);
    await until('the call to end by the returned TwiML', async () => (await callStatus(callSid)) === 'completed');
    assert.equal(app.to('/goodbye').filter((r) => r.params.CallSid === callSid).length, 1, 'the action TwiML redirected to /goodbye');
    assert.deepEqual(
      calls.progress(callSid),
      [
        ['payment-card-number', '1', ''],
        ['expiration-date', '1', 'invalid-date'],
        ['expiration-date', '2', ''],
        ['security-code', '1', ''],
        ['postal-code', '1', ''],
        ['payment-processing', '1', ''],
      ],
    );
    assert.equal(app.to('/progress').filter((r) => r.params.CallSid === callSid).at(-1)!.params.PaymentCardNumber, 'xxxx-xxxx-xxxx-4242');
    assert.deepEqual(calls.said(callSid).slice(0, 4), [
      'Please enter your card number',
      'Please enter the expiration date, two digits for the month and two for the year.',
      'That date is wrong; enter month and year',
      'Please enter the security code.',
    ], 'what paytone said is in the call\'s live feed: the app\'s prompts, and its own words where none fits');
  });

  it('takes an ACH debit', async () => {
    const { params } = await calls.pay('/ach', [
      ['bank-routing-number', '121000358#'],
      ['bank-account-number', '000123456789#'],
    ]);
    assert.equal(params.Result, 'success');
    assert.equal(params.PaymentMethod, 'ach-debit');
    assert.equal(params.BankAccountType, 'consumer-savings');
    assert.equal(params.BankRoutingNumber, '121000358');
    assert.equal(params.BankAccountNumber, '**********89');
    assert.match(params.PaymentConfirmationCode ?? '', /\S/);
  });

  it('asks for each bank field twice where <Prompt requireMatchingInputs> says so, and starts a field over when the two differ', async () => {
    const { callSid, params } = await calls.pay('/ach-twice', [
      ['bank-routing-number', '121000358#'],
      ['bank-routing-number-matcher', '121000358#'],
      ['bank-account-number', '000123456789#'],
      ['bank-account-number-matcher', '000123456780#'],
      ['bank-account-number', '000123456789#'],
      ['bank-account-number-matcher', '000123456789#'],
    ]);
    assert.match(params.PaymentConfirmationCode ?? '', /\S/);
    delete params.PaymentConfirmationCode;
    assert.deepEqual(params, { Result: 'success', PaymentMethod: 'ach-debit', BankAccountType: 'consumer-checking', BankRoutingNumber: '121000358', BankAccountNumber: '**********89' });
    assert.deepEqual(
      calls.progress(callSid),
      [
        ['bank-routing-number', '1', ''],
        ['bank-account-number', '1', 'input-matching-failed'],
        ['bank-account-number', '2', ''],
        ['payment-processing', '1', ''],
      ],
    );
    assert.deepEqual(calls.said(callSid).slice(0, 7), [
      'Please enter your routing number',
      'Please enter your routing number again',
      'Please enter your account number',
      'Please enter your account number again',
      'Those did not match. Please enter your account number',
      'Please enter your account number again',
      'Thank you. Please wait while your payment is processed.',
    ]);
  });

  it('sends a postal code given in <Pay postalCode> to the connector without asking for it', async () => {
    const { callSid, params } = await calls.pay('/known-postal-code', [
      ['payment-card-number', '4242424242424242#'],
      ['expiration-date', '1230'],
    ]);
    assert.equal(params.Result, 'success');
    assert.equal(params.PaymentCardPostalCode, '94110');
    assert.equal(gateway.requests.at(-1)!.body.postal_code, '94110', 'the gateway got the postal code');
    assert.equal(feed.events.filter((e) => e.event === 'asking' && e.data.call_sid === callSid && e.data.parameters.Capture === 'postal-code').length, 0, 'not asked');
  });

  it('tokenizes a card with no amount, asking only the fields <Pay> wants', async () => {
    const { params } = await calls.pay('/token', [
      ['payment-card-number', '5555555555554444#'],
      ['expiration-date', '1230#'],
    ]);
    assert.equal(params.Result, 'success');
    assert.match(params.PaymentToken ?? '', /\S/);
    assert.equal(params.PaymentConfirmationCode, undefined);
    assert.equal(params.PaymentCardType, 'mastercard');
    assert.equal(params.SecurityCode, undefined);
  });

  it('ends with too-many-failed-attempts when a field fails maxAttempts times', async () => {
    const { callSid, params } = await calls.pay('/strict', [
      ['payment-card-number', '4242424242424241#'],
      ['payment-card-number', '1234#'],
    ]);
    assert.deepEqual(params, { Result: 'too-many-failed-attempts', PaymentMethod: 'credit-card', PaymentError: 'invalid-card-number' });
    const { body } = await paytone.get(paymentsPath(callSid));
    assert.equal(body.payments[0].status, 'canceled', 'the session ended unpaid');
  });

  it('ends on * with caller-interrupted-with-star', async () => {
    const { params } = await calls.pay('/star', [
      ['payment-card-number', '4242424242424242#'],
      ['expiration-date', '12*'],
    ]);
    assert.equal(params.Result, 'caller-interrupted-with-star');
    assert.equal(params.PaymentCardNumber, 'xxxx-xxxx-xxxx-4242');
  });

  it('posts caller-hung-up when the caller hangs up', async () => {
    const callSid = await calls.callTo('/star');
    await calls.asked(callSid, 'payment-card-number');
    await paytone.client().calls(callSid).update({ status: 'completed' });
    const action = await calls.actionOf(callSid);
    assert.equal(action.params.Result, 'caller-hung-up');
    assert.equal(action.params.CallStatus, 'completed');
    assert.equal(app.to('/goodbye').filter((r) => r.params.CallSid === callSid).length, 0, 'the TwiML after a hang-up is not run');
  });

  it('posts the connector error for a declining card', async () => {
    const { params } = await calls.pay('/star', [
      ['payment-card-number', '4000000000000002#'],
      ['expiration-date', '1230#'],
      ['security-code', '123#'],
      ['postal-code', '94107#'],
    ]);
    assert.equal(params.Result, 'payment-connector-error');
    assert.equal(params.PayErrorCode, '64012');
    assert.equal(params.ConnectorError, 'card_declined');
    assert.match(params.PaymentError ?? '', /declined/);
  });

  it('sends <Parameter>s to a Generic connector and echoes its answer parameters as PayConnector_<key>', async () => {
    const { params } = await calls.pay('/generic', [
      ['payment-card-number', '4242424242424242#'],
      ['expiration-date', '1230'],
    ]);
    assert.equal(params.Result, 'success');
    assert.match(params.PaymentConfirmationCode ?? '', /^gw_ch_\d+$/);
    assert.equal(params.PayConnector_customer_ref, 'ref-C-9');
    assert.deepEqual(gateway.requests.at(-1)!.body.parameters, { customer: 'C-9', channel: 'ivr' });
  });

  it('reports a <Pay> with no such connector in the call\'s notifications and posts validation-error', async () => {
    const callSid = await calls.callTo('/missing-connector');
    const params = payParams(await calls.actionOf(callSid));
    assert.equal(params.Result, 'validation-error');
    assert.equal(params.PayErrorCode, '64004');
    const notifications = await until('the notification', async () => {
      const list = await paytone.client().calls(callSid).notifications.list();
      return list.length > 0 && list;
    });
    assert.equal(notifications[0]!.errorCode, '64004');
  });
});
