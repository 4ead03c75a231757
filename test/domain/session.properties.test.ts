/**
 * Property-based tests of the capture engine: random agent requests, keypresses (sensible and absurd),
 * timer firings, hang-ups and gateway answers, applied to sessions with random settings. Whatever the
 * sequence, `decide` never throws and these hold after every step:
 * - a refused request leaves the session exactly as it was, with a Twilio error code;
 * - `Required` on a field's closing callback lists exactly the fields without an accepted value;
 * - every accepted value is one its field rule accepts (a matcher equals its field);
 * - masks never show more than allowed: a card number its last 4 digits, a bank account its last 2, and
 *   neither any digit while typing; a security code no digit ever;
 * - events are numbered 1, 2, 3 ... and nothing is emitted after the final one;
 * - a session asks its connector at most once;
 * - a finished session holds no secret and never changes again.
 * And keys that reach a session together change it exactly as the same keys pressed one after the other.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decide, isFinal, nextDeadline, openSession, requiredFields } from '../../src/domain/session.js';
import { ERROR_REGISTRY, PaytoneError } from '../../src/domain/errors.js';
import { fieldRule, requestedFields, isMatcher, baseField } from '../../src/domain/fieldRules.js';
import { CAPTURE_NAMES, CARD_FIELDS, CARD_TYPES } from '../../src/domain/types.js';
import type { CaptureName, CardField, GatewayOutcome, PaymentSettings, Session, SessionEvent, SessionInput } from '../../src/domain/types.js';
import { ACCOUNT, AMEX, CALLBACK, DISCOVER, MASTERCARD, ROUTING, RULES, START, VISA, cardSettings, achSettings } from './sessionDriver.js';

const RUNS = Number(process.env.PAYTONE_PROPERTY_RUNS ?? 300);

/** Keys a caller (or a broken adapter) might send: the keypad, and things that are not keys at all. */
const keyArb = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...'0123456789') },
  { weight: 2, arbitrary: fc.constantFrom('#', '*') },
  { weight: 1, arbitrary: fc.constantFrom('', 'w', 'A', '12', ' ', '\u0000', '٣', '4#', '-1') },
);

/** What a caller types for a field: real values of every kind, near misses, and noise. */
const entryArb = fc.oneof(
  fc.constantFrom(VISA, MASTERCARD, AMEX, DISCOVER, '4000000000000002', '4242424242424241', '1230', '0125', '1399', '123', '7373', '12', '94107', ROUTING, '110000001', ACCOUNT, '000123456789012345'),
  fc.stringMatching(/^[0-9]{0,20}$/),
).chain((digits) => fc.constantFrom(digits, `${digits}#`, `${digits.slice(0, -1)}*`));

const outcomeArb: fc.Arbitrary<GatewayOutcome> = fc.oneof(
  fc.record({ ok: fc.constant(true as const), confirmationCode: fc.option(fc.constant('ch_test')), token: fc.option(fc.constant('tok_test')), profileId: fc.option(fc.constant('cus_test')) }),
  fc.record({ ok: fc.constant(false as const), payErrorCode: fc.constant(64012), paymentError: fc.constant('declined'), connectorError: fc.constant('card_declined') }),
);

type Command =
  | { kind: 'input'; input: SessionInput }
  | { kind: 'type'; keys: string }
  | { kind: 'wait'; seconds: number }
  /** Captures every missing field with a valid entry. */
  | { kind: 'fill' };

