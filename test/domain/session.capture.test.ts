import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { requiredFields } from '../../src/domain/session.js';
import {
  ACCOUNT, AMEX, achSettings, cardSettings, DISCOVER, MASTERCARD, PaySession, RULES, ROUTING, START, VISA,
} from './sessionDriver.js';

describe('asking for a field', () => {
  it('tells the live feed, not the app: the field, the digits expected and the seconds the caller has', () => {
    const pay = new PaySession(cardSettings({ timeoutSeconds: 5, minPostalCodeLength: 5, validCardTypes: ['visa', 'mastercard', 'amex'] }));
    assert.deepEqual(pay.capture('payment-card-number'), [], 'no status callback: Twilio sends none');
    assert.deepEqual(pay.asked, [{
      at: START,
      params: { Capture: 'payment-card-number', ExpectedDigits: '15-19', FirstDigitTimeout: String(Math.max(RULES.firstDigitTimeoutSeconds, 5)), Timeout: '5' },
    }]);
    pay.press(`${VISA}#`);
    assert.equal(pay.asked.length, 1, 'typing asks nothing');
    for (const [field, expected] of [['expiration-date', '4'], ['security-code', '3'], ['postal-code', '5-10']] as const) {
      pay.capture(field);
      assert.equal(pay.asked.at(-1)!.params.ExpectedDigits, expected, field);
    }
  });

  it('says 4 digits for an amex security code, and nothing when the field cannot start', () => {
    const pay = new PaySession(cardSettings({ validCardTypes: ['amex'] }));
    pay.capture('security-code');
    assert.equal(pay.asked.length, 0, 'the card number must come first: an error, not a field');
    pay.capture('payment-card-number');
    assert.equal(pay.asked[0]!.params.ExpectedDigits, '15');
    pay.press(AMEX);
    pay.capture('security-code');
    assert.equal(pay.asked[1]!.params.ExpectedDigits, '4');
  });

  it('names the bank fields of an ach-debit session', () => {
    const pay = new PaySession(achSettings());
    pay.capture('bank-routing-number');
    pay.capture('bank-account-number');
    assert.deepEqual(pay.asked.map((a) => [a.params.Capture, a.params.ExpectedDigits]), [['bank-routing-number', '9'], ['bank-account-number', '4-17']]);
  });
});

