/**
 * Concurrency through the official client: twenty calls paying at once each end with one final callback and
 * one gateway transaction, and ten agents pressing "complete" on the same session at once charge it once.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { until } from '../support/poll.js';
import type { ReceivedCallback } from '../support/receiver.js';
import { openPaytone, type PaytoneUnderTest } from './flows.js';

const PARALLEL_SESSIONS = 20;
const PARALLEL_COMPLETES = 10;

let pay: PaytoneUnderTest;

before(async () => (pay = await openPaytone()));

after(async () => pay?.close());

const isFinal = (r: ReceivedCallback) => r.params.Result !== undefined;

interface PaySession {
  callSid: string;
  sid: string;
}

/** Session `n` on a call to its own number. */
async function startSession(n: number): Promise<PaySession> {
  const callSid = await pay.startCall({ to: `+1555123${String(n).padStart(4, '0')}`, url: `${pay.receiver.url}/voice` });
  return pay.startSession({ chargeAmount: 10 + n, postalCode: false, timeout: 60 }, callSid);
}

/** Types a card, field by field, checking that the callback ending each field reports no error. */
async function captureCard(s: PaySession): Promise<void> {
  const typed: Array<[string, string]> = [
    ['payment-card-number', '4242424242424242#'],
    ['expiration-date', '1230#'],
    ['security-code', '123#'],
  ];
  for (const [field, digits] of typed) {
    const ended = await pay.capture(s.callSid, s.sid, field, digits);
    assert.equal(ended.ErrorType, undefined, `${field} accepted on ${s.sid}`);
  }
}

/** Waits until each session has ended and every callback it sent is delivered. */
async function allDelivered(sessions: PaySession[]): Promise<void> {
  let waiting: { sid: string; callbacks: unknown[] } | undefined;
  await until(
    () => `the callbacks of ${waiting?.sid} to be all delivered: ${JSON.stringify(waiting?.callbacks)}`,
    async () => {
      for (const s of sessions) {
        const events = await pay.events(s.callSid, s.sid);
        if (!events.some((e) => e.kind === 'ended') || !events.every((e) => e.callback.status === 'delivered')) {
          waiting = { sid: s.sid, callbacks: events.map((e) => e.callback) };
          return false;
        }
      }
      return true;
    },
    20_000,
  );
}

describe('concurrent sessions and requests', () => {
  it(`runs ${PARALLEL_SESSIONS} sessions on ${PARALLEL_SESSIONS} calls at once, each to one final callback`, async () => {
    const sessions = await Promise.all(
      Array.from({ length: PARALLEL_SESSIONS }, async (_, n) => {
        const s = await startSession(n);
        await captureCard(s);
        await pay.requestFinish(s.callSid, s.sid);
        return s;
      }),
    );
    await allDelivered(sessions);
    for (const s of sessions) {
      const final = pay.receiver.forSession(s.sid).filter(isFinal);
      assert.equal(final.length, 1, `one final callback for ${s.sid}`);
      assert.equal(final[0]!.params.Result, 'success');
      assert.ok(pay.receiver.forSession(s.sid).every((r) => r.signatureValid && r.params.CallSid === s.callSid));
      assert.equal((await pay.gatewayTransactions(s.sid)).length, 1, `one gateway transaction for ${s.sid}`);
    }
    const confirmationCodes = new Set(sessions.map((s) => pay.receiver.forSession(s.sid).find(isFinal)!.params.PaymentConfirmationCode));
    assert.equal(confirmationCodes.size, PARALLEL_SESSIONS, 'each session has its own charge');
  });

  it(`charges once when ${PARALLEL_COMPLETES} completes with different keys race on one session`, async () => {
    const s = await startSession(99);
    await captureCard(s);
    const outcomes = await Promise.allSettled(
      Array.from({ length: PARALLEL_COMPLETES }, (_, n) => pay.requestFinish(s.callSid, s.sid, 'complete', `${s.sid}-complete-${n}`)),
    );
    const accepted = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as { status: number; code: number }] : []));
    assert.equal(accepted.length, 1, 'one complete starts the payment');
    assert.deepEqual(
      refused.map((e) => [e.status, e.code]),
      Array.from({ length: PARALLEL_COMPLETES - 1 }, () => [400, 64021]),
      'every other complete is refused as an invalid operation',
    );
    await allDelivered([s]);
    const final = pay.receiver.forSession(s.sid).filter(isFinal);
    assert.equal(final.length, 1, 'exactly one final callback');
    assert.equal(final[0]!.params.Result, 'success');
    assert.equal((await pay.gatewayTransactions(s.sid)).length, 1, 'exactly one gateway transaction');
  });
});
