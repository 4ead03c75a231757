import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GenericConnector, readGenericAnswer } from '../../src/connectors/genericConnector.js';
import { TYPE_LIMITS, type ConnectorMode } from '../../src/domain/connectorSettings.js';
import type { GatewayRequest } from '../../src/domain/types.js';
import { MemoryLedger } from '../support/memoryLedger.js';
import { bankRequest, cardRequest } from '../support/gatewayRequests.js';
import { startGenericGateway, type GenericGateway } from '../support/genericGateway.js';

let gateway: GenericGateway;
before(async () => (gateway = await startGenericGateway()));
after(async () => gateway.close());

const FAST_RETRY = { maxAttempts: 6, baseDelayMs: 10, maxDelayMs: 40, timeoutMs: 300 };

function connector(options: { mode?: ConnectorMode; password?: string; endpointUrl?: string; ledger?: MemoryLedger; signal?: AbortSignal } = {}) {
  const ledger = options.ledger ?? new MemoryLedger();
  const generic = new GenericConnector({
    name: 'Acme',
    mode: options.mode ?? 'live',
    capabilities: TYPE_LIMITS.generic,
    endpointUrl: options.endpointUrl ?? gateway.url,
    username: gateway.username,
    password: options.password ?? gateway.password,
    ledger,
    signal: options.signal ?? new AbortController().signal,
    retry: FAST_RETRY,
  });
  return { generic, ledger };
}

const seen = (request: GatewayRequest) => gateway.requests.filter((r) => r.body.transaction_id === request.transactionId);