describe('typing a card number', () => {
  it('emits nothing when the capture starts, then one partial event per digit that shows no digit', () => {
    const pay = new PaySession();
    assert.deepEqual(pay.capture('payment-card-number'), []);
    const partials = pay.press('424242424');
    assert.equal(partials.length, 9);
    for (const event of partials) {
      assert.equal(event.kind, 'capture');
      assert.equal(event.params.Capture, 'payment-card-number');
      assert.equal(event.params.PartialResult, 'true');
      assert.equal(event.params.Required, 'payment-card-number,expiration-date,security-code,postal-code');
      assert.match(event.params.PaymentCardNumber ?? '', /^[x-]+$/);
      assert.equal(event.params.ErrorType, undefined);
    }
    assert.equal(partials.at(-1)?.params.PaymentCardNumber, 'xxxx-xxxx-x');
    assert.equal(partials.at(-1)?.params.PaymentCardType, 'visa');
  });

  it('ends on # with the final mask, the type, and the field gone from Required', () => {
    const pay = new PaySession();
    const events = pay.enter('payment-card-number', `${VISA}#`);
    const final = events.at(-1);
    assert.equal(events.length, 17);
    assert.deepEqual(
      { Capture: final?.params.Capture, PartialResult: final?.params.PartialResult, Required: final?.params.Required,
        PaymentCardNumber: final?.params.PaymentCardNumber, PaymentCardType: final?.params.PaymentCardType },
      { Capture: 'payment-card-number', PartialResult: 'false', Required: 'expiration-date,security-code,postal-code',
        PaymentCardNumber: 'xxxx-xxxx-xxxx-4242', PaymentCardType: 'visa' },
    );
    assert.equal(pay.session.capture, null);
    assert.equal(pay.session.cardType, 'visa');
  });

  it('ends by itself at 15 digits for amex, without waiting for #', () => {
    const pay = new PaySession();
    const events = pay.enter('payment-card-number', AMEX);
    assert.equal(events.length, 16);
    assert.equal(events.at(-2)?.params.PartialResult, 'true');
    assert.equal(events.at(-2)?.params.PaymentCardNumber, 'xxxx-xxxxxx-xxxxx');
    assert.equal(pay.last.PartialResult, 'false');
    assert.equal(pay.last.PaymentCardNumber, 'xxxx-xxxxxx-x0005');
    assert.equal(pay.last.PaymentCardType, 'amex');
    assert.equal(pay.session.capture, null);
  });

  it('ends by itself at 16 digits for mastercard', () => {
    const pay = new PaySession();
    const events = pay.enter('payment-card-number', MASTERCARD);
    assert.equal(events.length, 17);
    assert.equal(pay.last.PaymentCardNumber, 'xxxx-xxxx-xxxx-4444');
    assert.equal(pay.last.PaymentCardType, 'mastercard');
  });

  it('keeps waiting after 16 visa digits, since visa numbers may have 19', () => {
    const pay = new PaySession();
    pay.enter('payment-card-number', VISA);
    assert.equal(pay.session.capture?.digits.length, 16);
    assert.equal(pay.last.PartialResult, 'true');
  });

  it('refuses a type the session does not accept with invalid-card-type', () => {
    const pay = new PaySession();
    pay.enter('payment-card-number', `${DISCOVER}#`);
    assert.equal(pay.last.ErrorType, 'invalid-card-type');
    assert.equal(pay.last.PaymentCardNumber, undefined);
    assert.equal(pay.last.Required, 'payment-card-number,expiration-date,security-code,postal-code');
    assert.equal(pay.session.cardType, null);
  });

  it('refuses a mistyped number with invalid-card-number', () => {
    const pay = new PaySession();
    pay.enter('payment-card-number', '4242424242424241#');
    assert.equal(pay.last.ErrorType, 'invalid-card-number');
    assert.equal(pay.session.values['payment-card-number'], undefined);
  });

  it('refuses an empty entry (only #) with the field\'s error type', () => {
    const pay = new PaySession();
    pay.enter('payment-card-number', '#');
    assert.equal(pay.events.length, 2);
    assert.equal(pay.last.ErrorType, 'invalid-card-number');
    pay.enter('postal-code', '#');
    assert.equal(pay.last.ErrorType, 'invalid-postal-code');
  });

  it('takes a leading # as the end of the field before when <Pay> asks fields back to back', () => {
    const pay = new PaySession();
    pay.enter('payment-card-number', '5555555555554444');
    assert.equal(pay.last.PaymentCardNumber, 'xxxx-xxxx-xxxx-4444', 'a Mastercard ends by itself at 16 digits');
    pay.apply({ kind: 'capture', name: 'expiration-date', callbackUrl: 'https://app.example/pay', leadingHashIgnored: true });
    assert.deepEqual(pay.press('#'), [], 'the caller closing the card number ends nothing');
    pay.press('1230');
    assert.equal(pay.last.ExpirationDate, '1230');
  });
});

