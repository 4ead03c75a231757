/**
 * The kill test: pay sessions are in flight across a 3-process cluster when one process is killed with `kill -9`.
 * At that moment that process is typing keypresses into calls (the keypad plays one key every 100 ms), waiting on
 * the gateway for payments it was asked to complete (the slow sandbox card), holding a field's inter-digit timer,
 * and sending callbacks. Afterwards:
 *
 * - every session that was acknowledged reaches its final callback, with the result its card deserves;
 * - no digit that was accepted (202) is lost: every card number arrives whole;
 * - no callback is sent twice with different content: each idempotency token's copies are byte-identical, and
 *   every stored callback is delivered;
 * - no gateway transaction is duplicated: one ledger row per completed session, and it is the one the final
 *   callback reports;
 * - the timer the dead process armed fires once, within a second of its deadline (2 s after the second key's
 *   press), in another process;
 * - and the cardholder data typed is nowhere in the database's rows.
 *
 * The agent's requests cut off by the kill (a 502 from the balancer) are sent again with the same IdempotencyKey,
 * as an app would; the keypad is only used through a live process once the victim is dead.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type twilio from 'twilio';
import { AUTH_TOKEN } from '../support/paytone.js';
import { startPaytoneCluster, type PaytoneCluster } from '../support/paytoneCluster.js';
import { postgresForTests } from '../support/postgres.js';
import { until } from '../support/poll.js';
import { startReceiver, type CallbackReceiver } from '../support/receiver.js';

const CARD = '4242424242424242';
const SLOW_CARD = '4000000000000077';
const EXPIRY = '1230';
const CVC = '737';
const TIMEOUT_SECONDS = 2;
const VICTIM = 1;

const pg = await postgresForTests();

interface PaySession {
  callSid: string;
  sid: string;
}

let cluster: PaytoneCluster;
let receiver: CallbackReceiver;
let keyCounter = 0;
const newKey = () => `kill-${process.pid}-${++keyCounter}`;

/** Retries a request the kill cut off (5xx from the balancer, a reset socket) with the same arguments. */
async function acknowledged<T>(what: string, request: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (err) {
      const status = (err as { status?: number }).status;
      if ((status !== undefined && status < 500) || attempt === 10) throw new Error(`${what}: ${(err as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function startSession(client: twilio.Twilio, options: Record<string, unknown> = {}): Promise<PaySession> {
  const call = await acknowledged('create a call', () => client.calls.create({ to: '+15551230300', from: '+15559870300', url: `${receiver.url}/voice` }));
  const key = newKey();
  const payment = await acknowledged('start a session', () =>
    client.calls(call.sid).payments.create({ idempotencyKey: key, statusCallback: `${receiver.url}/pay`, chargeAmount: 15, postalCode: false, ...options } as never),
  );
  return { callSid: call.sid, sid: payment.sid };
}

async function requestCapture(client: twilio.Twilio, s: PaySession, capture: string): Promise<void> {
  const key = newKey();
  await acknowledged(`capture ${capture}`, () => client.calls(s.callSid).payments(s.sid).update({ idempotencyKey: key, statusCallback: `${receiver.url}/pay`, capture: capture as never }));
}

async function complete(client: twilio.Twilio, s: PaySession): Promise<void> {
  const key = newKey();
  await acknowledged('complete', () => client.calls(s.callSid).payments(s.sid).update({ idempotencyKey: key, statusCallback: `${receiver.url}/pay`, status: 'complete' }));
}

const fieldEnded = (s: PaySession, capture: string) => receiver.forSession(s.sid).find((r) => r.params.Capture === capture && r.params.PartialResult === 'false');

/** Captures a field through `via` and waits for the callback that ends it. */
async function capture(via: { client: twilio.Twilio; press(callSid: string, digits: string): Promise<void> }, s: PaySession, field: string, digits: string): Promise<void> {
  await requestCapture(via.client, s, field);
  await via.press(s.callSid, digits);
  await until(`${field} of ${s.sid} to end`, async () => fieldEnded(s, field), 60_000);
}

const finalCallback = (s: PaySession) => receiver.forSession(s.sid).find((r) => r.params.Result !== undefined);

describe('kill -9 of one process of three while sessions are in flight', { skip: pg.skip ?? false }, () => {
  before(async () => {
    receiver = await startReceiver(AUTH_TOKEN);
    cluster = await startPaytoneCluster({
      size: 3,
      env: { PAYTONE_DTMF_INTERVAL_MS: '100', PAYTONE_SANDBOX_SLOW_MS: '4000', PAYTONE_FIRST_DIGIT_TIMEOUT: '30' },
    });
  });
  after(async () => {
    await cluster?.stop();
    await receiver?.close();
  });

  it('loses no session, digit, callback or charge, and doubles none', { timeout: 240_000 }, async () => {
    const anyone = { client: cluster.client(), press: (callSid: string, digits: string) => cluster.press(callSid, digits) };
    const victim = cluster.members[VICTIM]!;
    const toVictim = { client: victim.client(), press: (callSid: string, digits: string) => victim.press(callSid, digits) };

    // Sessions being completed by the victim: the gateway takes 4 s to answer the slow card.
    const completing: PaySession[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await startSession(anyone.client);
      await capture(anyone, s, 'payment-card-number', `${SLOW_CARD}#`);
      await capture(anyone, s, 'expiration-date', EXPIRY);
      await capture(anyone, s, 'security-code', CVC);
      completing.push(s);
    }
    // Sessions whose card number the victim's keypad is typing, one key every 100 ms.
    const typing: PaySession[] = [];
    for (let i = 0; i < 3; i++) typing.push(await startSession(anyone.client));
    for (const s of typing) await requestCapture(anyone.client, s, 'payment-card-number');
    // A session whose inter-digit timer the victim armed: two digits, then silence.
    const silent = await startSession(anyone.client, { timeout: TIMEOUT_SECONDS });
    await requestCapture(anyone.client, silent, 'payment-card-number');

    for (const s of completing) await complete(toVictim.client, s);
    for (const s of typing) await toVictim.press(s.callSid, `${CARD}#`);
    // The second key is pressed 100 ms after the keypad takes the request: the field's deadline is 2 s after that.
    const silentPressed = Date.now();
    await toVictim.press(silent.callSid, '42');
    await until('the victim to have typed some digits of every card', async () =>
      [...typing, silent].every((s) => receiver.forSession(s.sid).some((r) => r.params.PartialResult === 'true')),
    );
    const completingNow = await cluster.database.query<{ n: string }>(
      `SELECT count(*) AS n FROM payment_sessions WHERE status = 'completing' AND sid = ANY($1)`,
      [completing.map((s) => s.sid)],
    );
    assert.equal(Number(completingNow[0]!.n), completing.length, 'the gateway is still answering when the process dies');

    await victim.kill('SIGKILL');

    // The typed cards go on to the end through the living processes; then every session completes.
    for (const s of typing) await until(`card number of ${s.sid} to end`, async () => fieldEnded(s, 'payment-card-number'), 60_000);
    for (const s of typing) {
      assert.equal(fieldEnded(s, 'payment-card-number')!.params.PaymentCardNumber, 'xxxx-xxxx-xxxx-4242', 'every accepted digit reached the session');
      await capture(anyone, s, 'expiration-date', EXPIRY);
      await capture(anyone, s, 'security-code', CVC);
      await complete(anyone.client, s);
    }
    const sessions = [...completing, ...typing];
    await until('every session to send its final callback', async () => sessions.every(finalCallback), 90_000);
    for (const s of sessions) assert.equal(finalCallback(s)!.params.Result, 'success', `session ${s.sid} succeeded`);

    // The dead process's timer fired once, in another process, within a second of its deadline.
    const ended = await until('the silent field to end', async () => fieldEnded(silent, 'payment-card-number'), 30_000);
    assert.equal(ended.params.ErrorType, 'invalid-card-number');
    const timerEvents = await cluster.database.query<{ at: number; params: string }>(`SELECT at, params FROM session_events WHERE session_sid = $1 ORDER BY seq`, [silent.sid]);
    const typed = timerEvents.filter((e) => JSON.parse(e.params).PartialResult === 'true');
    const timedOut = timerEvents.filter((e) => JSON.parse(e.params).PartialResult === 'false');
    assert.equal(typed.length, 2);
    assert.equal(timedOut.length, 1, 'the timer fired exactly once');
    // The deadline runs from the key's press, which came between the request and the key's callback event.
    const firedAt = Number(timedOut[0]!.at);
    const earliest = silentPressed + 100 + TIMEOUT_SECONDS * 1000;
    const latest = Number(typed[1]!.at) + TIMEOUT_SECONDS * 1000;
    assert.ok(firedAt >= earliest && firedAt <= latest + 1000, `the timer fired ${firedAt - earliest} ms after the earliest its deadline could be, ${firedAt - latest} ms after the latest`);

    // Every stored callback was delivered; each token's copies are identical; they arrived in order.
    const all = [...sessions, silent];
    await until('every callback to be delivered', async () => {
      const rows = await cluster.database.query<{ n: string }>(`SELECT count(*) AS n FROM session_events WHERE delivery_status <> 'delivered' AND session_sid = ANY($1)`, [all.map((s) => s.sid)]);
      return Number(rows[0]!.n) === 0;
    }, 60_000);
    for (const s of all) {
      const stored = await cluster.database.query<{ seq: number }>(`SELECT seq FROM session_events WHERE session_sid = $1 ORDER BY seq`, [s.sid]);
      const received = receiver.forSession(s.sid);
      const firstArrival: number[] = [];
      for (const { seq } of stored) {
        const copies = received.filter((r) => r.headers['i-twilio-idempotency-token'] === `${s.sid}-${seq}`);
        assert.ok(copies.length >= 1, `callback ${s.sid}-${seq} was received`);
        assert.ok(copies.every((c) => c.raw === copies[0]!.raw && c.signatureValid), `copies of ${s.sid}-${seq} are identical and signed`);
        firstArrival.push(received.indexOf(copies[0]!));
      }
      assert.deepEqual(firstArrival, [...firstArrival].sort((a, b) => a - b), `callbacks of ${s.sid} arrived in order`);
    }

    // One gateway transaction per session, and the final callback reports it.
    for (const s of sessions) {
      const ledger = await cluster.database.query<{ outcome: string }>(`SELECT outcome FROM gateway_transactions WHERE transaction_id = $1`, [s.sid]);
      assert.equal(ledger.length, 1, `one gateway transaction for ${s.sid}`);
      assert.equal(JSON.parse(ledger[0]!.outcome).confirmationCode, finalCallback(s)!.params.PaymentConfirmationCode);
    }
    assert.ok(
      cluster.members.some((m, i) => i !== VICTIM && m.output().includes('taking over a gateway call left unfinished')),
      'a living process took over the gateway calls of the dead one',
    );

    // Nothing typed is in the database in the clear.
    const rows = await cluster.database.allRows();
    for (const secret of [CARD, SLOW_CARD, `"${CVC}"`]) assert.ok(!rows.includes(secret), `the database holds ${secret}`);
  });
});
