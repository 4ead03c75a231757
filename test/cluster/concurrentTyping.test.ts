/**
 * Hundreds of callers typing at once across a 3-process cluster, at the server's pace (keypad interval 0, requests
 * spread round-robin): every key the keypad accepted (202) counts, however far the server falls behind. Each
 * session types its own card. Half type it in one keypad request, with a field timeout of one second, far less
 * than the queue lags under this load: their keys are pressed together, so none may time out. The other half type
 * one key per request, each sent once the one before was accepted, so that consecutive keys are queued by different
 * processes; a key is pressed when its request is accepted, so these get a timeout longer than any request takes.
 * Each card number must arrive whole in its own session, and each session's callbacks must all arrive, once,
 * signed and in order, up to the final one.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT_SID, AUTH_TOKEN } from '../support/paytone.js';
import { startPaytoneCluster, type PaytoneCluster } from '../support/paytoneCluster.js';
import { postgresForTests } from '../support/postgres.js';
import { until } from '../support/poll.js';
import { startReceiver, type CallbackReceiver } from '../support/receiver.js';

const SESSIONS = 240;
const SETUP_CONCURRENCY = 24;
const API = `/2010-04-01/Accounts/${ACCOUNT_SID}`;

const pg = await postgresForTests();

/**
 * The callbacks as a receiver that drops repeats by `I-Twilio-Idempotency-Token` keeps them: a delivery whose token
 * came before is that callback sent again, and must carry the same parameters. A repeat need not come right after
 * its first delivery: an attempt the outbox gave up on after its 15 s timeout can still reach a receiver that is
 * slow to read it after the retry and the callbacks after it (seen on a loaded machine: a timed-out attempt arrived
 * 13 s after its timeout, after the next ten callbacks).
 */
function once<T extends { headers: Record<string, unknown>; params: Record<string, string> }>(deliveries: T[]): T[] {
  const kept: T[] = [];
  const first = new Map<unknown, T>();
  for (const delivery of deliveries) {
    const token = delivery.headers['i-twilio-idempotency-token'];
    const earlier = first.get(token);
    if (earlier !== undefined) {
      assert.deepEqual(delivery.params, earlier.params, `a retry of ${String(token)} carries what the first try did`);
      continue;
    }
    first.set(token, delivery);
    kept.push(delivery);
  }
  return kept;
}

/** A Luhn-valid 16-digit Visa number of its own for each session, so that digits typed into another session show. */
function cardFor(i: number): string {
  const body = `4${String(100_000_000_000_000 + i * 7_919).slice(0, 14)}`;
  let sum = 0;
  for (let at = 0; at < body.length; at++) {
    const digit = Number(body[body.length - 1 - at]);
    const doubled = at % 2 === 0 ? digit * 2 : digit;
    sum += doubled > 9 ? doubled - 9 : doubled;
  }
  return body + String((10 - (sum % 10)) % 10);
}

/** What the caller sees typed so far, as the PartialResult callbacks mask it: `xxxx-xxxx-xxxx-4242` once whole. */
const lastFour = (card: string) => `xxxx-xxxx-xxxx-${card.slice(-4)}`;

interface Typist {
  callSid: string;
  sid: string;
  card: string;
  keyByKey: boolean;
}

let cluster: PaytoneCluster;
let receiver: CallbackReceiver;
let keys = 0;
const newKey = () => `typing-${process.pid}-${++keys}`;

async function post(path: string, form: Record<string, string>, expected: number): Promise<{ sid: string }> {
  const { status, body } = await cluster.post(path, form);
  assert.equal(status, expected, `POST ${path}: ${JSON.stringify(body)}`);
  return body;
}

async function inParallel(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) await task(next++);
  }));
}

const paymentPath = (t: Typist) => `${API}/Calls/${t.callSid}/Payments/${t.sid}.json`;
const fieldEnd = (t: Typist) => receiver.forSession(t.sid).find((r) => r.params.Capture === 'payment-card-number' && r.params.PartialResult === 'false');
/** The callback that ends a session: after the start, the only one without a Capture. */
const finalCallback = (t: Typist) => receiver.forSession(t.sid).find((r) => r.params.Capture === undefined && r.params.DateUpdated !== undefined);