describe('timeouts', () => {
  it('waits firstDigitTimeoutSeconds for the first digit, then reports input-timeout and keeps the field required', () => {
    const pay = new PaySession();
    pay.capture('expiration-date');
    assert.equal(pay.session.capture?.deadline, START + RULES.firstDigitTimeoutSeconds * 1000);
    assert.deepEqual(pay.wait(9.999), []);
    const events = pay.wait(0.001);
    assert.equal(events.length, 1);
    assert.equal(pay.last.Capture, 'expiration-date');
    assert.equal(pay.last.PartialResult, 'false');
    assert.equal(pay.last.ErrorType, 'input-timeout');
    assert.equal(pay.last.Required, 'payment-card-number,expiration-date,security-code,postal-code');
    assert.equal(pay.session.capture, null);
  });

  it('never gives the first digit less time than Timeout gives the next ones', () => {
    const pay = new PaySession(cardSettings({ timeoutSeconds: 30 }));
    pay.capture('expiration-date');
    assert.equal(pay.session.capture?.deadline, START + 30_000);
    assert.deepEqual(pay.wait(29.999), []);
    assert.equal(pay.wait(0.001).at(-1)?.params.ErrorType, 'input-timeout');
  });

  it('ends a field Timeout seconds after the last digit and validates what was typed', () => {
    const pay = new PaySession(cardSettings({ timeoutSeconds: 3 }));
    pay.enter('payment-card-number', VISA);
    assert.equal(pay.session.capture?.deadline, pay.now + 3000);
    assert.deepEqual(pay.wait(2.9), []);
    pay.wait(0.1);
    assert.equal(pay.last.PartialResult, 'false');
    assert.equal(pay.last.PaymentCardNumber, 'xxxx-xxxx-xxxx-4242');
    assert.equal(pay.session.values['payment-card-number'], VISA);
  });

  it('restarts the inter-digit wait on every digit', () => {
    const pay = new PaySession(cardSettings({ timeoutSeconds: 5 }));
    pay.capture('postal-code');
    pay.press('9410', 4);
    assert.equal(pay.session.capture?.digits, '9410');
    pay.wait(5);
    assert.equal(pay.last.PaymentCardPostalCode, '9410');
  });

  it('counts keys pressed before the deadline however late they arrive, timing the field from the caller\'s keys', () => {
    const pay = new PaySession(cardSettings({ timeoutSeconds: 2 }));
    pay.capture('payment-card-number');
    const pressed = START + 500;
    // A busy server gets to the whole card number 9 s after the caller typed it, long past 2 s of silence.
    pay.now = START + 9_500;
    const events = pay.apply({ kind: 'keys', keys: `${VISA}#`, pressedAt: Array.from(`${VISA}#`, (_, i) => pressed + i * 100) });
    assert.equal(events.length, 17);
    assert.equal(pay.last.PaymentCardNumber, 'xxxx-xxxx-xxxx-4242');
    assert.equal(pay.last.ErrorType, undefined);
    assert.equal(pay.session.values['payment-card-number'], VISA);
  });

  it('times a late key\'s field from when it was pressed, not from when it arrived', () => {
    const pay = new PaySession(cardSettings({ timeoutSeconds: 3 }));
    pay.capture('payment-card-number');
    pay.now = START + 8_000;
    pay.apply({ kind: 'keys', keys: '42', pressedAt: [START + 1_000, START + 2_000] });
    assert.equal(pay.session.capture?.deadline, START + 5_000, '3 s after the last key was pressed');
  });

  it('lets a deadline that passed before a key was pressed act first, as if the key had arrived at once', () => {
    const pay = new PaySession(cardSettings({ timeoutSeconds: 2 }));
    pay.capture('payment-card-number');
    pay.now = START + 10_000;
    // Two digits, then 4 s of silence (more than Timeout), then the rest: the field ended in the silence.
    const events = pay.apply({ kind: 'keys', keys: '424242', pressedAt: [1, 2, 7, 8, 9, 10].map((s) => START + s * 500) });
    assert.deepEqual(events.map((e) => [e.params.PartialResult, e.params.ErrorType]), [['true', undefined], ['true', undefined], ['false', 'invalid-card-number']]);
    assert.equal(pay.session.capture, null, 'the keys after the silence found no field');
  });

  it('never times a field from before it began, for a key queued before the agent asked for it', () => {
    const pay = new PaySession(cardSettings({ timeoutSeconds: 3 }));
    pay.now = START + 5_000;
    pay.capture('payment-card-number');
    pay.apply({ kind: 'keys', keys: '4', pressedAt: [START + 4_000] });
    assert.equal(pay.session.capture?.deadline, START + 8_000);
  });

  it('ignores a deadline input that comes early', () => {
    const pay = new PaySession();
    pay.capture('postal-code');
    const early = pay.apply({ kind: 'deadline' });
    assert.deepEqual(early, []);
    assert.equal(pay.session.capture?.name, 'postal-code');
  });
});

