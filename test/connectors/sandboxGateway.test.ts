import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { SandboxGateway } from '../../src/connectors/sandboxGateway.js';
import type { GatewayOutcome, GatewayRequest } from '../../src/domain/types.js';
import { MemoryLedger } from '../support/memoryLedger.js';
import { bankRequest, cardRequest } from '../support/gatewayRequests.js';

function gateway(ledger = new MemoryLedger(), slowMs?: number): SandboxGateway {
  return new SandboxGateway({ name: 'Default', ledger, ...(slowMs === undefined ? {} : { slowMs }) });
}

describe('SandboxGateway', () => {
  it('describes itself as a sandbox that can do everything', () => {
    const g = gateway();
    assert.equal(g.name, 'Default');
    assert.equal(g.type, 'sandbox');
    assert.deepEqual(g.capabilities, {
      charge: true,
      tokenize: true,
      paymentMethods: ['credit-card', 'ach-debit'],
      tokenTypes: ['one-time', 'reusable', 'payment-method'],
      currencies: 'any',
    });
  });

  it('charges any other valid card, answering a ch_ confirmation code', async () => {
    const outcome = await gateway().execute(cardRequest('4242424242424242'));
    assert.equal(outcome.ok, true);
    assert.ok(outcome.ok);
    assert.match(outcome.confirmationCode ?? '', /^ch_[0-9A-Za-z]{24}$/);
    assert.equal(outcome.token, null);
    assert.equal(outcome.profileId, null);
  });

  const declines: [string, number, string][] = [
    ['4000000000000002', 64012, 'card_declined'],
    ['4000000000009995', 64012, 'insufficient_funds'],
    ['4000000000000069', 64012, 'expired_card'],
    ['4000000000000127', 64012, 'incorrect_cvc'],
    ['4000000000000119', 64010, 'processing_error'],
  ];
  for (const [card, payErrorCode, connectorError] of declines) {
    it(`answers ${connectorError} for test card ${card}`, async () => {
      const outcome = await gateway().execute(cardRequest(card));
      assert.equal(outcome.ok, false);
      assert.ok(!outcome.ok);
      assert.equal(outcome.payErrorCode, payErrorCode);
      assert.equal(outcome.connectorError, connectorError);
      assert.match(outcome.paymentError, /^[A-Z].+\.$/);
      assert.ok(!outcome.paymentError.includes(card));
    });
  }

  it('declines on tokenize too', async () => {
    const outcome = await gateway().execute(cardRequest('4000000000000002', { method: 'tokenize', amount: null }));
    assert.deepEqual(outcome, { ok: false, payErrorCode: 64012, paymentError: 'Your card was declined.', connectorError: 'card_declined' });
  });

  describe('ACH debits', () => {
    it('succeeds for 000123456789 and any other valid account', async () => {
      for (const account of ['000123456789', '12345678']) {
        const outcome = await gateway().execute(bankRequest(account));
        assert.ok(outcome.ok, account);
        assert.match(outcome.confirmationCode ?? '', /^ch_/);
      }
    });

    const failures: [string, string][] = [
      ['000111111116', 'no_account'],
      ['000111111113', 'account_closed'],
      ['000222222227', 'insufficient_funds'],
    ];
    for (const [account, connectorError] of failures) {
      it(`fails with ${connectorError} for account ${account}`, async () => {
        const outcome = await gateway().execute(bankRequest(account));
        assert.ok(!outcome.ok);
        assert.equal(outcome.payErrorCode, 64012);
        assert.equal(outcome.connectorError, connectorError);
      });
    }
  });

  describe('tokenize', () => {
    const tokenize = (tokenType: GatewayRequest['tokenType']) =>
      gateway().execute(cardRequest('4242424242424242', { method: 'tokenize', amount: null, tokenType }));

    it('one-time: a tok_ token and no profile', async () => {
      const outcome = await tokenize('one-time');
      assert.ok(outcome.ok);
      assert.match(outcome.token ?? '', /^tok_[0-9A-Za-z]{24}$/);
      assert.equal(outcome.profileId, null);
      assert.equal(outcome.confirmationCode, null);
    });

    it('reusable: a tok_ token and a cus_ profile', async () => {
      const outcome = await tokenize('reusable');
      assert.ok(outcome.ok);
      assert.match(outcome.token ?? '', /^tok_/);
      assert.match(outcome.profileId ?? '', /^cus_[0-9A-Za-z]{24}$/);
    });

    it('payment-method: a pm_ token and no profile', async () => {
      const outcome = await tokenize('payment-method');
      assert.ok(outcome.ok);
      assert.match(outcome.token ?? '', /^pm_[0-9A-Za-z]{24}$/);
      assert.equal(outcome.profileId, null);
    });

    it('draws a fresh token each time', async () => {
      const [a, b] = await Promise.all([tokenize('one-time'), tokenize('one-time')]);
      assert.ok(a?.ok && b?.ok);
      assert.notEqual(a.token, b.token);
    });
  });

  describe('malformed requests', () => {
    const cases: [string, GatewayRequest][] = [
      ['card expiry date', cardRequest('4242424242424242', { card: { number: '4242424242424242', type: 'visa', expMonth: '', expYear: '30', securityCode: null, postalCode: null } })],
      ['card', cardRequest('4242424242424242', { card: null })],
      ['amount to charge', cardRequest('4242424242424242', { amount: null })],
      ['bank account', cardRequest('', { paymentMethod: 'ach-debit', card: null })],
      ['valid bank routing number', { ...bankRequest('000123456789'), bank: { routingNumber: '12', accountNumber: '000123456789', accountType: 'consumer-checking' } }],
    ];
    for (const [missing, request] of cases) {
      it(`answers 64010 internal, naming the missing ${missing}`, async () => {
        const outcome = await gateway().execute(request);
        assert.deepEqual(outcome, {
          ok: false,
          payErrorCode: 64010,
          paymentError: `The payment request has no ${missing}.`,
          connectorError: 'internal',
        });
      });
    }
  });

  describe('idempotency by transaction id', () => {
    it('answers a retry from the ledger and records the transaction once', async () => {
      const ledger = new MemoryLedger();
      const g = gateway(ledger);
      const request = cardRequest('4242424242424242');
      const first = await g.execute(request);
      const retry = await g.execute(request);
      assert.deepEqual(retry, first);
      assert.equal(ledger.records.length, 1);
    });

    it('answers from the ledger after a restart (a new gateway over the same ledger)', async () => {
      const ledger = new MemoryLedger();
      const request = cardRequest('4242424242424242');
      const before = await gateway(ledger).execute(request);
      const after = await gateway(ledger).execute(request);
      assert.deepEqual(after, before);
      assert.equal(ledger.records.length, 1);
    });

    it('shares one transaction between concurrent calls with the same id', async () => {
      const ledger = new MemoryLedger();
      const g = gateway(ledger);
      const request = cardRequest('4242424242424242', { method: 'tokenize', amount: null });
      const [a, b, c] = await Promise.all([g.execute(request), g.execute(request), g.execute(request)]);
      assert.deepEqual(a, b);
      assert.deepEqual(b, c);
      assert.equal(ledger.records.length, 1);
    });

    it('records a summary without card data', async () => {
      const ledger = new MemoryLedger();
      await gateway(ledger).execute(cardRequest('4000000000000002'));
      const stored = JSON.stringify(ledger.records);
      for (const secret of ['4000000000000002', '"123"', '94105']) assert.ok(!stored.includes(secret), stored);
      assert.deepEqual(ledger.records[0]?.summary, {
        transactionId: ledger.records[0]?.transactionId,
        accountSid: 'AC0123456789abcdef0123456789abcdef',
        sessionSid: 'PK0123456789abcdef0123456789abcdef',
        connector: 'Default',
        method: 'charge',
        paymentMethod: 'credit-card',
        amount: '12.50',
        currency: 'USD',
        tokenType: 'reusable',
        cardType: 'visa',
      });
    });
  });

  it('answers the slow test card only after slowMs, then succeeds', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const ledger = new MemoryLedger();
    let settled: GatewayOutcome | undefined;
    const pending = gateway(ledger, 2_000).execute(cardRequest('4000000000000077')).then((o) => (settled = o));

    await nextTurn();
    t.mock.timers.tick(1_999);
    await nextTurn();
    assert.equal(settled, undefined);
    assert.equal(ledger.records.length, 0);

    t.mock.timers.tick(1);
    const outcome = await pending;
    assert.ok(outcome.ok);
    assert.equal(ledger.records.length, 1);
  });

  it('keeps the slow card slow for retries that arrive while it is in flight', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const ledger = new MemoryLedger();
    const g = gateway(ledger, 500);
    const request = cardRequest('4000000000000077');
    const first = g.execute(request);
    await nextTurn();
    const retry = g.execute(request);
    t.mock.timers.tick(500);
    assert.deepEqual(await retry, await first);
    assert.equal(ledger.records.length, 1);
  });
});
