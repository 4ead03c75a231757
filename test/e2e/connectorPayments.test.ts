/**
 * Pay sessions through real connectors, driven by the official twilio client: a local Generic Pay Connector
 * gateway and a local Stripe-like API (the `stripe` package pointed at it). Charges, tokens, ACH, declines
 * both ways, a gateway that answers late (retries, one transaction id), test-mode refusals, and every
 * capability error at session start.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startGenericGateway, type GenericGateway } from '../support/genericGateway.js';
import { startStripeLike, type StripeLike } from '../support/stripeLike.js';
import { openPaytone, paymentsPath, type PaytoneUnderTest } from './flows.js';
import { createConnector, payByBank, payByCard, twilioError } from './connectorFlows.js';

let pay: PaytoneUnderTest;
let gateway: GenericGateway;
let stripe: StripeLike;

before(async () => {
  gateway = await startGenericGateway();
  stripe = await startStripeLike();
  // Short enough to keep the retry test quick, long enough that a busy machine (the cluster pass runs three servers
  // beside the other suites) answers a prompt gateway call well within it.
  pay = await openPaytone({ PAYTONE_GATEWAY_TIMEOUT_MS: '2000' });
  const generic = { Type: 'generic', EndpointUrl: gateway.url, Username: gateway.username, Password: gateway.password };
  await createConnector(pay.paytone, { UniqueName: 'Acme', Mode: 'live', ...generic });
  await createConnector(pay.paytone, { UniqueName: 'AcmeTest', Mode: 'test', ...generic });
  await createConnector(pay.paytone, { UniqueName: 'Stripe', Type: 'stripe', Mode: 'test', ApiKey: stripe.apiKey, ApiBase: stripe.apiBase });
  await createConnector(pay.paytone, { UniqueName: 'CardsInUsd', Type: 'sandbox', SupportsTokenize: 'false', PaymentMethods: 'credit-card', Currencies: 'USD' });
  await createConnector(pay.paytone, { UniqueName: 'OneTimeTokens', Type: 'sandbox', SupportsCharge: 'false', TokenTypes: 'one-time' });
});

after(async () => {
  await pay?.close();
  await gateway?.close();
  await stripe?.close();
});

const sentFor = (sid: string) => gateway.requests.filter((r) => r.body.transaction_id === sid);

describe('Generic Pay Connector sessions', () => {
  it('charges: one POST with the session as transaction_id, the charge_id as PaymentConfirmationCode', async () => {
    const { sid, final } = await payByCard(pay, 'Acme', '4242424242424242', { chargeAmount: 25, description: 'Order 77', parameter: JSON.stringify({ order: 'A-77' }) });
    assert.equal(final.Result, 'success');
    assert.equal(final.PaymentConnector, 'Acme');
    const [sent] = sentFor(sid);
    assert.equal(sentFor(sid).length, 1);
    assert.equal(final.PaymentConfirmationCode, gateway.transactions.get(sid)?.body.charge_id);
    assert.equal(sent?.body.amount, '25.00');
    assert.equal(sent?.body.currency_code, 'USD');
    assert.equal(sent?.body.description, 'Order 77');
    assert.deepEqual(sent?.body.parameters, { order: 'A-77' });
    assert.equal(sent?.body.postal_code, '94107');
  });

  it('tokenizes: PaymentToken and ProfileId from the gateway', async () => {
    const { final } = await payByCard(pay, 'Acme', '4242424242424242', { tokenType: 'reusable' });
    assert.equal(final.Result, 'success');
    assert.match(final.PaymentToken ?? '', /^gw_tok_/);
    assert.match(final.ProfileId ?? '', /^gw_cus_/);
  });

  it('debits a bank account, and reports its decline', async () => {
    const ok = await payByBank(pay, 'Acme', '000123456789');
    assert.equal(ok.final.Result, 'success');
    assert.equal(sentFor(ok.sid)[0]?.body.routingnumber, '110000000');
    const declined = await payByBank(pay, 'Acme', '000111111116');
    assert.equal(declined.final.Result, 'payment-connector-error');
    assert.equal(declined.final.ConnectorError, 'no_account');
  });

  it('maps a decline sent as 200 + error_code', async () => {
    const { final } = await payByCard(pay, 'Acme', '4000000000000002');
    assert.equal(final.Result, 'payment-connector-error');
    assert.equal(final.PayErrorCode, '64012');
    assert.equal(final.ConnectorError, 'card_declined');
    assert.equal(final.PaymentError, 'Do not honor');
    assert.equal(final.PaymentConfirmationCode, undefined);
  });

  it('maps a decline sent as a non-2xx status, with and without error_code', async () => {
    const insufficient = await payByCard(pay, 'Acme', '4000000000009995');
    assert.deepEqual([insufficient.final.Result, insufficient.final.PayErrorCode, insufficient.final.ConnectorError], ['payment-connector-error', '64012', 'insufficient_funds']);
    const serverError = await payByCard(pay, 'Acme', '4000000000000119');
    assert.deepEqual([serverError.final.PayErrorCode, serverError.final.ConnectorError], ['64008', 'http_500']);
  });

  it('retries a gateway that answers after the timeout with the same transaction_id: one transaction', async () => {
    gateway.answerLate(2, 4_000);
    const { sid, final } = await payByCard(pay, 'Acme', '4242424242424242');
    assert.equal(final.Result, 'success');
    const sends = sentFor(sid);
    assert.equal(sends.length, 3, 'two attempts timed out after 2 s each, the third was answered');
    assert.ok(sends.every((s) => s.body.transaction_id === sid));
    assert.equal(final.PaymentConfirmationCode, gateway.transactions.get(sid)?.body.charge_id);
    assert.equal((await pay.gatewayTransactions(sid)).length, 1);
  });

  it('in test mode refuses a real card (64022) and a real bank account (64023) before sending anything', async () => {
    const card = await payByCard(pay, 'AcmeTest', '4012888888881881');
    assert.deepEqual([card.final.Result, card.final.PayErrorCode, card.final.ConnectorError], ['payment-connector-error', '64022', 'test_mode_card']);
    assert.equal(sentFor(card.sid).length, 0);
    const bank = await payByBank(pay, 'AcmeTest', '123456789012');
    assert.equal(bank.final.PayErrorCode, '64023');
    assert.equal(sentFor(bank.sid).length, 0);
    const test = await payByCard(pay, 'AcmeTest', '4242424242424242');
    assert.equal(test.final.Result, 'success', 'a published test card goes through');
  });
});

describe('Stripe sessions', () => {
  it('charges through a PaymentIntent confirmed server-side, keyed by the session', async () => {
    const before = stripe.paymentIntents.length;
    const { sid, final } = await payByCard(pay, 'Stripe', '4242424242424242', { chargeAmount: 19.99, currency: 'eur' });
    assert.equal(final.Result, 'success');
    assert.match(final.PaymentConfirmationCode ?? '', /^ch_local/);
    assert.equal(stripe.paymentIntents.length, before + 1);
    assert.deepEqual(stripe.paymentIntents.at(-1), { id: stripe.paymentIntents.at(-1)!.id, amount: 1999, currency: 'eur', status: 'succeeded' });
    const keys = stripe.requests.filter((r) => r.idempotencyKey?.startsWith(sid)).map((r) => r.idempotencyKey);
    assert.deepEqual(keys, [`${sid}-payment-method`, `${sid}-payment-intent`]);
  });

  it('makes a reusable token: a PaymentMethod on a Customer', async () => {
    const { final } = await payByCard(pay, 'Stripe', '5555555555554444', { tokenType: 'reusable', validCardTypes: 'visa mastercard' });
    assert.equal(final.Result, 'success');
    assert.match(final.PaymentToken ?? '', /^pm_/);
    assert.match(final.ProfileId ?? '', /^cus_/);
  });

  it('maps Stripe declines to Twilio Pay codes', async () => {
    const { final } = await payByCard(pay, 'Stripe', '4000000000009995');
    assert.deepEqual([final.Result, final.PayErrorCode, final.ConnectorError, final.PaymentError], ['payment-connector-error', '64012', 'insufficient_funds', 'Your card has insufficient funds.']);
  });
});

describe('what paytone wrote meanwhile', () => {
  it('holds no card number, bank account number or gateway secret in its logs', () => {
    const output = pay.paytone.output();
    assert.ok(output.includes('gateway answered'), 'the log is the server\'s');
    for (const secret of ['4242424242424242', '5555555555554444', '4000000000009995', '000123456789', gateway.password, stripe.apiKey]) {
      assert.ok(!output.includes(secret), `the log holds ${secret}`);
    }
  });
});

describe('capability checks at session start', () => {
  const start = async (options: Record<string, unknown>) => {
    const callSid = await pay.startCall();
    return twilioError(pay.client.calls(callSid).payments.create({ idempotencyKey: `cap-${Math.random()}`, statusCallback: pay.statusCallback, ...options } as never));
  };

  it('answers each thing a connector cannot do with its Twilio code, synchronously', async () => {
    const cases: [Record<string, unknown>, number, RegExp][] = [
      [{ paymentConnector: 'OneTimeTokens', chargeAmount: 10 }, 64007, /cannot charge/],
      [{ paymentConnector: 'CardsInUsd' }, 64005, /cannot tokenize/],
      [{ paymentConnector: 'OneTimeTokens', tokenType: 'reusable' }, 64006, /does not make TokenType=reusable tokens; it makes one-time/],
      [{ paymentConnector: 'CardsInUsd', chargeAmount: 10, currency: 'EUR' }, 64011, /does not take Currency=EUR; it takes USD/],
      [{ paymentConnector: 'CardsInUsd', chargeAmount: 10, paymentMethod: 'ach-debit' }, 64013, /does not take PaymentMethod=ach-debit/],
      [{ paymentConnector: 'Stripe', chargeAmount: 10, paymentMethod: 'ach-debit' }, 64013, /takes credit-card/],
      [{ paymentConnector: 'Nowhere', chargeAmount: 10 }, 64004, /PaymentConnector "Nowhere" is not configured/],
    ];
    for (const [options, code, message] of cases) {
      const error = await start(options);
      assert.equal(error.code, code, JSON.stringify(options));
      assert.equal(error.status, 400);
      assert.match(error.message, message);
    }
  });

  it('starts nothing when it refuses', async () => {
    const callSid = await pay.startCall();
    await twilioError(pay.client.calls(callSid).payments.create({ idempotencyKey: 'cap-none', statusCallback: pay.statusCallback, paymentConnector: 'CardsInUsd' }));
    const list = await pay.paytone.get(paymentsPath(callSid));
    assert.deepEqual(list.body.payments, []);
  });
});
