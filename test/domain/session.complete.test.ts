import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isFinal, nextDeadline } from '../../src/domain/session.js';
import type { GatewayOutcome, SessionInput } from '../../src/domain/types.js';
import {
  ACCOUNT, AMEX, achSettings, cardSettings, DECLINED, PaySession, readyCardSession, ROUTING, RULES, SUCCESS, VISA,
} from './sessionDriver.js';

const LATER_URL = 'https://app.example/pay-status?step=complete';

describe('complete', () => {
  it('starts completing at once without Confirmation: no event, one gateway request to charge', () => {
    const pay = readyCardSession();
    const eventsBefore = pay.events.length;
    assert.deepEqual(pay.complete(), []);
    assert.equal(pay.events.length, eventsBefore);
    assert.equal(pay.session.status, 'completing');
    assert.equal(pay.session.transactionId, pay.session.sid);
    assert.deepEqual(pay.gatewayRequests, [{
      transactionId: pay.session.sid,
      accountSid: pay.session.accountSid,
      sessionSid: pay.session.sid,
      connector: 'Default',
      method: 'charge',
      paymentMethod: 'credit-card',
      amount: '12.50',
      currency: 'USD',
      description: 'Order 1001',
      tokenType: 'reusable',
      parameter: null,
      card: { number: VISA, type: 'visa', expMonth: '12', expYear: '2030', securityCode: '123', postalCode: '94105' },
      bank: null,
    }]);
  });

  it('asks the gateway to tokenize when there is no ChargeAmount, without the codes not asked for', () => {
    const pay = readyCardSession(cardSettings({ chargeAmount: null, securityCode: false, postalCode: false }), AMEX);
    pay.complete();
    assert.equal(pay.gatewayRequests[0]?.method, 'tokenize');
    assert.equal(pay.gatewayRequests[0]?.amount, null);
    assert.deepEqual(pay.gatewayRequests[0]?.card, { number: AMEX, type: 'amex', expMonth: '12', expYear: '2030', securityCode: null, postalCode: null });
  });

  it('sends the bank details for ach-debit', () => {
    const pay = new PaySession(achSettings());
    pay.enter('bank-routing-number', `${ROUTING}#`);
    pay.enter('bank-account-number', `${ACCOUNT}#`);
    pay.complete();
    assert.equal(pay.gatewayRequests[0]?.card, null);
    assert.deepEqual(pay.gatewayRequests[0]?.bank, { routingNumber: ROUTING, accountNumber: ACCOUNT, accountType: 'consumer-savings' });
  });

  it('refuses to complete before everything is captured (64019), listing what is missing', () => {
    const pay = new PaySession();
    pay.enter('payment-card-number', `${VISA}#`);
    const error = pay.refuse({ kind: 'complete', callbackUrl: LATER_URL });
    assert.equal(error.code, 64019);
    assert.match(error.message, /expiration-date, security-code, postal-code/);
    assert.equal(pay.gatewayRequests.length, 0);
  });

  it('refuses to complete while a capture is in progress (64021)', () => {
    const pay = readyCardSession();
    pay.capture('postal-code');
    const error = pay.refuse({ kind: 'complete', callbackUrl: LATER_URL });
    assert.equal(error.code, 64021);
    assert.match(error.message, /capture is in progress|capture in progress/);
  });

  it('refuses a second complete while completing, and a complete after the end (64021)', () => {
    const pay = readyCardSession();
    pay.complete();
    assert.match(pay.refuse({ kind: 'complete', callbackUrl: LATER_URL }).message, /is already completing/);
    pay.answer(SUCCESS);
    const error = pay.refuse({ kind: 'complete', callbackUrl: LATER_URL });
    assert.equal(error.code, 64021);
    assert.match(error.message, /has ended \(completed\)/);
    assert.equal(pay.gatewayRequests.length, 1);
  });
});

