/**
 * Hostile callers through the official client and raw HTTP: an account over its rate limit gets Twilio's 20429
 * with Retry-After and changes nothing, while other accounts and unauthenticated guesses are unaffected; with
 * the production callback policy, callback URLs that point into the server's own network are refused when
 * given (64020 naming StatusCallback) and again when delivered (a public-looking name resolving to loopback).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import twilio from 'twilio';
import { ACCOUNT_SID, AUTH_TOKEN, paytoneCli, startPaytoneProcess, tempDataDir, type PaytoneProcess } from '../support/paytone.js';
import { startGenericGateway } from '../support/genericGateway.js';
import { basicAuth, openEventStream } from '../support/sse.js';
import { until } from '../support/poll.js';
import { startReceiver, type CallbackReceiver } from '../support/receiver.js';
import { futureExpiry, newKey, openPaytone, paymentsPath, type PaytoneUnderTest } from './flows.js';
import { createConnector, twilioError } from './connectorFlows.js';

/** Rows of a table in the server's database, read beside the running server. */
function countRows(dataDir: string, table: 'payment_sessions' | 'calls' | 'audit_log'): number {
  const db = new Database(path.join(dataDir, 'paytone.db'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('per-account rate limits', () => {
  const LIMIT = 6;
  let pay: PaytoneUnderTest;
  // A long window, so that the count cannot roll over while the test runs on a slow machine.
  before(async () => (pay = await openPaytone({ PAYTONE_RATE_LIMIT: `${LIMIT}/10m` })));
  after(async () => pay?.close());

  it('answers 20429 with Retry-After past the limit, changes nothing, and leaves other accounts and the unauthenticated alone', async () => {
    const other = paytoneCli(pay.paytone, 'accounts', 'create', '--friendly-name', 'other desk');
    const callSid = await pay.startCall();
    const wrongPassword = await pay.paytone.get(`/2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`, [ACCOUNT_SID, 'f'.repeat(32)]);
    assert.equal(wrongPassword.status, 401, 'a wrong password is refused, and does not count against the account');

    const answers: Array<{ status: number; headers: Headers; body: any }> = [];
    for (let i = 0; i < LIMIT; i += 1) {
      const response = await fetch(`${pay.paytone.baseUrl}/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${callSid}.json`, {
        headers: { authorization: 'Basic ' + Buffer.from(`${ACCOUNT_SID}:${'fedcba9876543210'.repeat(2)}`).toString('base64') },
      });
      answers.push({ status: response.status, headers: response.headers, body: await response.json() });
    }
    // One create call (above) plus LIMIT-1 fetches fit; the last fetch is one too many.
    assert.deepEqual(answers.map((a) => a.status), [...Array(LIMIT - 1).fill(200), 429]);
    const limited = answers.at(-1)!;
    assert.equal(limited.body.code, 20429);
    assert.equal(limited.body.status, 429);
    assert.equal(limited.body.more_info, 'https://www.twilio.com/docs/errors/20429');
    assert.match(limited.body.message, new RegExp(`^Too many requests for account ${ACCOUNT_SID}: at most ${LIMIT} requests every 600 seconds\\.`));
    assert.deepEqual(Object.keys(limited.body).sort(), ['code', 'message', 'more_info', 'status']);
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 600, `Retry-After ${limited.headers.get('retry-after')}`);
    assert.equal(limited.headers.get('x-ratelimit-limit'), String(LIMIT));
    assert.equal(limited.headers.get('x-ratelimit-remaining'), '0');

    const sessionsBefore = countRows(pay.paytone.dataDir, 'payment_sessions');
    const auditBefore = countRows(pay.paytone.dataDir, 'audit_log');
    await assert.rejects(
      pay.client.calls(callSid).payments.create({ idempotencyKey: newKey(), statusCallback: pay.statusCallback }),
      (err: any) => err.status === 429 && err.code === 20429,
    );
    assert.equal(countRows(pay.paytone.dataDir, 'payment_sessions'), sessionsBefore, 'a limited create starts no session');
    assert.equal(countRows(pay.paytone.dataDir, 'audit_log'), auditBefore, 'nor an audit entry a flood could multiply');

    const otherClient = twilio(other.sid, other.auth_token);
    otherClient.api.baseUrl = pay.paytone.baseUrl;
    const otherCall = await otherClient.calls.create({ to: '+15551230300', from: '+15559870300' });
    assert.equal(otherCall.status, 'in-progress', 'another account still has its own allowance');

    const unauthenticated = await pay.paytone.get(`/2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`, [ACCOUNT_SID, 'f'.repeat(32)]);
    assert.equal(unauthenticated.status, 401, 'without credentials the answer is still 20003, not 20429');
    assert.equal((await fetch(`${pay.paytone.baseUrl}/`)).status, 200, 'routes outside an account are not limited');
  });
});

describe('callback URL policy in production (PAYTONE_CALLBACK_POLICY=public)', () => {
  let pay: PaytoneUnderTest;
  /** On 127.0.0.2, which the allow list trusts. */
  let trusted: CallbackReceiver;
  before(async () => {
    pay = await openPaytone({ PAYTONE_CALLBACK_POLICY: 'public', PAYTONE_CALLBACK_ALLOW: '127.0.0.2' });
    trusted = await startReceiver('fedcba9876543210'.repeat(2), '127.0.0.2');
  });
  after(async () => {
    await trusted?.close();
    await pay?.close();
  });

  const refusedAs = (fragment: RegExp) => (err: any) => {
    assert.equal(err.status, 400, err.message);
    assert.equal(err.code, 64020, err.message);
    assert.match(err.message, /^StatusCallback "[^"]+" is refused: it /);
    assert.match(err.message, fragment);
    return true;
  };

  it('refuses loopback, private, link-local and non-https StatusCallbacks when they are given, and stores nothing', async () => {
    const callsBefore = countRows(pay.paytone.dataDir, 'calls');
    await assert.rejects(
      pay.client.calls.create({ to: '+15551230301', from: '+15559870301', statusCallback: 'https://169.254.169.254/latest/meta-data' }),
      refusedAs(/link-local address/),
    );
    assert.equal(countRows(pay.paytone.dataDir, 'calls'), callsBefore, 'no call was placed');

    const callSid = await pay.startCall({ url: 'https://10.0.0.8/voice' });
    const attempts: Array<[string, RegExp]> = [
      [pay.statusCallback, /uses plain http/],
      ['https://127.0.0.1:8443/pay', /loopback address/],
      ['https://[::ffff:192.168.0.1]/pay', /private address/],
      ['/pay', /private address/], // relative: resolved against the call's Url on 10.0.0.8
    ];
    for (const [statusCallback, why] of attempts) {
      await assert.rejects(pay.client.calls(callSid).payments.create({ idempotencyKey: newKey(), statusCallback }), refusedAs(why));
    }
    assert.deepEqual((await pay.paytone.get(paymentsPath(callSid))).body.payments, [], 'no session was started');
  });

  it('refuses at delivery a host name that resolves to a loopback address, and says so in the event log', async () => {
    const port = new URL(pay.receiver.url).port;
    const callSid = await pay.startCall();
    const payment = await pay.client.calls(callSid).payments.create({ idempotencyKey: newKey(), statusCallback: `https://localhost:${port}/pay` });
    const start = await until('the start callback to be tried', async () => {
      const [first] = await pay.events(callSid, payment.sid);
      return first !== undefined && first.callback.status !== 'pending' && first;
    });
    assert.deepEqual(
      { status: start.callback.status, attempts: start.callback.attempts, error: start.callback.last_error },
      { status: 'failed', attempts: 1, error: 'refused by the callback policy: the host resolves to a loopback address' },
    );
    assert.equal(pay.receiver.received.length, 0, 'nothing reached the receiver behind localhost');
  });

  it('delivers to a network on the allow list, plain http included', async () => {
    const callSid = await pay.startCall();
    const payment = await pay.client.calls(callSid).payments.create({ idempotencyKey: newKey(), statusCallback: `${trusted.url}/pay` });
    await trusted.waitFor((received) => received.some((r) => r.params.Sid === payment.sid));
    assert.ok(trusted.forSession(payment.sid).every((r) => r.signatureValid));
  });
});

describe('connectors made under PAYTONE_CALLBACK_POLICY=any, used after a restart with public', () => {
  it('sends no payment to a loopback or plain-http endpoint, at the start of a session or at its end', async () => {
    const gateway = await startGenericGateway();
    const receiver = await startReceiver(AUTH_TOKEN, '127.0.0.2');
    const dataDir = tempDataDir();
    const sandboxPolicy = await startPaytoneProcess({ dataDir });
    let production: PaytoneProcess | undefined;
    try {
      await createConnector(sandboxPolicy, { UniqueName: 'Loopback', Type: 'generic', Mode: 'test', EndpointUrl: gateway.url, Username: gateway.username, Password: gateway.password });
      const client = sandboxPolicy.client();
      const call = await client.calls.create({ to: '+15551230401', from: '+15559870401', twiml: '<Response><Pause length="60"/></Response>' });
      const statusCallback = `${receiver.url}/pay`;
      const begun = await client.calls(call.sid).payments.create({ idempotencyKey: newKey(), statusCallback, paymentConnector: 'Loopback', chargeAmount: 10, postalCode: false });
      for (const [capture, digits] of [['payment-card-number', '4242424242424242#'], ['expiration-date', `${futureExpiry()}#`], ['security-code', '123#']]) {
        await client.calls(call.sid).payments(begun.sid).update({ idempotencyKey: newKey(), statusCallback, capture: capture as never });
        await sandboxPolicy.press(call.sid, digits!);
        await receiver.waitFor((received) => received.some((r) => r.params.Sid === begun.sid && r.params.Capture === capture && r.params.PartialResult === 'false'));
      }
      await sandboxPolicy.kill('SIGTERM');

      production = await startPaytoneProcess({ dataDir, env: { PAYTONE_CALLBACK_POLICY: 'public', PAYTONE_CALLBACK_ALLOW: '127.0.0.2' } });
      const later = production.client();
      const another = await later.calls.create({ to: '+15551230402', from: '+15559870402', twiml: '<Response><Pause length="60"/></Response>' });
      const refused = await twilioError(later.calls(another.sid).payments.create({ idempotencyKey: newKey(), statusCallback, paymentConnector: 'Loopback', chargeAmount: 10 }));
      assert.equal(refused.code, 64004);
      assert.match(refused.message, /PaymentConnector "Loopback" cannot be used: its EndpointUrl "[^"]+" is refused: it uses plain http/);

      await later.calls(call.sid).payments(begun.sid).update({ idempotencyKey: newKey(), statusCallback, status: 'complete' });
      await receiver.waitFor((received) => received.some((r) => r.params.Sid === begun.sid && r.params.Result !== undefined));
      const final = receiver.forSession(begun.sid).at(-1)!.params;
      assert.equal(final.Result, 'payment-connector-error');
      assert.equal(final.ConnectorError, 'endpoint_refused');
      assert.match(final.PaymentError ?? '', /PAYTONE_CALLBACK_POLICY=public/);
      assert.equal(gateway.requests.length, 0, 'no card was sent over plain http to loopback');
    } finally {
      await production?.stop();
      await sandboxPolicy.stop();
      await receiver.close();
      await gateway.close();
    }
  });
});

describe('event streams per account (PAYTONE_MAX_EVENT_STREAMS)', () => {
  let pay: PaytoneUnderTest;
  before(async () => (pay = await openPaytone({ PAYTONE_MAX_EVENT_STREAMS: '2' })));
  after(async () => pay?.close());

  it('opens at most that many at once for one account, answers 20429 past it, and leaves other accounts alone', async () => {
    const events = (accountSid: string) => `${pay.paytone.baseUrl}/v1/Accounts/${accountSid}/Events`;
    const own = { authorization: basicAuth(ACCOUNT_SID, AUTH_TOKEN) };
    const first = await openEventStream(events(ACCOUNT_SID), own);
    const second = await openEventStream(events(ACCOUNT_SID), own);
    const third = await openEventStream(events(ACCOUNT_SID), own);
    assert.deepEqual([first.status, second.status, third.status], [200, 200, 429]);
    const refusal = await fetch(events(ACCOUNT_SID), { headers: own });
    const body = await refusal.json();
    assert.equal(body.code, 20429);
    assert.match(body.message, /At most 2 event streams/);
    assert.ok(Number(refusal.headers.get('retry-after')) > 0);

    const other = paytoneCli(pay.paytone, 'accounts', 'create', '--friendly-name', 'other desk');
    const theirs = await openEventStream(events(other.sid), { authorization: basicAuth(other.sid, other.auth_token) });
    assert.equal(theirs.status, 200, 'another account has streams of its own');

    first.close();
    const again = await until('a stream to be free again', async () => {
      const stream = await openEventStream(events(ACCOUNT_SID), own);
      if (stream.status === 200) return stream;
      stream.close();
      return null;
    });
    for (const stream of [second, again, theirs]) stream.close();
  });
});