describe('many callers typing at once on three processes', { skip: pg.skip ?? false }, () => {
  before(async () => {
    receiver = await startReceiver(AUTH_TOKEN);
    // The wait for a field's first key is not what is tested: a busy machine may take long to accept a keypad request.
    const env = { LOG_LEVEL: 'info', PAYTONE_DTMF_INTERVAL_MS: '0', PAYTONE_RATE_LIMIT: 'off', PAYTONE_FIRST_DIGIT_TIMEOUT: '600' };
    cluster = await startPaytoneCluster({ size: 3, env });
  });
  after(async () => {
    // What the processes logged as errors says why a request failed (the logs carry no card data).
    const errors = cluster?.output().split('\n').filter((line) => /"level":(50|60)/.test(line) || /"level":40.*callback/.test(line)) ?? [];
    if (errors.length > 0) process.stderr.write(`errors logged by the cluster:\n${errors.slice(0, 20).join('\n')}\n`);
    await cluster?.stop();
    await receiver?.close();
  });

  it('counts every accepted key of every session, and delivers every callback in order', { timeout: 600_000 }, async () => {
    const typists: Typist[] = [];
    await inParallel(SESSIONS, SETUP_CONCURRENCY, async (i) => {
      const call = await post(`${API}/Calls.json`, { To: '+15551230400', From: '+15559870400', Url: `${receiver.url}/voice` }, 201);
      const keyByKey = i % 2 === 1;
      const timeout = keyByKey ? '120' : '1';
      const payment = await post(`${API}/Calls/${call.sid}/Payments.json`, { IdempotencyKey: newKey(), StatusCallback: `${receiver.url}/pay`, ChargeAmount: '12.00', Timeout: timeout }, 201);
      typists.push({ callSid: call.sid, sid: payment.sid, card: cardFor(i), keyByKey });
    });

    // Every caller at once: the agent asks for the card number, the caller types it straight away.
    await Promise.all(typists.map(async (t) => {
      await post(paymentPath(t), { IdempotencyKey: newKey(), StatusCallback: `${receiver.url}/pay`, Capture: 'payment-card-number' }, 202);
      if (!t.keyByKey) return cluster.press(t.callSid, `${t.card}#`);
      for (const key of `${t.card}#`) await cluster.press(t.callSid, key);
    }));
    await until(() => `every card number to end (${typists.filter(fieldEnd).length} of ${SESSIONS})`, async () => typists.every(fieldEnd), 480_000);

    const cut = typists.filter((t) => fieldEnd(t)!.params.ErrorType !== undefined);
    assert.deepEqual(
      cut.map((t) => `${t.sid} (${t.keyByKey ? 'key by key' : 'one request'}): ${fieldEnd(t)!.params.ErrorType} after ${receiver.forSession(t.sid).filter((r) => r.params.PartialResult === 'true').length} digits`),
      [],
      'no card number ended before all its accepted digits counted',
    );
    for (const t of typists) {
      assert.equal(fieldEnd(t)!.params.PaymentCardNumber, lastFour(t.card), `${t.sid} got its own card`);
      const partials = once(receiver.forSession(t.sid).filter((r) => r.params.PartialResult === 'true'));
      const tokens = partials.map((r) => r.headers['i-twilio-idempotency-token']).join(' ');
      assert.equal(partials.length, 16, `${t.sid} (${t.keyByKey ? 'key by key' : 'one request'}) had a callback per digit: ${tokens}`);
    }

    await Promise.all(typists.map((t) => post(paymentPath(t), { IdempotencyKey: newKey(), StatusCallback: `${receiver.url}/pay`, Status: 'cancel' }, 202)));
    await until(() => `every session's final callback (${typists.filter(finalCallback).length} of ${SESSIONS})`, async () => typists.every(finalCallback), 120_000);

    // Every callback the cluster stored arrived, once, signed, in the order of its sequence number. A receiver that
    // answers after the 15 s timeout (this test's own, on a loaded machine) is sent the same callback again, with the
    // same idempotency token and parameters: that is a retry, which receivers drop by token.
    for (const t of typists) {
      const stored = await cluster.database.query<{ seq: number }>(`SELECT seq FROM session_events WHERE session_sid = $1 ORDER BY seq`, [t.sid]);
      const received = once(receiver.forSession(t.sid));
      assert.deepEqual(
        received.map((r) => r.headers['i-twilio-idempotency-token']),
        stored.map(({ seq }) => `${t.sid}-${seq}`),
        `${t.sid}: each callback arrived once, in order`,
      );
      assert.ok(received.every((r) => r.signatureValid), `${t.sid}: every callback is signed`);
      assert.equal(received.length, 1 + 17 + 1, `${t.sid}: the start, 16 digits and the field's end, and the final callback`);
      assert.equal(received.at(-1), finalCallback(t), `${t.sid}: the final callback came last`);
    }
    const waiting = await cluster.database.query<{ n: string }>('SELECT count(*) AS n FROM sandbox_keypresses');
    assert.equal(Number(waiting[0]!.n), 0, 'no key is left in the queue');
  });
});
