/**
 * A Stripe-compatible gateway that answers what Stripe never would (no body, ids that are not strings, an error
 * without a message, a list where an object belongs). Whatever it says, the session ends at once as
 * `payment-connector-error` with `ConnectorError=unexpected_gateway_answer`, names its transaction id so that the
 * merchant can reconcile it with the gateway, keeps that answer in the gateway ledger, and erases the card data.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startStripeLike, type StripeLike } from '../support/stripeLike.js';
import { until } from '../support/poll.js';
import { openPaytone, type PaytoneUnderTest } from './flows.js';
import { createConnector, startCardSession } from './connectorFlows.js';

const ODD_ANSWERS: Array<{ path: string; status: number; body: string; session: Record<string, unknown> }> = [
  { path: '/v1/payment_methods', status: 200, body: 'null', session: { chargeAmount: 10 } },
  { path: '/v1/payment_methods', status: 200, body: '{}', session: { tokenType: 'payment-method' } },
  { path: '/v1/payment_methods', status: 200, body: '{"id":42,"object":"payment_method"}', session: { chargeAmount: 10 } },
  { path: '/v1/tokens', status: 200, body: '[]', session: { tokenType: 'one-time' } },
  { path: '/v1/customers', status: 200, body: '{"id":null,"object":"customer"}', session: { tokenType: 'reusable' } },
  { path: '/v1/payment_intents', status: 200, body: '{"id":"pi_odd","object":"payment_intent","status":"succeeded","latest_charge":7}', session: { chargeAmount: 10 } },
  { path: '/v1/payment_intents', status: 402, body: '{"error":{"type":"card_error"}}', session: { chargeAmount: 10 } },
  { path: '/v1/payment_intents', status: 400, body: '{"error":"no"}', session: { chargeAmount: 10 } },
  { path: '/v1/payment_intents', status: 400, body: '{"error":{"type":"invalid_request_error","code":42,"message":"odd"}}', session: { chargeAmount: 10 } },
];

describe('a Stripe-compatible gateway that answers oddly', () => {
  let pay: PaytoneUnderTest;
  let stripe: StripeLike;

  before(async () => {
    stripe = await startStripeLike();
    pay = await openPaytone({ PAYTONE_GATEWAY_TIMEOUT_MS: '2000' });
    await createConnector(pay.paytone, { UniqueName: 'Odd', Type: 'stripe', Mode: 'test', ApiKey: stripe.apiKey, ApiBase: stripe.apiBase });
  });
  after(async () => {
    await pay?.close();
    await stripe?.close();
  });

  for (const odd of ODD_ANSWERS) {
    it(`${odd.path} answering ${odd.status} ${odd.body}: payment-connector-error, reconcilable, card data erased`, async () => {
      stripe.answerOddly(odd.path, { status: odd.status, body: odd.body });
      try {
        const { callSid, sid } = await startCardSession(pay, 'Odd', '4242424242424242', odd.session);
        await pay.requestFinish(callSid, sid);
        const view = await until(`session ${sid} to end`, async () => {
          const now = await pay.session(callSid, sid);
          return ['completed', 'failed', 'canceled'].includes(now.status) && now;
        });
        assert.equal(view.status, 'failed');
        const final = (await pay.nextCallback(sid, 0, (p) => p.Result !== undefined)).params;
        assert.equal(final.Result, 'payment-connector-error');
        assert.equal(final.ConnectorError, 'unexpected_gateway_answer');
        assert.match(final.PayErrorCode ?? '', /^640(08|10)$/);
        assert.match(final.PaymentError ?? '', new RegExp(`transaction ${sid}`), 'the transaction id, to reconcile with the gateway');
        assert.equal(final.PaymentToken, undefined);
        const [ledger] = await pay.gatewayTransactions(sid);
        assert.match(ledger?.outcome ?? '', /unexpected_gateway_answer/, 'the answer is kept in the gateway ledger');
        const sealed = await pay.paytone.query<{ sealed: unknown }>('SELECT sealed_secrets AS sealed FROM payment_sessions WHERE sid = ?', [sid]);
        assert.deepEqual(sealed, [{ sealed: null }], 'no card data is kept');
      } finally {
        stripe.answerOddly(odd.path, null);
      }
    });
  }
});
