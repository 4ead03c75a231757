/**
 * Cardholder data and secrets never leave memory and the vault in the clear: after a run of full sessions (charge,
 * tokenize, decline, ACH, cancelled and hung up mid-typing, and a card number typed where the postal code, the
 * expiry and the routing number were asked: fields shown in clear; a card typed on a real SIP call by RFC 4733, in-band
 * tones and SIP INFO) and of every other kind of request (API key and auth
 * token, a wrong password, connectors with their secrets, refused parameters carrying a card number, the audit and
 * event logs, the live event stream, metrics), every byte paytone left behind or sent out is searched for the card
 * numbers, security codes and bank account number the caller typed, and for every secret: the auth token, the API
 * key secret, the wrong password, the connector password and API key, the metrics token and the vault key.
 *
 * Searched: every file in the data dir after `kill -9` (the WAL is still there) and again after a clean stop,
 * everything the process printed at LOG_LEVEL=debug, every callback body, every API response body, the live event
 * stream and `/metrics` (its names, labels and help; not its sample values). The security codes are unusual (737,
 * 7373) and are searched as they would appear in JSON or a form, so that a hit means a leak and not a coincidence;
 * so is the misdirected card's first 7 digits, one more than PCI DSS lets be shown.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { PaymentListInstanceCreateOptions } from 'twilio/lib/rest/api/v2010/account/call/payment.js';
import { until } from '../support/poll.js';
import { ACCOUNT_SID, AUTH_TOKEN } from '../support/paytone.js';
import { createApiKey } from '../support/apiKey.js';
import { clusterSizeForTests } from '../support/paytoneCluster.js';
import { openEventStream, type EventStream } from '../support/sse.js';
import { openPaytone, paymentsPath, type PaytoneUnderTest } from './flows.js';
import { peersOrSkip } from '../support/sipPeers.js';
import { typeCardOnRealCall } from '../support/realCallCard.js';

const EXPIRY = '1230';
const CVC = '737';
const AMEX_CVC = '7373';
const CARDS = {
  charged: '4242424242424242',
  amex: '378282246310005',
  declined: '4000000000000002',
  cancelled: '5555555555554444',
  hungUp: '4000056655665556',
  /** Typed on a real SIP call: RFC 4733, in-band tones and SIP INFO. */
  realCall: '4012888888881881',
};
/** Paid through `<Pay>`, with no agent: the card typed on the keypad as each field is asked. */
const IVR_CARD = '4000002500003155';
const BANK_ACCOUNT = '000123456789';
/** Typed where the postal code, the expiry or the routing number was asked, as a confused caller would. */
const MISDIRECTED = '2223003122003222';
const ROUTING_NUMBER = '110000000';

const METRICS_TOKEN = 'metrics-token-7f3a9c1e5b2d';
const WRONG_PASSWORD = 'wrong-password-c0ffee';
const CONNECTOR_PASSWORD = 'generic-password-5e1f0a';
const CONNECTOR_API_KEY = 'sk_test_leakcheck4b9d2e';

/** Secrets learnt while the test runs: the API key's, and the vault key the server generated. */
const secrets: string[] = [AUTH_TOKEN, METRICS_TOKEN, WRONG_PASSWORD, CONNECTOR_PASSWORD, CONNECTOR_API_KEY];
let vaultKey = '';

const basic = (username: string, password: string) => Buffer.from(`${username}:${password}`).toString('base64');

/** Each secret in the forms it could take in a file, a log line, a JSON body or a form body. */
function needles(): string[] {
  // As a JSON string and as a form value; a bare "737" would also match inside SIDs and timestamps.
  const codes = [CVC, AMEX_CVC].flatMap((code) => [`"${code}"`, `=${code}`]);
  const cards = [...Object.values(CARDS), IVR_CARD].flatMap((card) => [card, card + EXPIRY, EXPIRY + card]);
  const misdirected = [MISDIRECTED, `"${MISDIRECTED.slice(0, 7)}`, `=${MISDIRECTED.slice(0, 7)}`];
  // A secret could also travel as the Authorization header it came in.
  const credentials = [basic(ACCOUNT_SID, AUTH_TOKEN), basic(ACCOUNT_SID, WRONG_PASSWORD)];
  return [...cards, ...misdirected, ...codes, BANK_ACCOUNT, ...secrets, ...credentials, ...(vaultKey ? [vaultKey] : [])];
}

