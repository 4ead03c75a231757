import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decide, isOperationCurrent, nextDeadline, openSession } from '../../src/domain/session.js';
import type { ErrorType, Session, SessionInput } from '../../src/domain/types.js';
import {
  ACCOUNT, achSettings, CALLBACK, cardSettings, DISCOVER, PaySession, readyCardSession, RULES, START, SUCCESS, VISA,
} from './sessionDriver.js';

describe('openSession', () => {
  it('starts in-progress at operation 0 with one started event carrying the common fields', () => {
    const { session, effects } = openSession({
      sid: 'PK1', accountSid: 'AC1', callSid: 'CA1', settings: cardSettings(), callbackUrl: CALLBACK, now: START,
    });
    assert.equal(session.status, 'in-progress');
    assert.equal(session.operation, 0);
    assert.equal(session.eventCount, 1);
    assert.equal(effects.gateway, null);
    assert.deepEqual(effects.events, [{
      seq: 1,
      kind: 'started',
      url: CALLBACK,
      at: START,
      params: {
        AccountSid: 'AC1', CallSid: 'CA1', Sid: 'PK1', DateCreated: 'Sun, 15 Jun 2025 12:00:00 +0000',
        PaymentMethod: 'credit-card', PaymentConnector: 'Default', ChargeAmount: '12.50',
      },
    }]);
  });

  it('names TokenType when tokenizing and BankAccountType for ach-debit', () => {
    const tokenize = new PaySession(cardSettings({ chargeAmount: null, tokenType: 'one-time' }));
    assert.equal(tokenize.last.TokenType, 'one-time');
    assert.equal(tokenize.last.ChargeAmount, undefined);
    const ach = new PaySession(achSettings({ bankAccountType: null }));
    assert.equal(ach.last.PaymentMethod, 'ach-debit');
    assert.equal(ach.last.BankAccountType, 'consumer-checking');
  });
});

describe('events', () => {
  it('are numbered 1, 2, 3 ... and every one after the start has the common fields and DateUpdated', () => {
    const pay = readyCardSession();
    pay.complete();
    pay.answer(SUCCESS);
    assert.deepEqual(pay.events.map((e) => e.seq), pay.events.map((_e, i) => i + 1));
    assert.equal(pay.session.eventCount, pay.events.length);
    const common = pay.events[0]?.params ?? {};
    for (const event of pay.events.slice(1)) {
      for (const [key, value] of Object.entries(common)) assert.equal(event.params[key], value, `${event.seq} ${key}`);
      assert.equal(event.params.DateUpdated, new Date(event.at).toUTCString().replace('GMT', '+0000'));
    }
  });

  it('go to the StatusCallback of the latest agent request', () => {
    const pay = new PaySession();
    pay.capture('payment-card-number', 'https://app.example/card');
    pay.press('4');
    assert.equal(pay.events.at(-1)?.url, 'https://app.example/card');
    pay.capture('postal-code', 'https://app.example/postal');
    pay.press('9');
    assert.equal(pay.events.at(-1)?.url, 'https://app.example/postal');
    pay.hangup();
    assert.equal(pay.events.at(-1)?.url, 'https://app.example/postal');
  });

  it('cover every ErrorType the domain can raise', () => {
    const seen = new Set<string>();
    const note = (pay: PaySession) => pay.events.forEach((e) => e.params.ErrorType && seen.add(e.params.ErrorType));
    const card = new PaySession(cardSettings({ requireMatchingInputs: ['postal-code'] }));
    card.capture('security-code');
    card.capture('expiration-date');
    card.wait(RULES.firstDigitTimeoutSeconds);
    card.enter('payment-card-number', '1234#');
    card.enter('payment-card-number', `${DISCOVER}#`);
    card.enter('payment-card-number', `${VISA}#`);
    card.enter('expiration-date', '0099');
    card.enter('security-code', '1#');
    card.enter('postal-code', '#');
    card.enter('postal-code-matcher', '1#');
    const ach = new PaySession(achSettings());
    ach.enter('bank-routing-number', '123456789#');
    ach.enter('bank-account-number', '1#');
    note(card);
    note(ach);
    const expected: ErrorType[] = [
      'input-timeout', 'invalid-card-number', 'invalid-card-type', 'invalid-date', 'invalid-security-code',
      'invalid-postal-code', 'invalid-bank-routing-number', 'invalid-bank-account-number', 'input-matching-failed',
      'invalid-card-number-security-code-capture-sequence',
    ];
    // internal-error is left to the adapters: no rule of the pure core can fail that way.
    assert.deepEqual([...seen].sort(), [...expected].sort());
  });
});