describe('GenericConnector', () => {
  it('charges with one JSON POST in Twilio\'s field names, signed in with HTTP Basic', async () => {
    const request = cardRequest('4242424242424242', { description: 'Order 7', parameter: { order: 'A-7', vip: true } });
    const outcome = await connector().generic.execute(request);
    assert.deepEqual(outcome, { ok: true, confirmationCode: outcome.ok ? outcome.confirmationCode : '', token: null, profileId: null });
    assert.match(outcome.ok ? (outcome.confirmationCode ?? '') : '', /^gw_ch_\d+$/);
    const [sent] = seen(request);
    assert.equal(sent?.authorization, 'Basic ' + Buffer.from(`${gateway.username}:${gateway.password}`).toString('base64'));
    assert.equal(sent?.contentType, 'application/json');
    assert.deepEqual(sent?.body, {
      method: 'charge',
      transaction_id: request.transactionId,
      payment_method: 'credit-card',
      currency_code: 'USD',
      description: 'Order 7',
      parameters: { order: 'A-7', vip: true },
      amount: '12.50',
      cardnumber: '4242424242424242',
      expiry_month: '12',
      expiry_year: '2030',
      cvv: '123',
      postal_code: '94105',
    });
  });

  it('keeps the gateway\'s answer parameters for <Pay> (PayConnector_<key>), with a card number in them masked', async () => {
    const plain = readGenericAnswer(cardRequest('4242424242424242'), 200, JSON.stringify({ charge_id: 'ch_1', parameters: { order_ref: 'R-77', amount: 12.5, echo: 'card 4242424242424242', 'bad key': 'x', nested: { a: 1 } } }));
    assert.deepEqual(plain, { ok: true, confirmationCode: 'ch_1', token: null, profileId: null, connectorParameters: { order_ref: 'R-77', amount: '12.5', echo: 'card ************4242' } });
    const none = readGenericAnswer(cardRequest('4242424242424242'), 200, JSON.stringify({ charge_id: 'ch_2', parameters: [] }));
    assert.deepEqual(none, { ok: true, confirmationCode: 'ch_2', token: null, profileId: null });
  });

  it('tokenizes, reading token_id and profile_id', async () => {
    const request = cardRequest('4242424242424242', { method: 'tokenize', amount: null, tokenType: 'reusable' });
    const outcome = await connector().generic.execute(request);
    assert.ok(outcome.ok);
    assert.match(outcome.token ?? '', /^gw_tok_/);
    assert.match(outcome.profileId ?? '', /^gw_cus_/);
    assert.equal(outcome.confirmationCode, null);
    assert.equal(seen(request)[0]?.body.token_type, 'reusable');
    assert.equal(seen(request)[0]?.body.amount, undefined);
  });

  it('debits a bank account with bankaccountnumber and routingnumber', async () => {
    const request = bankRequest('000123456789');
    const outcome = await connector().generic.execute(request);
    assert.ok(outcome.ok);
    const body = seen(request)[0]?.body ?? {};
    assert.equal(body.bankaccountnumber, '000123456789');
    assert.equal(body.routingnumber, '110000000');
    assert.equal(body.payment_method, 'ach-debit');
    assert.equal(body.cardnumber, undefined);
  });

  it('maps a decline that comes as 200 with error_code', async () => {
    const outcome = await connector().generic.execute(cardRequest('4000000000000002'));
    assert.deepEqual(outcome, { ok: false, payErrorCode: 64012, paymentError: 'Do not honor', connectorError: 'card_declined' });
  });

  it('maps a decline that comes as a non-2xx, with or without an error_code', async () => {
    assert.deepEqual(await connector().generic.execute(cardRequest('4000000000009995')), {
      ok: false,
      payErrorCode: 64012,
      paymentError: 'Insufficient funds',
      connectorError: 'insufficient_funds',
    });
    const charge = await connector().generic.execute(cardRequest('4000000000000119'));
    assert.deepEqual(charge, { ok: false, payErrorCode: 64008, paymentError: 'The payment gateway answered HTTP 500.', connectorError: 'http_500' });
    const token = await connector().generic.execute(cardRequest('4000000000000119', { method: 'tokenize', amount: null }));
    assert.equal(token.ok ? 0 : token.payErrorCode, 64010);
  });

  it('refuses its own credentials being wrong as a gateway refusal, not a crash', async () => {
    const outcome = await connector({ password: 'wrong' }).generic.execute(cardRequest('4242424242424242'));
    assert.deepEqual(outcome, { ok: false, payErrorCode: 64008, paymentError: 'Bad credentials', connectorError: 'unauthorized' });
  });

  it('retries a gateway that answers too late, always with the same transaction_id, and makes one transaction', async () => {
    gateway.answerLate(2, 1_000);
    const { generic, ledger } = connector();
    const request = cardRequest('4242424242424242');
    const outcome = await generic.execute(request);
    assert.ok(outcome.ok);
    const sends = seen(request);
    assert.equal(sends.length, 3, 'two attempts timed out, the third was answered');
    assert.ok(sends.every((s) => s.body.transaction_id === request.transactionId));
    assert.equal(gateway.transactions.has(request.transactionId), true);
    assert.equal(ledger.records.length, 1);
    assert.equal(ledger.sends.get(request.transactionId), 1, 'the ledger notes the send once per execute, before the first attempt');
  });

  it('gives up after 6 attempts (5 retries) and reports the timeout', async () => {
    gateway.hold();
    try {
      const request = cardRequest('4242424242424242');
      const outcome = await connector().generic.execute(request);
      assert.deepEqual(outcome, { ok: false, payErrorCode: 64008, paymentError: 'The payment gateway gave no answer after 6 attempts (timeout).', connectorError: 'timeout' });
      assert.equal(seen(request).length, 6);
    } finally {
      gateway.release();
    }
  });

  it('reports an endpoint that refuses connections', async () => {
    const outcome = await connector({ endpointUrl: 'http://127.0.0.1:9/nowhere' }).generic.execute(cardRequest('4242424242424242'));
    assert.equal(outcome.ok, false);
    assert.equal(outcome.ok ? '' : outcome.connectorError, 'gateway_unreachable');
  });

  it('in test mode sends only test cards and test bank accounts (64022 / 64023), nothing else leaves', async () => {
    const before = gateway.requests.length;
    const { generic, ledger } = connector({ mode: 'test' });
    const card = await generic.execute(cardRequest('4012888888881881'));
    assert.equal(card.ok ? 0 : card.payErrorCode, 64022);
    const bank = await generic.execute(bankRequest('123456789012'));
    assert.equal(bank.ok ? 0 : bank.payErrorCode, 64023);
    assert.equal(gateway.requests.length, before, 'nothing was sent');
    assert.equal(ledger.sends.size, 0);
    assert.ok((await generic.execute(cardRequest('4242424242424242'))).ok, 'a test card goes through');
  });

  it('answers a transaction it already finished from the ledger, without sending it again', async () => {
    const { generic, ledger } = connector();
    const request = cardRequest('4242424242424242');
    const first = await generic.execute(request);
    const again = await connector({ ledger }).generic.execute(request);
    assert.deepEqual(again, first);
    assert.equal(seen(request).length, 1);
  });

  it('stops without an answer when paytone shuts down, leaving the transaction to reconcile', async () => {
    gateway.hold();
    try {
      const stop = new AbortController();
      const { generic, ledger } = connector({ signal: stop.signal });
      const request = cardRequest('4242424242424242');
      const pending = generic.execute(request);
      while (seen(request).length === 0) await new Promise((r) => setTimeout(r, 10));
      stop.abort();
      await assert.rejects(pending, { name: 'GatewayCallStopped' });
      assert.equal(ledger.records.length, 0, 'no answer recorded');
      assert.equal(ledger.sends.get(request.transactionId), 1, 'the send is noted for the restart to reconcile');
    } finally {
      gateway.release();
    }
  });
});