let pay: PaytoneUnderTest;
/** Every API response body the tests saw. */
const responses: string[] = [];

before(async () => (pay = await openPaytone({ LOG_LEVEL: 'debug', PAYTONE_METRICS_TOKEN: METRICS_TOKEN }, { onResponse: (body) => responses.push(body) })));

after(async () => pay?.close());

interface PaySession {
  callSid: string;
  sid: string;
}

async function startSession(options: Omit<PaymentListInstanceCreateOptions, 'idempotencyKey' | 'statusCallback'>): Promise<PaySession> {
  const callSid = await pay.startCall({ to: '+15551230200', url: `${pay.receiver.url}/voice` });
  return pay.startSession({ timeout: 120, postalCode: false, ...options }, callSid);
}

async function card(s: PaySession, number: string, last4: string, code: string): Promise<void> {
  await pay.captureShown(s.callSid, s.sid, 'payment-card-number', `${number}#`, (v) => String(v.payment_card_number).endsWith(last4));
  await pay.captureShown(s.callSid, s.sid, 'expiration-date', `${EXPIRY}#`, (v) => v.expiration_date === EXPIRY);
  await pay.captureShown(s.callSid, s.sid, 'security-code', `${code}#`, (v) => v.security_code === 'x'.repeat(code.length));
}

/** The agent asks for `capture`, and the caller types the card number instead; returns how the field ended. */
async function misdirect(s: PaySession, capture: string): Promise<string> {
  await pay.requestCapture(s.callSid, s.sid, capture);
  await pay.paytone.press(s.callSid, `${MISDIRECTED}#`);
  await pay.keypadIdle(s.callSid);
  const ended = (await pay.events(s.callSid, s.sid)).filter((e) => e.parameters.Capture === capture && e.parameters.PartialResult === 'false');
  return `${capture}: ${ended.at(-1)?.parameters.ErrorType ?? 'accepted'}`;
}

/** Types some digits of the security code without ending it. */
async function startTypingSecurityCode(s: PaySession, digits: string): Promise<void> {
  await pay.requestCapture(s.callSid, s.sid, 'security-code');
  await pay.paytone.press(s.callSid, digits);
  await until('security-code to be partly typed', async () => {
    const last = (await pay.events(s.callSid, s.sid)).at(-1)!;
    return last.parameters.Capture === 'security-code' && last.parameters.PartialResult === 'true' && last.parameters.SecurityCode === 'x'.repeat(digits.length);
  });
}

async function ended(s: PaySession): Promise<Record<string, any>> {
  return until('the session to end', async () => {
    const v = await pay.session(s.callSid, s.sid);
    return ['completed', 'failed', 'canceled'].includes(v.status) && v;
  });
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? [full, ...filesUnder(full)] : [full];
  });
}

/** `where: needle` for every secret found in `bytes`. */
function hits(where: string, bytes: Buffer | string): string[] {
  const haystack = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  return needles()
    .filter((needle) => haystack.includes(needle))
    .map((needle) => `${where}: ${JSON.stringify(needle)}`);
}

function dataDirLeaks(): string[] {
  return filesUnder(pay.paytone.dataDir)
    .filter((file) => fs.statSync(file).isFile())
    .flatMap((file) => hits(path.relative(pay.paytone.dataDir, file), fs.readFileSync(file)))
    .filter((hit) => hit !== `vault.key: ${JSON.stringify(vaultKey)}`); // where the key is meant to be
}

/** The sessions among `sids` whose row still holds sealed card data. */
function sealedSecretsOf(sids: string[]): string[] {
  const db = new Database(path.join(pay.paytone.dataDir, 'paytone.db'), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare(`SELECT sid FROM payment_sessions WHERE sealed_secrets IS NOT NULL AND sid IN (${sids.map(() => '?').join(',')})`).all(...sids);
    return (rows as Array<{ sid: string }>).map((row) => row.sid);
  } finally {
    db.close();
  }
}

/**
 * Prometheus text without its sample values. They are measurements, and a float sum such as 1.4000000000000002
 * holds a test card number by chance; the names, labels and help text are what could carry data, and are searched.
 */
function metricsWithoutValues(text: string): string {
  return text
    .split('\n')
    .map((line) => (line.startsWith('#') ? line : line.slice(0, line.includes('{') ? line.lastIndexOf('}') + 1 : line.search(/\s|$/))))
    .join('\n');
}