describe('requesting fields', () => {
  it('takes the fields in any order and shows each the way DESIGN.md says', () => {
    const pay = new PaySession();
    pay.enter('postal-code', '94105#');
    assert.equal(pay.last.PaymentCardPostalCode, '94105');
    assert.equal(pay.last.Required, 'payment-card-number,expiration-date,security-code');
    pay.enter('expiration-date', '1230');
    assert.equal(pay.last.ExpirationDate, '1230');
    assert.equal(pay.last.Required, 'payment-card-number,security-code');
    pay.enter('payment-card-number', `${VISA}#`);
    assert.equal(pay.last.Required, 'security-code');
    pay.enter('security-code', '123');
    assert.equal(pay.last.SecurityCode, 'xxx');
    assert.equal(pay.last.Required, '');
    assert.deepEqual(requiredFields(pay.session), []);
  });

  it('shows no digit while typing, not even of the fields shown in clear once accepted', () => {
    const pay = new PaySession();
    pay.capture('expiration-date');
    pay.press('12');
    assert.equal(pay.last.ExpirationDate, 'xx');
    pay.enter('postal-code', '941');
    assert.equal(pay.last.PaymentCardPostalCode, 'xxx');
    pay.press('05#');
    assert.equal(pay.last.PaymentCardPostalCode, '94105', 'in clear once valid');
    pay.enter('payment-card-number', `${VISA}#`);
    pay.enter('security-code', '12');
    assert.equal(pay.last.SecurityCode, 'xx');
    assert.equal(pay.last.PartialResult, 'true');
  });

  it('lets a new capture replace the one in progress, dropping its digits without an event', () => {
    const pay = new PaySession();
    pay.enter('payment-card-number', '4242');
    const eventsBefore = pay.events.length;
    assert.deepEqual(pay.capture('expiration-date'), []);
    assert.equal(pay.events.length, eventsBefore);
    assert.equal(pay.session.capture?.name, 'expiration-date');
    assert.equal(pay.session.capture?.digits, '');
    pay.press('1230');
    assert.equal(pay.last.Required, 'payment-card-number,security-code,postal-code');
    assert.equal(pay.session.values['payment-card-number'], undefined);
  });

  it('replaces an accepted value with a valid re-entry', () => {
    const pay = new PaySession();
    pay.enter('payment-card-number', `${VISA}#`);
    pay.enter('payment-card-number', MASTERCARD);
    assert.equal(pay.last.PaymentCardNumber, 'xxxx-xxxx-xxxx-4444');
    assert.equal(pay.session.cardType, 'mastercard');
    assert.equal(pay.session.values['payment-card-number'], MASTERCARD);
  });

  it('removes an accepted value when its re-entry is invalid', () => {
    const pay = new PaySession();
    pay.enter('expiration-date', '1230');
    pay.enter('expiration-date', '1399');
    assert.equal(pay.last.ErrorType, 'invalid-date');
    assert.equal(pay.last.ExpirationDate, undefined);
    assert.equal(pay.last.Required, 'payment-card-number,expiration-date,security-code,postal-code');
    assert.equal(pay.session.values['expiration-date'], undefined);
  });

  it('removes an accepted value when its re-entry times out with no digit', () => {
    const pay = new PaySession();
    pay.enter('postal-code', '94105#');
    pay.capture('postal-code');
    pay.wait(RULES.firstDigitTimeoutSeconds);
    assert.equal(pay.last.ErrorType, 'input-timeout');
    assert.equal(pay.session.values['postal-code'], undefined);
  });

  it('reports every field error type', () => {
    const pay = new PaySession(cardSettings({ minPostalCodeLength: 5 }));
    pay.enter('payment-card-number', `${VISA}#`);
    pay.enter('expiration-date', '0525');
    assert.equal(pay.last.ErrorType, 'invalid-date');
    pay.enter('security-code', '12#');
    assert.equal(pay.last.ErrorType, 'invalid-security-code');
    pay.enter('postal-code', '9410#');
    assert.equal(pay.last.ErrorType, 'invalid-postal-code');

    const ach = new PaySession(achSettings());
    ach.enter('bank-routing-number', '110000001#');
    assert.equal(ach.last.ErrorType, 'invalid-bank-routing-number');
    ach.enter('bank-account-number', '123#');
    assert.equal(ach.last.ErrorType, 'invalid-bank-account-number');
  });

  it('ignores keys while no field is being captured, and keys that are not on a keypad', () => {
    const pay = new PaySession();
    assert.deepEqual(pay.press('12#'), []);
    pay.capture('postal-code');
    assert.deepEqual(pay.press('A'), []);
    assert.equal(pay.session.capture?.digits, '');
  });
});

