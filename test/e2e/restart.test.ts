/**
 * Durability across `kill -9`: a session cut off mid-capture keeps what the caller typed, every callback that
 * was due still arrives, and a payment cut off while the gateway was answering is charged exactly once.
 *
 * What the product does with the field in progress: each digit the session accepts is committed (sealed in the
 * vault) with the session before the next one is read, and the field's timer is re-armed from the stored
 * deadline. So after a restart the caller goes on typing the same field: the digits typed before the crash are
 * still there and the remaining ones complete it; the agent does not ask again.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import type { PaymentCapture, PaymentStatus } from 'twilio/lib/rest/api/v2010/account/call/payment.js';
import { ACCOUNT_SID, AUTH_TOKEN, startPaytone, type PaytoneProcess } from '../support/paytone.js';
import { startReceiver, type CallbackReceiver } from '../support/receiver.js';

const SLOW_CARD = '4000000000000077';

let paytone: PaytoneProcess;
let receiver: CallbackReceiver;

before(async () => {
  receiver = await startReceiver(AUTH_TOKEN);
  paytone = await startPaytone({ env: { PAYTONE_SANDBOX_SLOW_MS: '3000' } });
});

after(async () => {
  await paytone?.stop();
  await receiver?.close();
});

/** Polls `probe` until it returns something truthy; the state it waits for is named in the failure. */
async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface PaySession {
  callSid: string;
  sid: string;
}

const sessionPath = (s: PaySession) => `/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${s.callSid}/Payments/${s.sid}`;

async function view(s: PaySession): Promise<Record<string, any>> {
  const { status, body } = await paytone.get(`${sessionPath(s)}.json`);
  assert.equal(status, 200, JSON.stringify(body));
  return body;
}

async function events(s: PaySession): Promise<any[]> {
  const { status, body } = await paytone.get(`${sessionPath(s)}/Events.json`);
  assert.equal(status, 200, JSON.stringify(body));
  return body.events;
}

/** A call and a card-charging session on it; the client is made afresh because a restart changes the port. */
async function startSession(label: string): Promise<PaySession> {
  const call = await paytone.client().calls.create({ to: '+15551230100', from: '+15559870100', url: `${receiver.url}/voice` });
  const session = await paytone
    .client()
    .calls(call.sid)
    .payments.create({ idempotencyKey: `${label}-create`, statusCallback: `${receiver.url}/pay`, chargeAmount: 12.5, postalCode: false, timeout: 120 });
  return { callSid: call.sid, sid: session.sid };
}

async function agent(s: PaySession, request: { capture?: PaymentCapture; status?: PaymentStatus }): Promise<void> {
  const key = `${s.sid}-${request.capture ?? request.status}-${Date.now()}`;
  await paytone
    .client()
    .calls(s.callSid)
    .payments(s.sid)
    .update({ idempotencyKey: key, statusCallback: `${receiver.url}/pay`, ...request });
}

/** Asks for a field, has the caller type it, and waits until the session shows it accepted. */
async function capture(s: PaySession, field: PaymentCapture, digits: string, shown: (v: Record<string, any>) => boolean): Promise<void> {
  await agent(s, { capture: field });
  await paytone.press(s.callSid, digits);
  await until(`${field} to be accepted`, async () => shown(await view(s)));
}

function gatewayTransactions(transactionId: string): Array<{ outcome: string }> {
  const db = new SQLite(path.join(paytone.dataDir, 'paytone.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT outcome FROM gateway_transactions WHERE transaction_id = ?').all(transactionId) as Array<{ outcome: string }>;
  } finally {
    db.close();
  }
}