/** A request with raw fetch whose body joins the searched responses, as `searched` gives it. */
async function call(
  method: string,
  urlPath: string,
  auth: string,
  form?: Record<string, string>,
  searched: (body: string) => string = (body) => body,
): Promise<{ status: number; body: any }> {
  const response = await fetch(pay.paytone.baseUrl + urlPath, {
    method,
    headers: { authorization: auth, ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    body: form ? new URLSearchParams(form).toString() : undefined,
  });
  const text = await response.text();
  responses.push(searched(text));
  return { status: response.status, body: text.startsWith('{') ? JSON.parse(text) : text };
}

/**
 * Every kind of request that is not a pay session: API key and auth token, a wrong password, connectors with their
 * secrets, parameters refused while carrying a card number.
 */
async function otherRequests(): Promise<void> {
  const [keySid, keySecret] = await createApiKey(pay.paytone);
  secrets.push(keySecret);
  const asKey = 'Basic ' + basic(keySid, keySecret);
  const account = `/2010-04-01/Accounts/${ACCOUNT_SID}`;
  assert.equal((await call('GET', `${account}.json`, asKey)).status, 200);
  assert.equal((await call('GET', `${account}/Calls.json`, 'Basic ' + basic(ACCOUNT_SID, WRONG_PASSWORD))).status, 401);
  assert.equal((await call('GET', `${account}/Calls.json`, 'Basic ' + basic(keySid, WRONG_PASSWORD))).status, 401);

  const connectors = `/v1/Accounts/${ACCOUNT_SID}/PayConnectors.json`;
  const generic = { UniqueName: 'leak_generic', Type: 'generic', Mode: 'test', EndpointUrl: `${pay.receiver.url}/gateway`, Username: 'paytone', Password: CONNECTOR_PASSWORD };
  assert.equal((await call('POST', connectors, asKey, generic)).status, 201);
  assert.equal((await call('POST', connectors, asKey, { UniqueName: 'leak_stripe', Type: 'stripe', Mode: 'test', ApiKey: CONNECTOR_API_KEY })).status, 201);
  assert.equal((await call('GET', connectors, asKey)).status, 200);

  const callSid = (await call('POST', `${account}/Calls.json`, asKey, { To: '+15551230201', From: '+15559870201' })).body.sid;
  const refusals = await Promise.all([
    call('POST', paymentsPath(callSid), asKey, { IdempotencyKey: 'k-leak-1', StatusCallback: pay.statusCallback, ChargeAmount: CARDS.charged }),
    call('POST', paymentsPath(callSid), asKey, { IdempotencyKey: 'k-leak-2', StatusCallback: pay.statusCallback, Currency: CARDS.amex }),
    call('POST', paymentsPath(callSid), asKey, { IdempotencyKey: 'k-leak-3', StatusCallback: pay.statusCallback, Timeout: `${CARDS.declined} ${CVC}` }),
    call('POST', paymentsPath(callSid), asKey, { IdempotencyKey: 'k-leak-4', StatusCallback: `${pay.receiver.url}/${CARDS.cancelled}`, PaymentMethod: CARDS.hungUp }),
  ]);
  assert.deepEqual(refusals.map((r) => r.status), [400, 400, 400, 400]);
  assert.equal((await call('POST', `${account}/Calls/${callSid}.json`, asKey, { Status: 'completed' })).status, 200);
}


/**
 * A caller pays through `<Pay>` with no agent: the card typed on the keypad as each field is asked, the outcome
 * posted to the action, progress to the statusCallback (both on the receiver, searched with every callback).
 */
async function payByIvr(stream: EventStream): Promise<PaySession> {
  const twiml = `<Response><Pay chargeAmount="20" postalCode="false" timeout="120" action="${pay.receiver.url}/pay-action" statusCallback="${pay.receiver.url}/pay-status"/></Response>`;
  const callSid = (await pay.client.calls.create({ to: '+15551230202', from: '+15559870202', twiml })).sid;
  for (const [capture, digits] of [['payment-card-number', `${IVR_CARD}#`], ['expiration-date', EXPIRY], ['security-code', `${CVC}#`]] as const) {
    await until(`<Pay> to ask for ${capture}`, async () => stream.events.some((e) => e.event === 'asking' && e.data.call_sid === callSid && e.data.parameters.Capture === capture));
    await pay.paytone.press(callSid, digits);
  }
  await pay.receiver.waitFor((all) => all.some((r) => r.path === '/pay-action' && r.params.CallSid === callSid));
  const action = pay.receiver.received.find((r) => r.path === '/pay-action' && r.params.CallSid === callSid)!;
  assert.equal(action.params.Result, 'success');
  assert.equal(action.params.PaymentCardNumber, 'xxxx-xxxx-xxxx-3155');
  assert.ok(pay.receiver.received.some((r) => r.path === '/pay-status' && r.params.CallSid === callSid), 'the progress is there to search');
  return { callSid, sid: (await pay.paytone.get(paymentsPath(callSid))).body.payments[0].sid };
}

// One process on its embedded database: a cluster keeps its data in PostgreSQL, whose rows the cluster kill test searches.
const clusterReason = clusterSizeForTests() > 1 ? 'searches the embedded data dir; the cluster kill test searches the PostgreSQL rows' : false;

describe('no cardholder data at rest or in transit', { skip: clusterReason }, () => {
  it('leaves no card number, security code, bank account number or secret anywhere', async () => {
    vaultKey = fs.readFileSync(path.join(pay.paytone.dataDir, 'vault.key'), 'utf8').trim();
    const stream: EventStream = await openEventStream(`${pay.paytone.baseUrl}/v1/Accounts/${ACCOUNT_SID}/Events`, {
      authorization: 'Basic ' + basic(ACCOUNT_SID, AUTH_TOKEN),
    });
    await otherRequests();

    const charged = await startSession({ chargeAmount: 20 });
    await card(charged, CARDS.charged, '4242', CVC);
    await pay.requestFinish(charged.callSid, charged.sid);
    assert.equal((await ended(charged)).result, 'success');

    const amex = await startSession({ tokenType: 'reusable' });
    await card(amex, CARDS.amex, '0005', AMEX_CVC);
    await pay.requestFinish(amex.callSid, amex.sid);
    assert.equal((await ended(amex)).result, 'success');

    const declined = await startSession({ chargeAmount: 20 });
    await card(declined, CARDS.declined, '0002', CVC);
    await pay.requestFinish(declined.callSid, declined.sid);
    assert.equal((await ended(declined)).connector_error, 'card_declined');

    const ach = await startSession({ chargeAmount: 20, paymentMethod: 'ach-debit', bankAccountType: 'consumer-checking' });
    await pay.captureShown(ach.callSid, ach.sid, 'bank-routing-number', `${ROUTING_NUMBER}#`, (v) => v.bank_routing_number === ROUTING_NUMBER);
    await pay.captureShown(ach.callSid, ach.sid, 'bank-account-number', `${BANK_ACCOUNT}#`, (v) => v.bank_account_number === '**********89');
    await pay.requestFinish(ach.callSid, ach.sid);
    assert.equal((await ended(ach)).result, 'success');

    const cancelled = await startSession({ chargeAmount: 20 });
    await pay.captureShown(cancelled.callSid, cancelled.sid, 'payment-card-number', `${CARDS.cancelled}#`, (v) => v.payment_card_number === 'xxxx-xxxx-xxxx-4444');
    await pay.captureShown(cancelled.callSid, cancelled.sid, 'expiration-date', `${EXPIRY}#`, (v) => v.expiration_date === EXPIRY);
    await startTypingSecurityCode(cancelled, '73');
    await pay.requestFinish(cancelled.callSid, cancelled.sid, 'cancel');
    assert.equal((await ended(cancelled)).status, 'canceled');

    const hungUp = await startSession({ chargeAmount: 20 });
    await pay.captureShown(hungUp.callSid, hungUp.sid, 'payment-card-number', `${CARDS.hungUp}#`, (v) => v.payment_card_number === 'xxxx-xxxx-xxxx-5556');
    await pay.captureShown(hungUp.callSid, hungUp.sid, 'expiration-date', `${EXPIRY}#`, (v) => v.expiration_date === EXPIRY);
    await startTypingSecurityCode(hungUp, '73');
    await pay.client.calls(hungUp.callSid).update({ status: 'completed' });
    assert.equal((await ended(hungUp)).result, 'caller-hung-up');

    const ivr = await payByIvr(stream);

    const misdirected = await startSession({ chargeAmount: 20, postalCode: true });
    const misdirectedAch = await startSession({ chargeAmount: 20, paymentMethod: 'ach-debit' });
    const misdirections = [
      await misdirect(misdirected, 'postal-code'),
      await misdirect(misdirected, 'expiration-date'),
      await misdirect(misdirectedAch, 'bank-routing-number'),
    ];
    await pay.requestFinish(misdirected.callSid, misdirected.sid, 'cancel');
    await pay.requestFinish(misdirectedAch.callSid, misdirectedAch.sid, 'cancel');

    // A real call, when the SIP peers are there (under CI they must be): the card by RFC 4733, the expiry as tones,
    // the code by SIP INFO.
    const realCalls = [];
    if (!peersOrSkip()) {
      const real = await typeCardOnRealCall(pay, { number: '+15551230300', card: CARDS.realCall, last4: '1881', expiry: EXPIRY, code: CVC });
      assert.equal(real.sippCode, 0, real.sippLog);
      realCalls.push(real);
    }

    const sessions = [charged, amex, declined, ach, cancelled, hungUp, misdirected, misdirectedAch, ...realCalls];
    for (const session of sessions) {
      await pay.deliveredEvents(session.callSid, session.sid);
      responses.push(JSON.stringify((await pay.paytone.get(paymentsPath(session.callSid, session.sid).replace(/\.json$/, '/Audit.json'))).body));
    }
    responses.push(JSON.stringify((await pay.paytone.get(`/v1/Accounts/${ACCOUNT_SID}/AuditLog.json?PageSize=1000`)).body));
    const metrics = await call('GET', '/metrics', `Bearer ${METRICS_TOKEN}`, undefined, metricsWithoutValues);
    assert.equal(metrics.status, 200);
    await until('the stream to show every session ended', async () => stream.events.filter((e) => e.event === 'ended').length === sessions.length + 1);
    stream.close();

    await pay.paytone.kill('SIGKILL');
    const afterCrash = dataDirLeaks();
    await pay.restart();
    await pay.paytone.stop();
    const afterStop = dataDirLeaks();
    const stillSealed = sealedSecretsOf([...sessions, ivr].map((session) => session.sid));

    assert.ok(pay.receiver.received.length > 30, 'the run produced callbacks to search');
    assert.ok(pay.paytone.output().includes('"msg":"callback delivered"'), 'the process output is there to search');
    assert.ok(pay.paytone.output().includes('"msg":"authentication failed"'), 'the wrong passwords were seen');
    assert.match(String(metrics.body), /paytone_/, 'the metrics are there to search');
    assert.ok(stream.events.length > 30, 'the live event stream is there to search');
    assert.ok(vaultKey.length === 64 && secrets.length === 6, 'every secret is searched for');
    assert.deepEqual(stillSealed, [], 'an ended session keeps no card data, not even sealed');
    assert.deepEqual(
      [
        ...afterCrash.map((hit) => `after kill -9, ${hit}`),
        ...afterStop.map((hit) => `after stop, ${hit}`),
        ...hits('process output', pay.paytone.output()),
        ...pay.receiver.received.flatMap((r) => hits(`callback ${r.headers['i-twilio-idempotency-token']}`, r.url + r.raw)),
        ...responses.flatMap((body, i) => hits(`API response #${i}`, body)),
        ...hits('live event stream', stream.raw()),
      ],
      [],
    );
    assert.deepEqual(misdirections, ['postal-code: invalid-postal-code', 'expiration-date: invalid-date', 'bank-routing-number: invalid-bank-routing-number']);
  });

  it('keeps the data dir, database, WAL and key file private to the server user', async () => {
    await pay.restart();
    await pay.client.calls.create({ to: '+15551230200', from: '+15559870200' });
    await pay.paytone.kill('SIGKILL');
    const entries = [pay.paytone.dataDir, ...filesUnder(pay.paytone.dataDir)];
    const names = entries.map((entry) => path.basename(entry));
    for (const expected of ['paytone.db', 'paytone.db-wal', 'paytone.db-shm', 'vault.key']) assert.ok(names.includes(expected), `${expected} exists`);
    const loose = entries
      .map((entry) => ({ entry, stat: fs.statSync(entry) }))
      .filter(({ stat }) => (stat.mode & 0o777) !== (stat.isDirectory() ? 0o700 : 0o600))
      .map(({ entry, stat }) => `${path.relative(pay.paytone.dataDir, entry) || '.'} has mode ${(stat.mode & 0o777).toString(8)}`);
    assert.deepEqual(loose, []);
  });
});
