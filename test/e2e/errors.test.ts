/**
 * Every synchronous error as the official `twilio` client reports it (status, code, a message that says what to
 * fix, Twilio's more_info link), and that a refused request changes nothing: no session, no event, no callback.
 * Also the input leniency real clients rely on, and API-key authentication.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import twilio from 'twilio';
import { ACCOUNT_SID, AUTH_TOKEN, paytoneCli } from '../support/paytone.js';
import { futureExpiry, newKey, openPaytone, paymentsPath, postRaw, type PaytoneUnderTest } from './flows.js';

const UNKNOWN_CALL = 'CA' + '0'.repeat(32);
const UNKNOWN_SESSION = 'PK' + '0'.repeat(32);

/** Asserts that `request` fails as Twilio would report `code`, with a message matching `fix`. */
async function refused(request: Promise<unknown>, status: number, code: number, fix: RegExp): Promise<void> {
  await assert.rejects(request, (err: any) => {
    assert.equal(err.status, status, err.message);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, fix);
    assert.equal(err.moreInfo, `https://www.twilio.com/docs/errors/${code}`);
    assert.doesNotMatch(err.message.replace(/\b(AC|CA|PK|SK)[0-9a-f]{32}\b/g, 'SID'), /\d{12,}/, 'no card number in an error');
    return true;
  });
}

