/**
 * Crash-safe completion through real connectors: paytone is killed with `kill -9` while the gateways hold
 * their answers (the Generic gateway has already made its transactions, the Stripe-like API has the request
 * in hand), then restarted. Each session ends with exactly one final callback, each gateway has exactly one
 * transaction per session (the restart sends the same transaction id / idempotency key and is answered with
 * the first transaction), and the cardholder data kept in the vault for that retry is erased afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { until } from '../support/poll.js';
import { startGenericGateway, type GenericGateway } from '../support/genericGateway.js';
import { startStripeLike, type StripeLike } from '../support/stripeLike.js';
import { openPaytone, type PaytoneUnderTest } from './flows.js';
import { createConnector, startCardSession } from './connectorFlows.js';

let pay: PaytoneUnderTest;
let gateway: GenericGateway;
let stripe: StripeLike;

before(async () => {
  gateway = await startGenericGateway();
  stripe = await startStripeLike();
  pay = await openPaytone();
  await createConnector(pay.paytone, { UniqueName: 'Acme', Type: 'generic', Mode: 'live', EndpointUrl: gateway.url, Username: gateway.username, Password: gateway.password });
  await createConnector(pay.paytone, { UniqueName: 'Stripe', Type: 'stripe', Mode: 'test', ApiKey: stripe.apiKey, ApiBase: stripe.apiBase });
});

after(async () => {
  await pay?.close();
  await gateway?.close();
  await stripe?.close();
});

async function stored(sid: string): Promise<{ sealed: string | null; sends: number }> {
  const [session] = await pay.paytone.query<{ sealed_secrets: string | null }>('SELECT sealed_secrets FROM payment_sessions WHERE sid = ?', [sid]);
  const [sends] = await pay.paytone.query<{ sends: number }>('SELECT sends FROM gateway_sends WHERE transaction_id = ?', [sid]);
  return { sealed: session!.sealed_secrets, sends: Number(sends?.sends ?? 0) };
}

describe('kill -9 while the gateway holds its answer', () => {
  it('finishes every session after the restart: one gateway transaction and one final callback each', async () => {
    const generic: Array<{ callSid: string; sid: string }> = [];
    for (let i = 0; i < 3; i++) generic.push(await startCardSession(pay, 'Acme', '4242424242424242', { chargeAmount: 10 + i }));
    const viaStripe = await startCardSession(pay, 'Stripe', '4242424242424242', { chargeAmount: 42 });
    gateway.hold();
    stripe.hold();
    for (const s of [...generic, viaStripe]) await pay.requestFinish(s.callSid, s.sid);
    await until('the Generic gateway to hold every transaction', async () => generic.every((s) => gateway.transactions.has(s.sid)));
    await until('the Stripe-like API to hold the first request', async () => stripe.holding() > 0);
    for (const s of [...generic, viaStripe]) assert.equal((await pay.session(s.callSid, s.sid)).status, 'completing');

    await pay.paytone.kill('SIGKILL');
    gateway.release();
    stripe.release();
    await pay.restart();

    for (const s of [...generic, viaStripe]) {
      await until(`the final callback of ${s.sid}`, async () => pay.receiver.forSession(s.sid).some((r) => r.params.Result !== undefined));
    }
    await Promise.all([...generic, viaStripe].map((s) => pay.deliveredEvents(s.callSid, s.sid)));

    for (const s of generic) {
      const finals = pay.receiver.forSession(s.sid).filter((r) => r.params.Result !== undefined);
      assert.equal(finals.length, 1, 'exactly one final callback');
      assert.equal(finals[0]!.params.Result, 'success');
      const sends = gateway.requests.filter((r) => r.body.transaction_id === s.sid);
      assert.ok(sends.length >= 2, 'sent before the crash and again after the restart');
      assert.equal(finals[0]!.params.PaymentConfirmationCode, gateway.transactions.get(s.sid)?.body.charge_id, 'the restart got the first transaction back');
      assert.equal((await pay.gatewayTransactions(s.sid)).length, 1);
      const { sealed, sends: noted } = await stored(s.sid);
      assert.equal(sealed, null, 'cardholder data erased once the session ended');
      assert.ok(noted >= 2, 'each send was noted before it left');
    }
    const chargedIds = new Set(gateway.requests.map((r) => r.body.transaction_id).filter((id) => generic.some((s) => s.sid === id)));
    assert.equal(chargedIds.size, generic.length, 'one transaction id per session');

    const stripeFinals = pay.receiver.forSession(viaStripe.sid).filter((r) => r.params.Result !== undefined);
    assert.equal(stripeFinals.length, 1);
    assert.equal(stripeFinals[0]!.params.Result, 'success');
    const intents = stripe.requests.filter((r) => r.idempotencyKey === `${viaStripe.sid}-payment-intent` && !r.replayed);
    assert.equal(intents.length, 1, 'Stripe made one PaymentIntent for the session');
    assert.equal((await stored(viaStripe.sid)).sealed, null);
  });
});