describe('security code and card number together', () => {
  it('answers a security code request before any card number with the sequence error and starts nothing', () => {
    const pay = new PaySession();
    const events = pay.capture('security-code');
    assert.equal(events.length, 1);
    assert.equal(events[0]?.kind, 'capture');
    assert.deepEqual(
      { ...events[0]?.params, DateCreated: undefined, DateUpdated: undefined },
      { ...pay.events[0]?.params, DateCreated: undefined, DateUpdated: undefined, Capture: 'security-code', PartialResult: 'false',
        Required: 'payment-card-number,expiration-date,security-code,postal-code',
        ErrorType: 'invalid-card-number-security-code-capture-sequence' },
    );
    assert.equal(pay.session.capture, null);
    assert.equal(pay.session.operation, 1);
  });

  it('gives the sequence error for the security code matcher too', () => {
    const pay = new PaySession(cardSettings({ requireMatchingInputs: ['security-code'] }));
    pay.capture('security-code-matcher');
    assert.equal(pay.last.Capture, 'security-code-matcher');
    assert.equal(pay.last.ErrorType, 'invalid-card-number-security-code-capture-sequence');
  });

  it('gives the sequence error again when the card number re-entry failed', () => {
    const pay = new PaySession();
    pay.enter('payment-card-number', `${VISA}#`);
    pay.enter('payment-card-number', '1234#');
    pay.capture('security-code');
    assert.equal(pay.last.ErrorType, 'invalid-card-number-security-code-capture-sequence');
  });

  it('takes 4 security code digits for amex and ends there', () => {
    const pay = new PaySession();
    pay.enter('payment-card-number', AMEX);
    const events = pay.enter('security-code', '1234');
    assert.equal(events.length, 5);
    assert.equal(pay.last.SecurityCode, 'xxxx');
    assert.equal(pay.last.ErrorType, undefined);
  });

  it('drops the security code when a new card number needs another length', () => {
    const pay = new PaySession(cardSettings({ requireMatchingInputs: ['security-code'] }));
    pay.enter('payment-card-number', `${VISA}#`);
    pay.enter('security-code', '123');
    pay.enter('security-code-matcher', '123');
    pay.enter('payment-card-number', AMEX);
    assert.equal(pay.last.Required, 'expiration-date,security-code,security-code-matcher,postal-code');
    assert.equal(pay.session.values['security-code'], undefined);
    assert.equal(pay.session.values['security-code-matcher'], undefined);
  });

  it('keeps the security code when the new card type takes the same length', () => {
    const pay = new PaySession();
    pay.enter('payment-card-number', `${VISA}#`);
    pay.enter('security-code', '123');
    pay.enter('payment-card-number', MASTERCARD);
    assert.equal(pay.last.Required, 'expiration-date,postal-code');
  });
});

describe('matchers', () => {
  const settings = cardSettings({ requireMatchingInputs: ['payment-card-number', 'postal-code'] });

  it('lists matchers in Required after their field until they match', () => {
    const pay = new PaySession(settings);
    pay.enter('payment-card-number', `${VISA}#`);
    assert.equal(pay.last.Required, 'payment-card-number-matcher,expiration-date,security-code,postal-code,postal-code-matcher');
    pay.enter('payment-card-number-matcher', `${VISA}#`);
    assert.equal(pay.last.Capture, 'payment-card-number-matcher');
    assert.equal(pay.last.PaymentCardNumber, 'xxxx-xxxx-xxxx-4242');
    assert.equal(pay.last.PaymentCardType, 'visa');
    assert.equal(pay.last.Required, 'expiration-date,security-code,postal-code,postal-code-matcher');
  });

  it('fails a matcher that differs from the first entry', () => {
    const pay = new PaySession(settings);
    pay.enter('postal-code', '94105#');
    pay.enter('postal-code-matcher', '94106#');
    assert.equal(pay.last.ErrorType, 'input-matching-failed');
    assert.equal(pay.last.PaymentCardPostalCode, undefined);
    assert.match(pay.last.Required ?? '', /postal-code-matcher/);
  });

  it('fails a matcher entered before its field', () => {
    const pay = new PaySession(settings);
    pay.enter('postal-code-matcher', '94105#');
    assert.equal(pay.last.ErrorType, 'input-matching-failed');
  });

  it('masks a matcher while typing exactly like its field', () => {
    const pay = new PaySession(settings);
    pay.enter('payment-card-number', `${VISA}#`);
    pay.enter('payment-card-number-matcher', '42424');
    assert.equal(pay.last.PaymentCardNumber, 'xxxx-x');
  });

  it('makes the matcher required again when its field is captured again', () => {
    const pay = new PaySession(settings);
    pay.enter('postal-code', '94105#');
    pay.enter('postal-code-matcher', '94105#');
    assert.equal(pay.last.Required, 'payment-card-number,payment-card-number-matcher,expiration-date,security-code');
    pay.enter('postal-code', '94105#');
    assert.equal(pay.last.Required, 'payment-card-number,payment-card-number-matcher,expiration-date,security-code,postal-code-matcher');
  });

  it('ends a card number matcher at the card type\'s length', () => {
    const pay = new PaySession(settings);
    pay.enter('payment-card-number', MASTERCARD);
    const events = pay.enter('payment-card-number-matcher', MASTERCARD);
    assert.equal(events.length, 17);
    assert.equal(pay.last.PartialResult, 'false');
  });
});

