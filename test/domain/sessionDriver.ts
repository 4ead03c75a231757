/**
 * Drives one pay session through `decide` with a fake clock, the way the adapters will: agent requests,
 * caller keys, deadlines fired at `nextDeadline`, and the gateway's answer. Keeps every event emitted.
 */
import assert from 'node:assert/strict';
import { decide, nextDeadline, openSession } from '../../src/domain/session.js';
import type { PaytoneError } from '../../src/domain/errors.js';
import type {
  CaptureName,
  Effects,
  FieldAsked,
  GatewayOutcome,
  GatewayRequest,
  PaymentSettings,
  Session,
  SessionEvent,
  SessionInput,
  SessionRules,
} from '../../src/domain/types.js';

/** 2025-06-15 12:00:00 UTC: cards expiring 0625 are still valid, 0525 are not. */
export const START = Date.UTC(2025, 5, 15, 12, 0, 0);
export const RULES: SessionRules = { firstDigitTimeoutSeconds: 10 };
export const CALLBACK = 'https://app.example/pay-status';

export const VISA = '4242424242424242';
export const MASTERCARD = '5555555555554444';
export const AMEX = '378282246310005';
export const DISCOVER = '6011111111111117';
export const ROUTING = '110000000';
export const ACCOUNT = '000123456789';

export function cardSettings(overrides: Partial<PaymentSettings> = {}): PaymentSettings {
  return {
    paymentMethod: 'credit-card',
    bankAccountType: null,
    chargeAmount: '12.50',
    currency: 'USD',
    description: 'Order 1001',
    input: 'dtmf',
    minPostalCodeLength: 0,
    parameter: null,
    paymentConnector: 'Default',
    postalCode: true,
    securityCode: true,
    timeoutSeconds: 5,
    tokenType: 'reusable',
    validCardTypes: ['visa', 'mastercard', 'amex'],
    requireMatchingInputs: [],
    confirmation: false,
    ...overrides,
  };
}

export function achSettings(overrides: Partial<PaymentSettings> = {}): PaymentSettings {
  return cardSettings({ paymentMethod: 'ach-debit', bankAccountType: 'consumer-savings', postalCode: false, securityCode: false, ...overrides });
}

export class PaySession {
  session: Session;
  now = START;
  readonly events: SessionEvent[] = [];
  readonly gatewayRequests: GatewayRequest[] = [];
  /** The fields asked for, as the live feed is told. */
  readonly asked: FieldAsked[] = [];

  constructor(settings: PaymentSettings = cardSettings()) {
    const opened = openSession({ sid: 'PK00000000000000000000000000000001', accountSid: 'AC00000000000000000000000000000001', callSid: 'CA00000000000000000000000000000001', settings, callbackUrl: CALLBACK, now: this.now });
    this.session = opened.session;
    this.record(opened.effects);
  }

  /** Applies one input that must be accepted; returns the events it emitted. */
  apply(input: SessionInput): SessionEvent[] {
    const result = decide(this.session, input, this.now, RULES);
    if (!result.ok) assert.fail(`refused ${input.kind}: ${result.error.message}`);
    this.session = result.value.session;
    return this.record(result.value.effects);
  }

  /** Applies one input that must be refused; checks the session did not change. */
  refuse(input: SessionInput): PaytoneError {
    const before = structuredClone(this.session);
    const result = decide(this.session, input, this.now, RULES);
    assert.equal(result.ok, false, `${input.kind} was accepted`);
    assert.deepEqual(this.session, before);
    if (result.ok) throw new Error('unreachable');
    return result.error;
  }

  capture(name: CaptureName, callbackUrl = CALLBACK): SessionEvent[] {
    return this.apply({ kind: 'capture', name, callbackUrl });
  }

  complete(callbackUrl = CALLBACK): SessionEvent[] {
    return this.apply({ kind: 'complete', callbackUrl });
  }

  cancel(callbackUrl = CALLBACK): SessionEvent[] {
    return this.apply({ kind: 'cancel', callbackUrl });
  }

  /** The caller presses keys, one second apart (well within any Timeout used here). */
  press(keys: string, secondsApart = 1): SessionEvent[] {
    return [...keys].flatMap((digit, i) => {
      if (i > 0) this.now += secondsApart * 1000;
      return this.apply({ kind: 'keys', keys: digit });
    });
  }

  /** Requests a field and types it. */
  enter(name: CaptureName, keys: string): SessionEvent[] {
    return [...this.capture(name), ...this.press(keys)];
  }

  /** Moves the clock on, firing the session's deadline if it falls due, as the timer adapter does. */
  wait(seconds: number): SessionEvent[] {
    this.now += seconds * 1000;
    const due = nextDeadline(this.session);
    return due !== null && due <= this.now ? this.apply({ kind: 'deadline' }) : [];
  }

  hangup(): SessionEvent[] {
    return this.apply({ kind: 'hangup' });
  }

  answer(outcome: GatewayOutcome): SessionEvent[] {
    return this.apply({ kind: 'gateway-answer', outcome });
  }

  /** The params of the last event emitted. */
  get last(): Record<string, string> {
    const event = this.events.at(-1);
    assert.ok(event, 'no event emitted');
    return event.params;
  }

  private record(effects: Effects): SessionEvent[] {
    this.events.push(...effects.events);
    if (effects.gateway) this.gatewayRequests.push(effects.gateway);
    if (effects.asked) this.asked.push(effects.asked);
    return effects.events;
  }
}

/** A card session with every field captured and valid. */
export function readyCardSession(settings: PaymentSettings = cardSettings(), card = VISA): PaySession {
  const pay = new PaySession(settings);
  pay.enter('payment-card-number', `${card}#`);
  pay.enter('expiration-date', '1230');
  if (settings.securityCode) pay.enter('security-code', card === AMEX ? '1234' : '123');
  if (settings.postalCode) pay.enter('postal-code', '94105#');
  return pay;
}

export const SUCCESS: GatewayOutcome = { ok: true, confirmationCode: 'ch_123', token: null, profileId: null };
export const DECLINED: GatewayOutcome = { ok: false, payErrorCode: 64012, paymentError: 'Your card was declined.', connectorError: 'card_declined' };
