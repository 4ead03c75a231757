/**
 * Concurrency through the official client: twenty calls paying at once each end with one final callback and
 * one gateway transaction, and ten agents pressing "complete" on the same session at once charge it once.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import type twilio from 'twilio';
import type { PaymentCapture, PaymentStatus } from 'twilio/lib/rest/api/v2010/account/call/payment.js';
import { ACCOUNT_SID, AUTH_TOKEN, startPaytone, type PaytoneProcess } from '../support/paytone.js';
import { startReceiver, type CallbackReceiver, type ReceivedCallback } from '../support/receiver.js';

const PARALLEL_SESSIONS = 20;
const PARALLEL_COMPLETES = 10;

let paytone: PaytoneProcess;
let receiver: CallbackReceiver;
let client: twilio.Twilio;

before(async () => {
  receiver = await startReceiver(AUTH_TOKEN);
  paytone = await startPaytone();
  client = paytone.client();
});

after(async () => {
  await paytone?.stop();
  await receiver?.close();
});

const isFinal = (r: ReceivedCallback) => r.params.Result !== undefined;

interface PaySession {
  callSid: string;
  sid: string;
}

async function startSession(n: number): Promise<PaySession> {
  const call = await client.calls.create({ to: `+1555123${String(n).padStart(4, '0')}`, from: '+15559870300', url: `${receiver.url}/voice` });
  const session = await client
    .calls(call.sid)
    .payments.create({ idempotencyKey: `create-${call.sid}`, statusCallback: `${receiver.url}/pay`, chargeAmount: 10 + n, postalCode: false, timeout: 60 });
  return { callSid: call.sid, sid: session.sid };
}

function agent(s: PaySession, request: { capture?: PaymentCapture; status?: PaymentStatus }, key: string) {
  return client
    .calls(s.callSid)
    .payments(s.sid)
    .update({ idempotencyKey: key, statusCallback: `${receiver.url}/pay`, ...request });
}

/** Asks for a field, has the caller type it, and waits for the callback that reports it accepted. */
async function capture(s: PaySession, field: PaymentCapture, digits: string): Promise<void> {
  await agent(s, { capture: field }, `${s.sid}-${field}`);
  await paytone.press(s.callSid, digits);
  await receiver.waitFor(() => receiver.forSession(s.sid).some((r) => r.params.Capture === field && r.params.PartialResult === 'false'), 20_000);
  const ended = receiver.forSession(s.sid).find((r) => r.params.Capture === field && r.params.PartialResult === 'false');
  assert.equal(ended?.params.ErrorType, undefined, `${field} accepted on ${s.sid}`);
}

async function captureCard(s: PaySession): Promise<void> {
  await capture(s, 'payment-card-number', '4242424242424242#');
  await capture(s, 'expiration-date', '1230#');
  await capture(s, 'security-code', '123#');
}

async function allDelivered(sessions: PaySession[]): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (const s of sessions) {
    for (;;) {
      const { body } = await paytone.get(`/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${s.callSid}/Payments/${s.sid}/Events.json`);
      if (body.events.some((e: any) => e.kind === 'ended') && body.events.every((e: any) => e.callback.status === 'delivered')) break;
      if (Date.now() > deadline) throw new Error(`callbacks of ${s.sid} were not all delivered: ${JSON.stringify(body.events.map((e: any) => e.callback))}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

function transactionsOf(sid: string): number {
  const db = new SQLite(path.join(paytone.dataDir, 'paytone.db'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM gateway_transactions WHERE transaction_id = ?').get(sid) as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('concurrent sessions and requests', () => {
  it(`runs ${PARALLEL_SESSIONS} sessions on ${PARALLEL_SESSIONS} calls at once, each to one final callback`, async () => {
    const sessions = await Promise.all(
      Array.from({ length: PARALLEL_SESSIONS }, async (_, n) => {
        const s = await startSession(n);
        await captureCard(s);
        await agent(s, { status: 'complete' }, `${s.sid}-complete`);
        return s;
      }),
    );
    await allDelivered(sessions);
    for (const s of sessions) {
      const final = receiver.forSession(s.sid).filter(isFinal);
      assert.equal(final.length, 1, `one final callback for ${s.sid}`);
      assert.equal(final[0]!.params.Result, 'success');
      assert.ok(receiver.forSession(s.sid).every((r) => r.signatureValid && r.params.CallSid === s.callSid));
      assert.equal(transactionsOf(s.sid), 1, `one gateway transaction for ${s.sid}`);
    }
    const confirmationCodes = new Set(sessions.map((s) => receiver.forSession(s.sid).find(isFinal)!.params.PaymentConfirmationCode));
    assert.equal(confirmationCodes.size, PARALLEL_SESSIONS, 'each session has its own charge');
  });

  it(`charges once when ${PARALLEL_COMPLETES} completes with different keys race on one session`, async () => {
    const s = await startSession(99);
    await captureCard(s);
    const outcomes = await Promise.allSettled(
      Array.from({ length: PARALLEL_COMPLETES }, (_, n) => agent(s, { status: 'complete' }, `${s.sid}-complete-${n}`)),
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
    const final = receiver.forSession(s.sid).filter(isFinal);
    assert.equal(final.length, 1, 'exactly one final callback');
    assert.equal(final[0]!.params.Result, 'success');
    assert.equal(transactionsOf(s.sid), 1, 'exactly one gateway transaction');
  });
});