describe('requests the session cannot take (64020)', () => {
  const cases: Array<[string, () => PaySession, Parameters<PaySession['capture']>[0], RegExp]> = [
    ['a bank field on credit-card', () => new PaySession(), 'bank-routing-number', /PaymentMethod=credit-card/],
    ['a card field on ach-debit', () => new PaySession(achSettings()), 'payment-card-number', /PaymentMethod=ach-debit/],
    ['a matcher not in RequireMatchingInputs', () => new PaySession(), 'expiration-date-matcher', /RequireMatchingInputs/],
    ['the security code with SecurityCode=false', () => new PaySession(cardSettings({ securityCode: false })), 'security-code', /SecurityCode=false/],
    ['the postal code with PostalCode=false', () => new PaySession(cardSettings({ postalCode: false })), 'postal-code', /PostalCode=false/],
    ['the postal code matcher with PostalCode=false', () => new PaySession(cardSettings({ postalCode: false, requireMatchingInputs: ['postal-code'] })), 'postal-code-matcher', /PostalCode=false/],
  ];
  for (const [what, open, name, message] of cases) {
    it(`refuses ${what}, naming the parameter`, () => {
      const pay = open();
      const error = pay.refuse({ kind: 'capture', name, callbackUrl: 'https://other.example/' });
      assert.equal(error.code, 64020);
      assert.match(error.message, new RegExp(`Capture=${name}`));
      assert.match(error.message, message);
    });
  }

  it('refuses a capture while the session awaits confirmation (64021)', () => {
    const pay = new PaySession(cardSettings({ confirmation: true, securityCode: false, postalCode: false }));
    pay.enter('payment-card-number', `${VISA}#`);
    pay.enter('expiration-date', '1230');
    pay.complete();
    const error = pay.refuse({ kind: 'capture', name: 'postal-code', callbackUrl: 'https://other.example/' });
    assert.equal(error.code, 64021);
    assert.match(error.message, /is awaiting-confirmation and takes no more captures/);
  });
});

describe('Required transitions', () => {
  it('card without security and postal codes', () => {
    const pay = new PaySession(cardSettings({ securityCode: false, postalCode: false }));
    pay.enter('payment-card-number', `${VISA}#`);
    assert.equal(pay.last.Required, 'expiration-date');
    pay.enter('expiration-date', '1230');
    assert.equal(pay.last.Required, '');
  });

  it('card with every matcher', () => {
    const pay = new PaySession(cardSettings({ requireMatchingInputs: ['payment-card-number', 'expiration-date', 'security-code', 'postal-code'] }));
    const seen: string[] = [];
    const steps: Array<[Parameters<PaySession['capture']>[0], string]> = [
      ['payment-card-number', `${VISA}#`], ['payment-card-number-matcher', `${VISA}#`],
      ['expiration-date', '1230'], ['expiration-date-matcher', '1230'],
      ['security-code', '123'], ['security-code-matcher', '123'],
      ['postal-code', '94105#'], ['postal-code-matcher', '94105#'],
    ];
    for (const [name, keys] of steps) {
      pay.enter(name, keys);
      seen.push(pay.last.Required ?? '?');
    }
    assert.deepEqual(seen, [
      'payment-card-number-matcher,expiration-date,expiration-date-matcher,security-code,security-code-matcher,postal-code,postal-code-matcher',
      'expiration-date,expiration-date-matcher,security-code,security-code-matcher,postal-code,postal-code-matcher',
      'expiration-date-matcher,security-code,security-code-matcher,postal-code,postal-code-matcher',
      'security-code,security-code-matcher,postal-code,postal-code-matcher',
      'security-code-matcher,postal-code,postal-code-matcher',
      'postal-code,postal-code-matcher',
      'postal-code-matcher',
      '',
    ]);
  });

  it('ach-debit: routing number ends on #, masked until then; account number shows only its last 2 digits', () => {
    const pay = new PaySession(achSettings());
    const routing = pay.enter('bank-routing-number', `${ROUTING}#`);
    assert.equal(routing.length, 10);
    assert.equal(routing.at(-3)?.params.BankRoutingNumber, 'xxxxxxxx');
    assert.equal(routing.at(-2)?.params.BankRoutingNumber, 'xxxxxxxxx');
    assert.equal(routing.at(-2)?.params.PartialResult, 'true');
    assert.equal(pay.last.BankRoutingNumber, ROUTING);
    assert.equal(pay.last.Required, 'bank-account-number');
    const account = pay.enter('bank-account-number', `${ACCOUNT}#`);
    for (const event of account.slice(0, -1)) assert.match(event.params.BankAccountNumber ?? '', /^\*+$/);
    assert.equal(pay.last.BankAccountNumber, '**********89');
    assert.equal(pay.last.Required, '');
  });

  it('ach-debit: the account number ends by itself at 17 digits', () => {
    const pay = new PaySession(achSettings());
    const events = pay.enter('bank-account-number', '12345678901234567');
    assert.equal(events.length, 18);
    assert.equal(pay.last.BankAccountNumber, '***************67');
  });
});