describe('errors through the twilio client', () => {
  let pay: PaytoneUnderTest;
  const clientFor = (username: string, password: string, accountSid?: string): twilio.Twilio => {
    const client = twilio(username, password, accountSid ? { accountSid } : {});
    client.api.baseUrl = pay.paytone.baseUrl;
    return client;
  };
  const cli = (...args: string[]): any => paytoneCli(pay.paytone, ...args);

  /** Asserts that a call has no pay session and that no callback mentioned it. */
  async function untouched(callSid: string): Promise<void> {
    const list = await pay.paytone.get(paymentsPath(callSid));
    assert.deepEqual(list.body.payments, []);
    assert.equal(pay.receiver.received.filter((r) => r.params.CallSid === callSid).length, 0);
  }

  /** Asserts that a session has the same events and date_updated as `before`. */
  async function unchanged(callSid: string, sid: string, before: { events: number; dateUpdated: string }): Promise<void> {
    assert.equal((await pay.events(callSid, sid)).length, before.events);
    assert.equal((await pay.session(callSid, sid)).date_updated, before.dateUpdated);
  }

  async function snapshot(callSid: string, sid: string): Promise<{ events: number; dateUpdated: string }> {
    return { events: (await pay.events(callSid, sid)).length, dateUpdated: (await pay.session(callSid, sid)).date_updated };
  }

  before(async () => {
    pay = await openPaytone();
  });
  after(async () => {
    await pay.close();
  });

  it('refuses bad create parameters with 64003, 64004, 64017 and 64020 and starts nothing', async () => {
    const callSid = await pay.startCall();
    const create = (options: Record<string, unknown>) =>
      pay.client.calls(callSid).payments.create({ idempotencyKey: newKey(), statusCallback: pay.statusCallback, ...options } as never);
    for (const amount of [-1, 'abc', 1000000]) await refused(create({ chargeAmount: amount }), 400, 64003, /ChargeAmount/);
    await refused(create({ chargeAmount: 1, paymentConnector: 'nope' }), 400, 64004, /PaymentConnector "nope"/);
    await refused(create({ chargeAmount: 1, bankAccountType: 'consumer-checking' }), 400, 64017, /BankAccountType.*ach-debit/);
    await refused(create({ chargeAmount: 1, currency: 'xyz' }), 400, 64020, /Currency must be an ISO 4217 currency code.*"xyz"/);
    await refused(create({ timeout: 0 }), 400, 64020, /Timeout.*1 to 600/);
    await refused(create({ timeout: 601 }), 400, 64020, /Timeout/);
    await refused(create({ tokenType: 'forever' }), 400, 64020, /TokenType.*one-time/);
    await refused(create({ validCardTypes: 'visa cheque' }), 400, 64020, /ValidCardTypes.*"cheque"/);
    await refused(create({ idempotencyKey: '' }), 400, 64020, /IdempotencyKey/);
    await refused(create({ statusCallback: '' }), 400, 64020, /StatusCallback/);
    await refused(create({ statusCallback: '/pay' }), 400, 64020, /StatusCallback.*relative.*Url/);
    await untouched(callSid);
  });

  it('refuses bad updates with 64018, 64019, 64020 and 64021 and changes nothing', async () => {
    const { callSid, sid } = await pay.startSession({ chargeAmount: 1 });
    await pay.capture(callSid, sid, 'payment-card-number', '4242424242424242#');
    const before = await snapshot(callSid, sid);
    const update = (options: Record<string, unknown>) =>
      pay.client.calls(callSid).payments(sid).update({ idempotencyKey: newKey(), statusCallback: pay.statusCallback, ...options } as never);

    await refused(update({}), 400, 64018, /Neither Capture nor Status/);
    await refused(update({ capture: 'postal-code', status: 'complete' }), 400, 64018, /both/);
    await refused(update({ capture: 'cvv' }), 400, 64020, /Capture must be one of/);
    await refused(update({ status: 'done' }), 400, 64020, /Status must be one of complete, cancel/);
    await refused(update({ status: 'complete' }), 400, 64019, /capture expiration-date, security-code, postal-code/);
    await unchanged(callSid, sid, before);

    await refused(pay.startSession({ chargeAmount: 2 }, callSid), 400, 64021, /already has an active payment session/);
    const list = await pay.paytone.get(paymentsPath(callSid));
    assert.equal(list.body.payments.length, 1);

    await pay.finish(callSid, sid, 'cancel');
    const ended = await snapshot(callSid, sid);
    await refused(update({ capture: 'postal-code' }), 400, 64021, /takes no more captures/);
    await refused(update({ status: 'complete' }), 400, 64021, /has ended/);
    await unchanged(callSid, sid, ended);
  });

  it('answers 20404 for an unknown call, session or path', async () => {
    await refused(
      pay.client.calls(UNKNOWN_CALL).payments.create({ idempotencyKey: newKey(), statusCallback: pay.statusCallback }),
      404,
      20404,
      new RegExp(UNKNOWN_CALL),
    );
    const callSid = await pay.startCall();
    await refused(
      pay.client.calls(callSid).payments(UNKNOWN_SESSION).update({ idempotencyKey: newKey(), statusCallback: pay.statusCallback, status: 'cancel' }),
      404,
      20404,
      new RegExp(UNKNOWN_SESSION),
    );
    await refused(pay.client.calls(UNKNOWN_CALL).fetch(), 404, 20404, /was not found/);
    const path = await pay.paytone.get(`/2010-04-01/Accounts/${ACCOUNT_SID}/Conferences.json`);
    assert.equal(path.status, 404);
    assert.equal(path.body.code, 20404);
    assert.equal(path.body.more_info, 'https://www.twilio.com/docs/errors/20404');
    await untouched(callSid);
  });

  it('answers 21220 for a payment on a call that has ended', async () => {
    const callSid = await pay.startCall();
    await pay.client.calls(callSid).update({ status: 'completed' });
    await refused(pay.startSession({ chargeAmount: 1 }, callSid), 400, 21220, /not in-progress/);
    await untouched(callSid);
  });

  it('answers 20003 to a wrong token, another account\'s token and no credentials', async () => {
    const callSid = await pay.startCall();
    await refused(clientFor(ACCOUNT_SID, 'f'.repeat(32)).calls(callSid).fetch(), 401, 20003, /^Authenticate$/);
    const other = cli('accounts', 'create', '--friendly-name', 'other desk');
    const otherClient = clientFor(other.sid, other.auth_token);
    assert.equal((await otherClient.calls.list({ limit: 1 })).length, 0, "the other account's credentials work on its own path");
    await refused(
      clientFor(other.sid, other.auth_token, ACCOUNT_SID).calls(callSid).payments.create({ idempotencyKey: newKey(), statusCallback: pay.statusCallback }),
      401,
      20003,
      /^Authenticate$/,
    );
    const anonymous = await fetch(`${pay.paytone.baseUrl}${paymentsPath(callSid)}`, { method: 'POST' });
    assert.equal(anonymous.status, 401);
    assert.deepEqual(await anonymous.json(), {
      code: 20003,
      message: 'Authenticate',
      more_info: 'https://www.twilio.com/docs/errors/20003',
      status: 401,
    });
    await untouched(callSid);
  });

  it('accepts an API key made with the CLI', async () => {
    const key = cli('keys', 'create', '--account', ACCOUNT_SID, '--friendly-name', 'agent desktop');
    assert.match(key.sid, /^SK[0-9a-f]{32}$/);
    const client = clientFor(key.sid, key.secret, ACCOUNT_SID);
    const call = await client.calls.create({ to: '+14155550100', from: '+14155550199', twiml: '<Response/>' });
    const payment = await client.calls(call.sid).payments.create({ idempotencyKey: newKey(), statusCallback: pay.statusCallback, chargeAmount: 3 });
    assert.match(payment.sid, /^PK/);
    await refused(clientFor(key.sid, 'f'.repeat(32), ACCOUNT_SID).calls(call.sid).fetch(), 401, 20003, /^Authenticate$/);
  });

  it('reads parameters the way real clients send them', async () => {
    const callSid = await pay.startCall();
    const body = [
      `IdempotencyKey=${newKey()}`,
      `StatusCallback=${encodeURIComponent(pay.statusCallback)}`,
      'ChargeAmount=5',
      'Confirmation=True',
      'PostalCode=False',
      'SecurityCode=false',
      'ValidCardTypes=visa+amex',
      'Parameter=' + encodeURIComponent('{ "a" : 1 }'),
      'Timeout=',
      'Currency=',
      'PaymentConnector=',
    ].join('&');
    const created = await postRaw(pay.paytone, paymentsPath(callSid), body);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const sid = created.body.sid;
    const view = await pay.session(callSid, sid);
    assert.deepEqual(view.required, ['payment-card-number', 'expiration-date'], 'PostalCode=False and SecurityCode=false');
    assert.equal(view.currency, 'USD');
    assert.equal(view.payment_connector, 'Default');

    const mastercard = await pay.capture(callSid, sid, 'payment-card-number', '5555555555554444#');
    assert.equal(mastercard.ErrorType, 'invalid-card-type');
    const amex = await pay.capture(callSid, sid, 'payment-card-number', '378282246310005');
    assert.equal(amex.PaymentCardType, 'amex');
    await pay.capture(callSid, sid, 'expiration-date', `${futureExpiry()}#`);
    await pay.client.calls(callSid).payments(sid).update({ idempotencyKey: newKey(), statusCallback: pay.statusCallback, status: 'complete' });
    assert.equal((await pay.session(callSid, sid)).status, 'awaiting-confirmation', 'Confirmation=True');
    await pay.paytone.press(callSid, '2');
  });

  it('never echoes a card number typed into the wrong parameter', async () => {
    const callSid = await pay.startCall();
    await refused(
      pay.client.calls(callSid).payments.create({ idempotencyKey: newKey(), statusCallback: pay.statusCallback, chargeAmount: '4242424242424242' as never }),
      400,
      64003,
      /ChargeAmount/,
    );
    await refused(
      pay.client.calls(callSid).payments.create({ idempotencyKey: newKey(), statusCallback: pay.statusCallback, description: 'x', currency: '4242424242424242' }),
      400,
      64020,
      /Currency.*\*{12}4242/,
    );
    assert.doesNotMatch(pay.paytone.output(), /4242424242424242/);
    await untouched(callSid);
  });

  it('uses the same credentials for every route of the account', async () => {
    const response = await pay.paytone.get(`/2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`, [ACCOUNT_SID, AUTH_TOKEN.replace(/^f/, 'e')]);
    assert.equal(response.status, 401);
    assert.equal(response.body.code, 20003);
  });
});