describe('the gateway answer', () => {
  it('completes a charge with Result=success and the confirmation code, sent to the complete request\'s URL', () => {
    const pay = readyCardSession();
    pay.complete(LATER_URL);
    const [ended, ...more] = pay.answer({ ok: true, confirmationCode: 'ch_123', token: 'tok_ignored', profileId: null });
    assert.deepEqual(more, []);
    assert.equal(ended?.kind, 'ended');
    assert.equal(ended?.url, LATER_URL);
    assert.equal(ended?.params.Result, 'success');
    assert.equal(ended?.params.PaymentConfirmationCode, 'ch_123');
    assert.equal(ended?.params.PaymentToken, undefined);
    assert.equal(ended?.params.PaymentCardNumber, undefined);
    assert.equal(pay.session.status, 'completed');
  });

  it('completes a tokenization with PaymentToken and ProfileId, and leaves ProfileId out when there is none', () => {
    const withProfile = readyCardSession(cardSettings({ chargeAmount: null }));
    withProfile.complete();
    withProfile.answer({ ok: true, confirmationCode: null, token: 'tok_1', profileId: 'cus_9' });
    assert.equal(withProfile.last.Result, 'success');
    assert.equal(withProfile.last.PaymentToken, 'tok_1');
    assert.equal(withProfile.last.ProfileId, 'cus_9');
    assert.equal(withProfile.last.TokenType, 'reusable');
    assert.equal(withProfile.last.PaymentConfirmationCode, undefined);

    const withoutProfile = readyCardSession(cardSettings({ chargeAmount: null }));
    withoutProfile.complete();
    withoutProfile.answer({ ok: true, confirmationCode: null, token: 'tok_2', profileId: null });
    assert.equal(withoutProfile.last.ProfileId, undefined);
  });

  it('fails with Result=payment-connector-error and the connector\'s error fields', () => {
    const pay = readyCardSession();
    pay.complete();
    pay.answer(DECLINED);
    assert.equal(pay.session.status, 'failed');
    assert.equal(pay.last.Result, 'payment-connector-error');
    assert.equal(pay.last.PaymentError, 'Your card was declined.');
    assert.equal(pay.last.PayErrorCode, '64012');
    assert.equal(pay.last.ConnectorError, 'card_declined');
  });

  it('is ignored unless the session is completing', () => {
    const pay = readyCardSession();
    assert.deepEqual(pay.answer(SUCCESS), []);
    assert.equal(pay.session.status, 'in-progress');
    pay.complete();
    pay.answer(SUCCESS);
    const eventsBefore = pay.events.length;
    assert.deepEqual(pay.answer(DECLINED), []);
    assert.equal(pay.session.status, 'completed');
    assert.equal(pay.events.length, eventsBefore);
  });
});

describe('Confirmation=true', () => {
  const settings = cardSettings({ confirmation: true });

  it('waits for the caller after complete, then 1 starts completing', () => {
    const pay = readyCardSession(settings);
    assert.deepEqual(pay.complete(), []);
    assert.equal(pay.session.status, 'awaiting-confirmation');
    assert.equal(pay.gatewayRequests.length, 0);
    assert.equal(nextDeadline(pay.session), pay.now + RULES.firstDigitTimeoutSeconds * 1000);
    assert.deepEqual(pay.press('5#0'), []);
    assert.equal(pay.session.status, 'awaiting-confirmation');
    assert.deepEqual(pay.press('1'), []);
    assert.equal(pay.session.status, 'completing');
    assert.equal(pay.gatewayRequests.length, 1);
    assert.equal(nextDeadline(pay.session), null);
  });

  it('cancels on 2 with an ended event that has no Result', () => {
    const pay = readyCardSession(settings);
    pay.complete();
    const [ended] = pay.press('2');
    assert.equal(ended?.kind, 'ended');
    assert.equal(ended?.params.Result, undefined);
    assert.ok(ended?.params.DateUpdated);
    assert.equal(pay.session.status, 'canceled');
    assert.equal(pay.gatewayRequests.length, 0);
  });

  it('cancels when the caller does not answer in time', () => {
    const pay = readyCardSession(settings);
    pay.complete();
    assert.deepEqual(pay.wait(RULES.firstDigitTimeoutSeconds - 1), []);
    const [ended] = pay.wait(1);
    assert.equal(ended?.kind, 'ended');
    assert.equal(ended?.params.Result, undefined);
    assert.equal(pay.session.status, 'canceled');
    assert.equal(pay.gatewayRequests.length, 0);
  });

  it('lets the agent cancel while waiting', () => {
    const pay = readyCardSession(settings);
    pay.complete();
    pay.cancel();
    assert.equal(pay.session.status, 'canceled');
  });
});