const callbackUrlArb = fc.constantFrom(CALLBACK, 'https://other.example/pay?x=1');

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ name: fc.constantFrom(...CAPTURE_NAMES), callbackUrl: callbackUrlArb }).map((c) => ({ kind: 'input' as const, input: { kind: 'capture' as const, ...c } })) },
  { weight: 6, arbitrary: entryArb.map((keys) => ({ kind: 'type' as const, keys })) },
  { weight: 3, arbitrary: keyArb.map((digit) => ({ kind: 'input' as const, input: { kind: 'keys' as const, keys: digit } })) },
  { weight: 2, arbitrary: callbackUrlArb.map((callbackUrl) => ({ kind: 'input' as const, input: { kind: 'complete' as const, callbackUrl } })) },
  { weight: 1, arbitrary: callbackUrlArb.map((callbackUrl) => ({ kind: 'input' as const, input: { kind: 'cancel' as const, callbackUrl } })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'input' as const, input: { kind: 'deadline' as const } }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'input' as const, input: { kind: 'hangup' as const } }) },
  { weight: 2, arbitrary: outcomeArb.map((outcome) => ({ kind: 'input' as const, input: { kind: 'gateway-answer' as const, outcome } })) },
  { weight: 2, arbitrary: fc.constant({ kind: 'fill' as const }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 700 }).map((seconds) => ({ kind: 'wait' as const, seconds })) },
);

const settingsArb: fc.Arbitrary<PaymentSettings> = fc
  .record({
    ach: fc.boolean(),
    chargeAmount: fc.constantFrom(null, '12.50', '0.01'),
    postalCode: fc.boolean(),
    securityCode: fc.boolean(),
    timeoutSeconds: fc.integer({ min: 1, max: 600 }),
    minPostalCodeLength: fc.integer({ min: 0, max: 10 }),
    validCardTypes: fc.subarray([...CARD_TYPES], { minLength: 1 }),
    matching: fc.subarray([...CARD_FIELDS]),
    confirmation: fc.boolean(),
  })
  .map((r) => {
    if (r.ach) return achSettings({ chargeAmount: r.chargeAmount, timeoutSeconds: r.timeoutSeconds, confirmation: r.confirmation });
    const matching = r.matching.filter((f: CardField) => (f !== 'security-code' || r.securityCode) && (f !== 'postal-code' || r.postalCode));
    return cardSettings({
      chargeAmount: r.chargeAmount,
      postalCode: r.postalCode,
      securityCode: r.securityCode,
      timeoutSeconds: r.timeoutSeconds,
      minPostalCodeLength: r.minPostalCodeLength,
      validCardTypes: r.validCardTypes,
      requireMatchingInputs: matching,
      confirmation: r.confirmation,
    });
  });

/** Digits shown in a masked value. */
const digitCount = (text: string): number => (text.match(/[0-9]/g) ?? []).length;

interface Run {
  session: Session;
  now: number;
  events: SessionEvent[];
  gatewayRequests: number;
  /** Every card or bank account number the session accepted, to search the events for. */
  secrets: Set<string>;
}

function checkEvent(run: Run, event: SessionEvent): void {
  const p = event.params;
  const partial = p.PartialResult === 'true';
  if (p.PaymentCardNumber !== undefined) {
    assert.ok(digitCount(p.PaymentCardNumber) <= (partial ? 0 : 4), `card number mask shows too much: ${p.PaymentCardNumber}`);
  }
  if (p.BankAccountNumber !== undefined) {
    assert.ok(digitCount(p.BankAccountNumber) <= (partial ? 0 : 2), `bank account mask shows too much: ${p.BankAccountNumber}`);
  }
  if (p.SecurityCode !== undefined) assert.equal(digitCount(p.SecurityCode), 0, `security code shows a digit: ${p.SecurityCode}`);
  // Fields shown in clear by design may hold the same digits by coincidence (a routing number typed as an account).
  const { ExpirationDate: _e, PaymentCardPostalCode: _p, BankRoutingNumber: _r, ...rest } = p;
  const text = JSON.stringify(rest);
  for (const secret of run.secrets) assert.ok(!text.includes(secret), `event ${event.seq} carries a typed secret`);
}