describe('a card number typed into a field shown in clear', () => {
  // The agent asked for the postal code (or the expiry, or the routing number) and the caller typed the card.
  const CARD = MASTERCARD;

  it('postal code: refused at the 11th digit, no digit of it shown at any point', () => {
    const pay = new PaySession();
    const events = pay.enter('postal-code', `${CARD}#`);
    assert.equal(events.length, 12, 'eleven partials, then the refusal; the rest of the card reaches no field');
    assert.equal(pay.last.PartialResult, 'false');
    assert.equal(pay.last.ErrorType, 'invalid-postal-code');
    assert.equal(pay.session.values['postal-code'], undefined);
    for (const event of events) assert.doesNotMatch(event.params.PaymentCardPostalCode ?? '', /\d/);
    assert.equal(pay.session.capture, null);
  });

  it('postal code: up to 10 digits are a postal code, ended by # or the timeout', () => {
    const pay = new PaySession();
    pay.enter('postal-code', '1234567890');
    assert.equal(pay.last.PartialResult, 'true', 'it waits for # even at its longest');
    pay.press('#');
    assert.equal(pay.last.PaymentCardPostalCode, '1234567890');
    pay.enter('postal-code', '94105');
    pay.wait(RULES.firstDigitTimeoutSeconds);
    assert.equal(pay.last.PaymentCardPostalCode, '94105');
  });

  it('routing number: refused at the 10th digit, masked while typed', () => {
    const pay = new PaySession(achSettings());
    const events = pay.enter('bank-routing-number', `${CARD}#`);
    assert.equal(events.length, 11);
    assert.equal(pay.last.ErrorType, 'invalid-bank-routing-number');
    for (const event of events) assert.doesNotMatch(event.params.BankRoutingNumber ?? '', /\d/);
  });

  it('expiry: ends at 4 digits as ever, masked while typed, and a card prefix is never a valid month', () => {
    const pay = new PaySession();
    const events = pay.enter('expiration-date', `${CARD}#`);
    assert.equal(events.length, 5);
    assert.equal(pay.last.ErrorType, 'invalid-date');
    for (const event of events) assert.doesNotMatch(event.params.ExpirationDate ?? '', /\d/);
  });
});

describe('what the callbacks never carry', () => {
  it('no event holds a card number, a security code digit or a bank account number', () => {
    const card = new PaySession(cardSettings({ requireMatchingInputs: ['payment-card-number', 'security-code'] }));
    card.enter('payment-card-number', `${VISA}#`);
    card.enter('payment-card-number-matcher', `${VISA}#`);
    card.enter('security-code', '987');
    card.enter('security-code-matcher', '987');
    const ach = new PaySession(achSettings());
    ach.enter('bank-account-number', `${ACCOUNT}#`);
    const partialCardMasks = card.events.filter((e) => e.params.PartialResult === 'true').map((e) => e.params.PaymentCardNumber);
    for (const mask of partialCardMasks) if (mask !== undefined) assert.doesNotMatch(mask, /\d/);
    const everything = JSON.stringify([...card.events, ...ach.events]);
    assert.doesNotMatch(everything, /424242/);
    assert.doesNotMatch(everything, /987/);
    assert.doesNotMatch(everything, /12345/);
  });
});