describe('kill -9 and restart', () => {
  it('resumes a half-typed expiry and delivers every callback that was pending', async () => {
    receiver.answerWith(500);
    const s = await startSession('mid-capture');
    await capture(s, 'payment-card-number', '4242424242424242#', (v) => v.payment_card_number === 'xxxx-xxxx-xxxx-4242');
    await agent(s, { capture: 'expiration-date' });
    await paytone.press(s.callSid, '12');
    await until('the first two expiry digits to be accepted', async () => {
      const last = (await events(s)).at(-1);
      return last?.parameters.Capture === 'expiration-date' && last.parameters.ExpirationDate === '12';
    });
    const pending = await until('a callback attempt to be refused with 500', async () => {
      const log = await events(s);
      return log[0].callback.last_response_code === 500 && log;
    });
    assert.ok(pending.every((e) => e.callback.status === 'pending'), 'every callback is still in the outbox');
    const before = await view(s);
    assert.equal(before.capture, 'expiration-date');

    paytone = await paytone.restart();

    assert.deepEqual(await view(s), before, 'the session reads the same after the restart');
    receiver.answerWith(200);
    await paytone.press(s.callSid, '30#');
    await until('the expiry to be accepted', async () => (await view(s)).expiration_date === '1230');
    await capture(s, 'security-code', '123#', (v) => v.security_code === 'xxx');
    await agent(s, { status: 'complete' });
    await until('the final callback', async () => receiver.forSession(s.sid).some((r) => r.params.Result !== undefined));

    const final = receiver.forSession(s.sid).filter((r) => r.params.Result !== undefined);
    assert.equal(final.length, 1);
    assert.equal(final[0]!.params.Result, 'success');
    assert.match(final[0]!.params.PaymentConfirmationCode ?? '', /^ch_/);

    const log = await until('every callback to be delivered', async () => {
      const all = await events(s);
      return all.every((e) => e.callback.status === 'delivered') && all;
    });
    const received = receiver.forSession(s.sid);
    const firstArrival: number[] = [];
    for (const event of log) {
      const token = `${s.sid}-${event.sequence_number}`;
      const copies = received.filter((r) => r.headers['i-twilio-idempotency-token'] === token);
      assert.ok(copies.length >= 1, `callback ${token} (${event.kind}) was never received`);
      assert.ok(copies.every((c) => c.raw === copies[0]!.raw && c.signatureValid), `repeats of ${token} are identical and signed`);
      firstArrival.push(received.indexOf(copies[0]!));
    }
    assert.deepEqual(firstArrival, [...firstArrival].sort((a, b) => a - b), 'callbacks arrive in order');
    for (const pendingEvent of pending) {
      assert.ok(log.some((e) => e.sequence_number === pendingEvent.sequence_number), 'no pending callback was dropped');
    }
  });

  it('charges the slow card once when killed while the gateway is answering', async () => {
    receiver.answerWith(200);
    const s = await startSession('slow-card');
    await capture(s, 'payment-card-number', `${SLOW_CARD}#`, (v) => v.payment_card_number === 'xxxx-xxxx-xxxx-0077');
    await capture(s, 'expiration-date', '1230#', (v) => v.expiration_date === '1230');
    await capture(s, 'security-code', '123#', (v) => v.security_code === 'xxx');
    await agent(s, { status: 'complete' });
    assert.equal((await view(s)).status, 'completing', 'the gateway is still answering when the process dies');

    paytone = await paytone.restart();

    await until('the final callback', async () => receiver.forSession(s.sid).some((r) => r.params.Result !== undefined));
    await until('every callback to be delivered', async () => (await events(s)).every((e) => e.callback.status === 'delivered'));
    const final = receiver.forSession(s.sid).filter((r) => r.params.Result !== undefined);
    assert.equal(final.length, 1, 'exactly one final callback');
    assert.equal(final[0]!.params.Result, 'success');
    const transactions = gatewayTransactions(s.sid);
    assert.equal(transactions.length, 1, 'exactly one gateway transaction');
    assert.equal(JSON.parse(transactions[0]!.outcome).confirmationCode, final[0]!.params.PaymentConfirmationCode);
    assert.equal((await view(s)).payment_confirmation_code, final[0]!.params.PaymentConfirmationCode);
  });
});