/** The invariants that hold between any two steps. */
function checkSession(run: Run, before: Session, emitted: SessionEvent[]): void {
  const s = run.session;
  const requested = requestedFields(s.settings);
  for (const [name, value] of Object.entries(s.values)) {
    const capture = name as (typeof CAPTURE_NAMES)[number];
    assert.ok(requested.includes(capture), `value kept for ${name}, which the session does not ask for`);
    if (isMatcher(capture)) assert.equal(value, s.values[baseField(capture)], `${name} differs from its field`);
    // A security code is checked against the card it was typed for; a card number typed again decides whether it stays.
    else if (capture === 'security-code' && s.cardType === null) assert.match(value!, /^\d{3,4}$/);
    else assert.equal(fieldRule(capture).validate(value!, { settings: s.settings, values: s.values, cardType: s.cardType, now: s.dateUpdated }), null, `${name} holds a value its rule refuses`);
  }
  const closing = emitted.filter((e) => e.kind === 'capture' && e.params.PartialResult === 'false').at(-1);
  if (closing && emitted.at(-1) === closing) {
    assert.equal(closing.params.Required, requiredFields(s).join(','), 'Required names exactly the fields still missing');
  }
  for (const [i, event] of emitted.entries()) {
    assert.equal(event.seq, before.eventCount + i + 1, 'events are numbered without gaps');
    checkEvent(run, event);
  }
  assert.equal(s.eventCount, before.eventCount + emitted.length);
  if (isFinal(before)) {
    assert.deepEqual(s, before, 'a finished session never changes');
    assert.equal(emitted.length, 0, 'a finished session says nothing more');
  }
  if (isFinal(s)) {
    assert.deepEqual(s.values, {}, 'a finished session holds no secret');
    assert.equal(s.capture, null);
    assert.equal(s.confirmationDeadline, null);
    assert.notEqual(s.outcome, null);
  }
  if (s.capture) assert.ok(requested.includes(s.capture.name) || isMatcher(s.capture.name), 'the field being typed is one the session asks for');
}

function apply(run: Run, input: SessionInput): void {
  const before = structuredClone(run.session);
  let decision: ReturnType<typeof decide>;
  try {
    decision = decide(run.session, input, run.now, RULES);
  } catch (err) {
    assert.fail(`decide threw on ${JSON.stringify(input)}: ${(err as Error).stack}`);
  }
  assert.deepEqual(run.session, before, 'decide never mutates the session it was given');
  if (!decision.ok) {
    assert.ok(decision.error instanceof PaytoneError);
    assert.ok(decision.error.code in ERROR_REGISTRY);
    assert.ok(['capture', 'complete', 'cancel'].includes(input.kind), `${input.kind} was refused; only agent requests may be`);
    return;
  }
  const { session, effects } = decision.value;
  if (effects.gateway) {
    run.gatewayRequests += 1;
    assert.equal(run.gatewayRequests, 1, 'a session asks its connector once');
    assert.equal(effects.gateway.transactionId, session.sid);
  }
  run.session = session;
  // Accepted card and bank account numbers; shorter secrets are covered by the digit counts of the masks.
  for (const secret of [session.values['payment-card-number'], session.values['bank-account-number']]) {
    if (secret !== undefined && secret.length >= 8) run.secrets.add(secret);
  }
  run.events.push(...effects.events);
  checkSession(run, before, effects.events);
}

function press(run: Run, keys: string): void {
  for (const key of keys) {
    run.now += 1000;
    apply(run, { kind: 'keys', keys: key });
  }
}

function startRun(settings: PaymentSettings): Run {
  const opened = openSession({ sid: 'PK' + 'ab'.repeat(16), accountSid: 'AC' + '01'.repeat(16), callSid: 'CA' + 'cd'.repeat(16), settings, callbackUrl: CALLBACK, now: START });
  return { session: opened.session, now: START, events: [...opened.effects.events], gatewayRequests: 0, secrets: new Set() };
}

