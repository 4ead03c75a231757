/**
 * The audit trail end to end: an agent desktop working with an API key and a keypad using the account's token
 * leave one entry per change, each naming the credential (never its secret), the source address, the action and
 * the masked parameters; refused requests are recorded with their error code; reads leave nothing; the trail is
 * readable per session and per account, a page at a time, and only by its own account.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import twilio from 'twilio';
import { ACCOUNT_SID, AUTH_TOKEN, paytoneCli } from '../support/paytone.js';
import { createApiKey } from '../support/apiKey.js';
import { futureExpiry, newKey, openPaytone, paymentsPath, type PaytoneUnderTest } from './flows.js';

const CARD = '4242424242424242';

describe('audit trail', () => {
  let pay: PaytoneUnderTest;
  before(async () => (pay = await openPaytone()));
  after(async () => pay?.close());

  it('records who did what to a session, with masked values, and shows it per session and per account', async () => {
    const [keySid, keySecret] = await createApiKey(pay.paytone);
    const agent = twilio(keySid, keySecret, { accountSid: ACCOUNT_SID });
    agent.api.baseUrl = pay.paytone.baseUrl;

    const call = await agent.calls.create({ to: '+15551230400', from: '+15559870400', url: `${pay.receiver.url}/voice` });
    const statusCallback = `${pay.receiver.url}/pay?token=s3cret`;
    const payment = await agent.calls(call.sid).payments.create({ idempotencyKey: newKey(), statusCallback, chargeAmount: 12, description: `for card ${CARD}` });
    await assert.rejects(agent.calls(call.sid).payments(payment.sid).update({ idempotencyKey: newKey(), statusCallback, status: 'complete' }), { code: 64019 });
    await agent.calls(call.sid).payments(payment.sid).update({ idempotencyKey: 'card-1', statusCallback, capture: 'payment-card-number' });
    await pay.paytone.press(call.sid, `${CARD}#`);
    await pay.session(call.sid, payment.sid);

    const { body } = await pay.paytone.get(paymentsPath(call.sid, payment.sid).replace(/\.json$/, '/Audit.json'));
    const entries = body.entries as Array<Record<string, any>>;
    assert.deepEqual(
      entries.map((e) => [e.action, e.credential_sid, e.response_status, e.error_code]),
      [
        ['call.create', keySid, 201, null],
        ['payment.create', keySid, 201, null],
        ['payment.complete', keySid, 400, 64019],
        ['payment.capture', keySid, 202, null],
        ['sandbox.keypress', ACCOUNT_SID, 202, null],
      ],
    );
    for (const e of entries) {
      assert.equal(e.account_sid, ACCOUNT_SID);
      assert.equal(e.source_ip, '127.0.0.1');
      assert.equal(e.call_sid, call.sid);
      assert.match(e.date_created, /^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
    }
    const [placed, created, refused, capture, keypress] = entries;
    assert.equal(placed!.payment_sid, null);
    assert.equal(created!.payment_sid, payment.sid, 'a create is filed under the session it made');
    assert.match(created!.user_agent, /^twilio-node\//);
    assert.deepEqual(created!.parameters, {
      ChargeAmount: '12',
      Description: '[given]',
      IdempotencyKey: created!.parameters.IdempotencyKey,
      StatusCallback: `${pay.receiver.url}/pay`,
    });
    assert.equal(refused!.parameters.Status, 'complete');
    assert.equal(capture!.parameters.Capture, 'payment-card-number');
    assert.deepEqual(keypress!.parameters, { Digits: '****************#' });
    assert.equal(keypress!.path, `/sandbox/Accounts/${ACCOUNT_SID}/Calls/${call.sid}/Dtmf.json`);

    const raw = JSON.stringify(body);
    for (const secret of [CARD, keySecret, AUTH_TOKEN, 's3cret']) assert.ok(!raw.includes(secret), `the audit shows no ${secret === CARD ? 'card number' : 'secret'}`);
  });

  it('pages through the account trail, filters by call and session, and is closed to other accounts', async () => {
    const callSid = await pay.startCall();
    const { sid } = await pay.startSession({ chargeAmount: 5 }, callSid);
    await pay.requestCapture(callSid, sid, 'expiration-date');
    await pay.paytone.press(callSid, futureExpiry());

    const first = (await pay.paytone.get(`/v1/Accounts/${ACCOUNT_SID}/AuditLog.json?CallSid=${callSid}&PageSize=2`)).body;
    assert.deepEqual(first.entries.map((e: any) => e.action), ['call.create', 'payment.create']);
    const second = (await pay.paytone.get(first.next_page_uri)).body;
    assert.deepEqual(second.entries.map((e: any) => e.action), ['payment.capture', 'sandbox.keypress']);
    assert.equal(second.next_page_uri, null);
    const ofSession = (await pay.paytone.get(`/v1/Accounts/${ACCOUNT_SID}/AuditLog.json?PaymentSid=${sid}`)).body;
    assert.deepEqual(ofSession.entries.map((e: any) => e.action), ['payment.create', 'payment.capture']);
    const everything = (await pay.paytone.get(`/v1/Accounts/${ACCOUNT_SID}/AuditLog.json?PageSize=1000`)).body;
    assert.ok(everything.entries.every((e: any) => e.method !== 'GET'), 'reads are not audited');

    const bad = await pay.paytone.get(`/v1/Accounts/${ACCOUNT_SID}/AuditLog.json?PaymentSid=nope`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 64020);
    assert.match(bad.body.message, /^PaymentSid must be a PK sid/);

    const other = paytoneCli(pay.paytone, 'accounts', 'create', '--friendly-name', 'other desk');
    const foreign = await pay.paytone.get(`/v1/Accounts/${ACCOUNT_SID}/AuditLog.json`, [other.sid, other.auth_token]);
    assert.equal(foreign.status, 401);
    const own = await pay.paytone.get(`/v1/Accounts/${other.sid}/AuditLog.json`, [other.sid, other.auth_token]);
    assert.deepEqual(own.body.entries, [], "another account sees none of this account's entries");
    const session = await pay.paytone.get(paymentsPath(callSid, sid).replace(/\.json$/, '/Audit.json').replace(ACCOUNT_SID, other.sid), [other.sid, other.auth_token]);
    assert.equal(session.status, 404);
  });
});

describe('source address behind a load balancer', () => {
  const spoofed = { 'x-forwarded-for': '203.0.113.9' };
  /** The source address the audit recorded for one call created with these headers. */
  async function recordedSource(pay: PaytoneUnderTest, headers: Record<string, string>): Promise<string> {
    const response = await fetch(`${pay.paytone.baseUrl}/2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`, {
      method: 'POST',
      headers: { authorization: 'Basic ' + Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64'), 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ To: '+15551230500', From: '+15559870500' }).toString(),
    });
    const callSid = ((await response.json()) as { sid: string }).sid;
    const { body } = await pay.paytone.get(`/v1/Accounts/${ACCOUNT_SID}/AuditLog.json?CallSid=${callSid}`);
    return body.entries[0].source_ip;
  }

  it('ignores X-Forwarded-For unless the peer is a trusted proxy (PAYTONE_TRUST_PROXY)', async () => {
    const direct = await openPaytone();
    const proxied = await openPaytone({ PAYTONE_TRUST_PROXY: 'loopback' });
    try {
      assert.equal(await recordedSource(direct, spoofed), '127.0.0.1', 'a client cannot choose its recorded address');
      assert.equal(await recordedSource(proxied, spoofed), '203.0.113.9', 'behind a trusted proxy the real client is recorded');
    } finally {
      await Promise.all([direct.close(), proxied.close()]);
    }
  });
});