describe('decide', () => {
  it('never mutates the session it is given', () => {
    const pay = new PaySession(cardSettings({ confirmation: true, requireMatchingInputs: ['postal-code'] }));
    const inputs: SessionInput[] = [
      { kind: 'capture', name: 'payment-card-number', callbackUrl: CALLBACK },
      ...[...`${VISA}#`].map((digit): SessionInput => ({ kind: 'keys', keys: digit })),
      { kind: 'capture', name: 'security-code', callbackUrl: CALLBACK },
      { kind: 'keys', keys: '1' },
      { kind: 'deadline' },
      { kind: 'capture', name: 'bank-account-number', callbackUrl: CALLBACK },
      { kind: 'complete', callbackUrl: CALLBACK },
      { kind: 'hangup' },
    ];
    for (const input of inputs) {
      const before: Session = structuredClone(pay.session);
      const frozen = pay.session;
      const result = decide(frozen, input, pay.now + 60_000, RULES);
      assert.deepEqual(frozen, before, input.kind);
      if (result.ok) {
        assert.notEqual(result.value.session, frozen);
        pay.session = result.value.session;
        pay.now += 60_000;
      }
    }
  });

  it('moves dateUpdated to now on a change and leaves it alone when the input is ignored', () => {
    const pay = new PaySession();
    pay.now += 5000;
    pay.press('1');
    assert.equal(pay.session.dateUpdated, START);
    pay.capture('postal-code');
    assert.equal(pay.session.dateUpdated, START + 5000);
  });

  it('counts accepted agent requests in operation, and not refused ones', () => {
    const pay = new PaySession();
    pay.capture('payment-card-number');
    pay.capture('payment-card-number');
    pay.refuse({ kind: 'capture', name: 'bank-routing-number', callbackUrl: CALLBACK });
    pay.refuse({ kind: 'complete', callbackUrl: CALLBACK });
    assert.equal(pay.session.operation, 2);
    assert.equal(pay.session.capture?.operation, 2);
  });
});

describe('nextDeadline', () => {
  it('is the capture deadline, the confirmation deadline, or null', () => {
    const pay = new PaySession(cardSettings({ confirmation: true, securityCode: false, postalCode: false }));
    assert.equal(nextDeadline(pay.session), null);
    pay.capture('payment-card-number');
    assert.equal(nextDeadline(pay.session), START + 10_000);
    pay.press('4');
    assert.equal(nextDeadline(pay.session), START + 5000);
    pay.press(`${VISA.slice(1)}#`);
    assert.equal(nextDeadline(pay.session), null);
    pay.enter('expiration-date', '1230');
    pay.complete();
    assert.equal(nextDeadline(pay.session), pay.now + 10_000);
  });
});

describe('isOperationCurrent', () => {
  it('keeps a create current until the session ends', () => {
    const pay = readyCardSession();
    assert.equal(isOperationCurrent(pay.session, { kind: 'create', operation: 0 }), true);
    pay.cancel();
    assert.equal(isOperationCurrent(pay.session, { kind: 'create', operation: 0 }), false);
  });

  it('keeps a capture current only while its field is being typed', () => {
    const pay = new PaySession();
    pay.capture('payment-card-number');
    const op = { kind: 'capture', operation: pay.session.operation } as const;
    pay.press('4242');
    assert.equal(isOperationCurrent(pay.session, op), true);
    pay.press('424242424242#');
    assert.equal(isOperationCurrent(pay.session, op), false, 'the same request again re-captures the field');
    pay.capture('postal-code');
    assert.equal(isOperationCurrent(pay.session, { kind: 'capture', operation: op.operation + 1 }), true);
    assert.equal(isOperationCurrent(pay.session, op), false);
  });

  it('keeps a complete current until another request is accepted, so a retry never charges twice', () => {
    const pay = readyCardSession();
    pay.complete();
    const op = { kind: 'status', operation: pay.session.operation } as const;
    assert.equal(isOperationCurrent(pay.session, op), true);
    pay.answer(SUCCESS);
    assert.equal(isOperationCurrent(pay.session, op), true);
    assert.equal(isOperationCurrent(pay.session, { kind: 'status', operation: op.operation - 1 }), false);
  });
});

describe('ach-debit from start to end', () => {
  it('captures, charges and ends with the masked facts only', () => {
    const pay = new PaySession(achSettings());
    pay.enter('bank-routing-number', '110000000#');
    pay.enter('bank-account-number', `${ACCOUNT}#`);
    pay.complete();
    pay.answer(SUCCESS);
    assert.equal(pay.session.status, 'completed');
    assert.equal(pay.last.Result, 'success');
    assert.equal(pay.last.PaymentConfirmationCode, 'ch_123');
    assert.doesNotMatch(JSON.stringify(pay.events), new RegExp(ACCOUNT));
  });
});