describe('ending early', () => {
  it('cancel by the agent sends one ended event without Result to the cancel request\'s URL', () => {
    const pay = readyCardSession();
    const operation = pay.session.operation;
    const [ended, ...more] = pay.cancel(LATER_URL);
    assert.deepEqual(more, []);
    assert.equal(ended?.kind, 'ended');
    assert.equal(ended?.url, LATER_URL);
    assert.equal(ended?.params.Result, undefined);
    assert.equal(pay.session.operation, operation + 1);
    assert.equal(pay.session.status, 'canceled');
  });

  it('refuses cancel while completing and after the end (64021)', () => {
    const pay = readyCardSession();
    pay.complete();
    const completing = pay.refuse({ kind: 'cancel', callbackUrl: LATER_URL });
    assert.equal(completing.code, 64021);
    assert.match(completing.message, /is completing/);
    pay.answer(SUCCESS);
    assert.match(pay.refuse({ kind: 'cancel', callbackUrl: LATER_URL }).message, /has ended \(completed\)/);
  });

  it('* ends the session with Result=caller-interrupted-with-star, in the middle of a field too', () => {
    const pay = new PaySession();
    pay.enter('payment-card-number', '4242');
    const [ended] = pay.press('*');
    assert.equal(ended?.kind, 'ended');
    assert.equal(ended?.params.Result, 'caller-interrupted-with-star');
    assert.equal(pay.session.status, 'canceled');
    assert.equal(pay.session.capture, null);
  });

  it('* ends a session waiting for confirmation', () => {
    const pay = readyCardSession(cardSettings({ confirmation: true }));
    pay.complete();
    pay.press('*');
    assert.equal(pay.last.Result, 'caller-interrupted-with-star');
  });

  it('* is ignored while completing: the gateway may already be charging', () => {
    const pay = readyCardSession();
    pay.complete();
    assert.deepEqual(pay.press('*'), []);
    assert.equal(pay.session.status, 'completing');
  });

  it('a hang-up ends the session with Result=caller-hung-up', () => {
    const pay = new PaySession();
    pay.capture('payment-card-number');
    const [ended] = pay.hangup();
    assert.equal(ended?.params.Result, 'caller-hung-up');
    assert.equal(pay.session.status, 'canceled');
  });

  it('a hang-up while completing changes nothing: the gateway answer decides', () => {
    const pay = readyCardSession();
    pay.complete();
    assert.deepEqual(pay.hangup(), []);
    assert.equal(pay.session.status, 'completing');
    pay.answer(SUCCESS);
    assert.equal(pay.last.Result, 'success');
  });
});

describe('final sessions', () => {
  type Ending = [string, (pay: PaySession) => void];
  const endings: Ending[] = [
    ['completed', (pay) => { pay.complete(); pay.answer(SUCCESS); }],
    ['failed', (pay) => { pay.complete(); pay.answer(DECLINED); }],
    ['canceled by the agent', (pay) => { pay.cancel(); }],
    ['canceled with *', (pay) => { pay.capture('postal-code'); pay.press('9*'); }],
    ['canceled by a hang-up', (pay) => { pay.hangup(); }],
    ['canceled with 2 at the confirmation', (pay) => { pay.complete(); pay.press('2'); }],
    ['canceled for want of confirmation', (pay) => { pay.complete(); pay.wait(RULES.firstDigitTimeoutSeconds); }],
  ];

  for (const [how, finish] of endings) {
    it(`erase every secret and keep the card type once ${how}`, () => {
      const pay = readyCardSession(cardSettings({ confirmation: how.includes('confirmation') }));
      finish(pay);
      assert.ok(isFinal(pay.session));
      assert.deepEqual(pay.session.values, {});
      assert.equal(pay.session.capture, null);
      assert.equal(pay.session.cardType, 'visa');
      assert.equal(pay.last.PaymentCardNumber, undefined);
      assert.equal(nextDeadline(pay.session), null);
    });

    it(`never change once ${how}`, () => {
      const pay = readyCardSession(cardSettings({ confirmation: how.includes('confirmation') }));
      finish(pay);
      const ended = structuredClone(pay.session);
      const eventCount = pay.events.length;
      for (const input of [
        { kind: 'capture', name: 'postal-code', callbackUrl: LATER_URL },
        { kind: 'complete', callbackUrl: LATER_URL },
        { kind: 'cancel', callbackUrl: LATER_URL },
      ] satisfies SessionInput[]) {
        assert.equal(pay.refuse(input).code, 64021);
      }
      const answer: GatewayOutcome = SUCCESS;
      pay.press('1*#2');
      pay.hangup();
      pay.answer(answer);
      pay.wait(600);
      assert.deepEqual(pay.session, ended);
      assert.equal(pay.events.length, eventCount);
    });
  }

  it('erase the bank account when an ach-debit session ends', () => {
    const pay = new PaySession(achSettings());
    pay.enter('bank-routing-number', `${ROUTING}#`);
    pay.enter('bank-account-number', `${ACCOUNT}#`);
    pay.complete();
    pay.answer({ ok: false, payErrorCode: 64012, paymentError: 'No account', connectorError: 'no_account' });
    assert.deepEqual(pay.session.values, {});
    assert.equal(pay.last.BankAccountNumber, undefined);
    assert.equal(pay.last.BankAccountType, 'consumer-savings');
  });
});
