import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StripeConnector, minorUnits } from '../../src/connectors/stripeConnector.js';
import { TYPE_LIMITS, type ConnectorMode } from '../../src/domain/connectorSettings.js';
import type { GatewayRequest } from '../../src/domain/types.js';
import { MemoryLedger } from '../support/memoryLedger.js';
import { bankRequest, cardRequest } from '../support/gatewayRequests.js';
import { startStripeLike, type StripeLike } from '../support/stripeLike.js';

let stripe: StripeLike;
before(async () => (stripe = await startStripeLike()));
after(async () => stripe.close());

const FAST_RETRY = { maxAttempts: 6, baseDelayMs: 10, maxDelayMs: 40, timeoutMs: 2_000 };

function connector(options: { mode?: ConnectorMode; apiKey?: string; ledger?: MemoryLedger } = {}) {
  return new StripeConnector({
    name: 'Stripe',
    mode: options.mode ?? 'test',
    capabilities: TYPE_LIMITS.stripe,
    apiKey: options.apiKey ?? stripe.apiKey,
    apiBase: stripe.apiBase,
    ledger: options.ledger ?? new MemoryLedger(),
    signal: new AbortController().signal,
    retry: FAST_RETRY,
  });
}

const sent = (request: GatewayRequest) => stripe.requests.filter((r) => r.idempotencyKey?.startsWith(`${request.transactionId}-`));

describe('StripeConnector', () => {
  it('charges with a PaymentMethod and a PaymentIntent confirmed server-side, keyed by the transaction id', async () => {
    const request = cardRequest('4242424242424242', { description: 'Order 9', parameter: { order: 'A-9' } });
    const outcome = await connector().execute(request);
    assert.ok(outcome.ok);
    assert.match(outcome.confirmationCode ?? '', /^ch_local/);
    const [pm, pi] = sent(request);
    assert.equal(pm?.path, '/v1/payment_methods');
    assert.equal(pm?.idempotencyKey, `${request.transactionId}-payment-method`);
    assert.equal(pm?.params['card[number]'], '4242424242424242');
    assert.equal(pm?.params['card[cvc]'], '123');
    assert.equal(pm?.params['billing_details[address][postal_code]'], '94105');
    assert.equal(pi?.path, '/v1/payment_intents');
    assert.equal(pi?.idempotencyKey, `${request.transactionId}-payment-intent`);
    assert.equal(pi?.params.amount, '1250');
    assert.equal(pi?.params.currency, 'usd');
    assert.equal(pi?.params.confirm, 'true');
    assert.equal(pi?.params.description, 'Order 9');
    assert.equal(pi?.params['metadata[order]'], 'A-9');
    assert.equal(pi?.params['metadata[paytone_transaction_id]'], request.transactionId);
  });

  it('tokenizes each TokenType the way Stripe keeps it', async () => {
    const tokenize = (tokenType: GatewayRequest['tokenType']) => connector().execute(cardRequest('4242424242424242', { method: 'tokenize', amount: null, tokenType }));
    const oneTime = await tokenize('one-time');
    assert.ok(oneTime.ok);
    assert.match(oneTime.token ?? '', /^tok_/);
    assert.equal(oneTime.profileId, null);
    const paymentMethod = await tokenize('payment-method');
    assert.ok(paymentMethod.ok);
    assert.match(paymentMethod.token ?? '', /^pm_/);
    const reusable = await tokenize('reusable');
    assert.ok(reusable.ok);
    assert.match(reusable.token ?? '', /^pm_/);
    assert.match(reusable.profileId ?? '', /^cus_/);
  });

  const declines: [string, string, number][] = [
    ['4000000000000002', 'generic_decline', 64012],
    ['4000000000009995', 'insufficient_funds', 64012],
    ['4000000000000069', 'expired_card', 64012],
    ['4000000000000127', 'incorrect_cvc', 64012],
    ['4000000000000119', 'processing_error', 64008],
  ];
  for (const [card, code, payErrorCode] of declines) {
    it(`maps Stripe's ${code} to PayErrorCode ${payErrorCode}`, async () => {
      const outcome = await connector().execute(cardRequest(card));
      assert.equal(outcome.ok, false);
      assert.ok(!outcome.ok);
      assert.equal(outcome.connectorError, code);
      assert.equal(outcome.payErrorCode, payErrorCode);
      assert.ok(outcome.paymentError.length > 0);
    });
  }

  it('maps a decline while tokenizing to 64012, and a processing error to 64010', async () => {
    const declined = await connector().execute(cardRequest('4000000000000002', { method: 'tokenize', amount: null, tokenType: 'reusable' }));
    assert.equal(declined.ok ? 0 : declined.payErrorCode, 64012);
    const failed = await connector().execute(cardRequest('4000000000000119', { method: 'tokenize', amount: null, tokenType: 'reusable' }));
    assert.equal(failed.ok ? 0 : failed.payErrorCode, 64010);
  });

  it('retries Stripe server errors with the same idempotency key, and charges once', async () => {
    stripe.failNext(2, 503);
    const request = cardRequest('4242424242424242');
    const before = stripe.paymentIntents.length;
    assert.ok((await connector().execute(request)).ok);
    const keys = sent(request).map((r) => r.idempotencyKey);
    assert.deepEqual(keys, [`${request.transactionId}-payment-method`, `${request.transactionId}-payment-method`, `${request.transactionId}-payment-method`, `${request.transactionId}-payment-intent`]);
    assert.equal(stripe.paymentIntents.length, before + 1);
  });

  it('sends the same keys again after a restart, and Stripe replays instead of charging twice', async () => {
    const request = cardRequest('4242424242424242');
    const before = stripe.paymentIntents.length;
    const first = await connector().execute(request);
    // A new process with an empty memory of the answer: the ledger row was never written.
    const again = await connector().execute(request);
    assert.deepEqual(again, first);
    assert.equal(stripe.paymentIntents.length, before + 1);
    assert.ok(sent(request).slice(2).every((r) => r.replayed));
  });

  it('reports a wrong API key as a refusal of the charge', async () => {
    const outcome = await connector({ apiKey: 'sk_test_wrongKey' }).execute(cardRequest('4242424242424242'));
    assert.equal(outcome.ok, false);
    assert.equal(outcome.ok ? 0 : outcome.payErrorCode, 64008);
  });

  it('in test mode refuses a card that is not a test card before calling Stripe', async () => {
    const before = stripe.requests.length;
    const outcome = await connector().execute(cardRequest('4012888888881881'));
    assert.equal(outcome.ok ? 0 : outcome.payErrorCode, 64022);
    assert.equal(stripe.requests.length, before);
  });

  it('refuses a bank account: the Stripe connector takes cards only', async () => {
    const outcome = await connector({ mode: 'live', apiKey: stripe.apiKey }).execute(bankRequest('000123456789'));
    assert.equal(outcome.ok ? '' : outcome.connectorError, 'payment_method_not_supported');
  });

  it('counts amounts in Stripe\'s units', () => {
    assert.equal(minorUnits('12.50', 'USD'), 1250);
    assert.equal(minorUnits('0.05', 'EUR'), 5);
    assert.equal(minorUnits('1200.00', 'JPY'), 1200);
    assert.equal(minorUnits('12.50', 'JPY'), null);
    assert.equal(minorUnits('1.25', 'KWD'), 1250);
  });
});