/** A valid entry for each field, so that random runs also reach the gateway and its answers. */
function validEntry(session: Session, name: CaptureName): string {
  const { settings } = session;
  const card = settings.validCardTypes.includes('amex') ? AMEX : settings.validCardTypes.includes('mastercard') ? MASTERCARD : settings.validCardTypes.includes('discover') ? DISCOVER : VISA;
  switch (baseField(name)) {
    case 'payment-card-number':
      return isMatcher(name) ? (session.values['payment-card-number'] ?? card) : card;
    case 'expiration-date':
      return '1230';
    case 'security-code':
      return session.cardType === 'amex' ? '7373' : '737';
    case 'postal-code':
      return '9410712345'.slice(0, Math.max(5, settings.minPostalCodeLength));
    case 'bank-routing-number':
      return ROUTING;
    case 'bank-account-number':
      return ACCOUNT;
  }
}

function execute(run: Run, command: Command): void {
  if (command.kind === 'type') return press(run, command.keys);
  if (command.kind === 'fill') {
    for (const name of requiredFields(run.session)) {
      if (run.session.status !== 'in-progress') return;
      apply(run, { kind: 'capture', name, callbackUrl: CALLBACK });
      press(run, `${validEntry(run.session, name)}#`);
    }
    return;
  }
  if (command.kind === 'wait') {
    run.now += command.seconds * 1000;
    const due = nextDeadline(run.session);
    if (due !== null && due <= run.now) apply(run, { kind: 'deadline' });
    return;
  }
  apply(run, command.input);
}

describe('capture engine properties', () => {
  it('keeps every invariant under random agent requests, keys, timers, hang-ups and gateway answers', () => {
    fc.assert(
      fc.property(settingsArb, fc.array(commandArb, { maxLength: 60 }), (settings, commands) => {
        const run = startRun(settings);
        for (const command of commands) execute(run, command);
        const ended = run.events.filter((e) => e.kind === 'ended');
        assert.ok(ended.length <= 1, 'at most one final callback');
        if (ended.length === 1) assert.equal(run.events.at(-1)!.kind, 'ended', 'the final callback is the last one');
        assert.equal(ended.length === 1, isFinal(run.session));
      }),
      { numRuns: RUNS, includeErrorInReport: true },
    );
  });

  it('reaches every ending: the generator is not stuck in one corner', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(settingsArb, fc.array(commandArb, { maxLength: 60 }), (settings, commands) => {
        const run = startRun(settings);
        for (const command of commands) execute(run, command);
        seen.add(`${run.session.status}:${run.session.outcome?.result ?? ''}`);
        for (const e of run.events) if (e.params.ErrorType) seen.add(e.params.ErrorType);
      }),
      { numRuns: RUNS, seed: 7, includeErrorInReport: true },
    );
    for (const expected of ['completed:success', 'failed:payment-connector-error', 'awaiting-confirmation:', 'completing:', 'canceled:caller-interrupted-with-star', 'canceled:caller-hung-up', 'canceled:', 'in-progress:', 'input-timeout', 'invalid-card-type', 'input-matching-failed']) {
      assert.ok(seen.has(expected), `random runs reached ${expected}; reached ${[...seen].join(', ')}`);
    }
  });

  it('applies keys that arrive together exactly as the same keys pressed one after the other', () => {
    const together = fc.stringMatching(/^[0-9#*]{0,24}$/);
    fc.assert(
      fc.property(settingsArb, fc.array(commandArb, { maxLength: 40 }), together, (settings, commands, keys) => {
        const run = startRun(settings);
        for (const command of commands) execute(run, command);
        const now = run.now + 500;
        const atOnce = decide(run.session, { kind: 'keys', keys }, now, RULES);
        let session = run.session;
        const events: SessionEvent[] = [];
        let gateway: unknown = null;
        for (const key of keys) {
          const one = decide(session, { kind: 'keys', keys: key }, now, RULES);
          assert.ok(one.ok, 'a key is never refused');
          session = one.value.session;
          events.push(...one.value.effects.events);
          gateway = one.value.effects.gateway ?? gateway;
        }
        assert.ok(atOnce.ok, 'keys are never refused');
        assert.deepEqual(atOnce.value.session, session);
        assert.deepEqual(atOnce.value.effects.events, events);
        assert.deepEqual(atOnce.value.effects.gateway, gateway);
      }),
      { numRuns: RUNS, includeErrorInReport: true },
    );
  });
});
