/**
 * The pay session state machine: `(session, input, now) -> (session', effects)`, with no I/O.
 *
 * Agent inputs (capture, complete, cancel) may be refused with a PaytoneError and then change nothing.
 * Caller and adapter inputs (keys, deadlines, hang-up, the gateway's answer) are never refused: when they
 * do not apply they are ignored. Every transition into a final status erases the session's secrets.
 *
 * @example
 *   const { session } = openSession({ sid, accountSid, callSid, settings, callbackUrl, now });
 *   const step = decide(session, { kind: 'capture', name: 'payment-card-number', callbackUrl }, now, rules);
 *   if (!step.ok) throw step.error;
 */
import { detectCardType, securityCodeLength } from './cards.js';
import { PaytoneError, payError, type Decision } from './errors.js';
import { baseField, expectedDigits, fieldRule, isMatcher, matcherOf, requestedFields, type FieldContext } from './fieldRules.js';
import { maskedCaptureParams, maskedValues } from './masking.js';
import { gatewayRequestFor } from './gatewayRequest.js';
import { emit, outcomeParams, type EventLog } from './sessionEvents.js';
import { BANK_FIELDS, CARD_FIELDS, FINAL_STATUSES } from './types.js';
import type {
  ActiveCapture,
  CaptureName,
  Effects,
  ErrorType,
  FieldAsked,
  GatewayOutcome,
  GatewayRequest,
  PaymentSettings,
  PayResult,
  Session,
  SessionInput,
  SessionOutcome,
  SessionRules,
  SessionStatus,
} from './types.js';

/** One input being applied. */
interface Step extends EventLog {
  rules: SessionRules;
  gateway: GatewayRequest | null;
  asked: FieldAsked | null;
}

/** A refusal, an input that did not apply, or a change to the step's session. */
type Handled = PaytoneError | 'ignored' | 'changed';

const NO_OUTCOME: SessionOutcome = {
  result: null,
  paymentConfirmationCode: null,
  paymentToken: null,
  profileId: null,
  paymentError: null,
  payErrorCode: null,
  connectorError: null,
};


/**
 * Starts a pay session: `in-progress`, operation 0, and the `started` event.
 *
 * @example
 *   const { session, effects } = openSession({ sid: 'PK...', accountSid: 'AC...', callSid: 'CA...', settings,
 *     callbackUrl: 'https://app.example/pay', now: Date.now() });
 */
export function openSession(a: {
  sid: string;
  accountSid: string;
  callSid: string;
  settings: PaymentSettings;
  callbackUrl: string;
  now: number;
}): { session: Session; effects: Effects } {
  const session: Session = {
    sid: a.sid,
    accountSid: a.accountSid,
    callSid: a.callSid,
    dateCreated: a.now,
    dateUpdated: a.now,
    settings: a.settings,
    status: 'in-progress',
    callbackUrl: a.callbackUrl,
    capture: null,
    values: {},
    cardType: null,
    maskedSummary: null,
    operation: 0,
    confirmationDeadline: null,
    transactionId: null,
    outcome: null,
    eventCount: 0,
  };
  const log: EventLog = { session, now: a.now, events: [] };
  emit(log, 'started', {});
  return { session, effects: { events: log.events, gateway: null, asked: null } };
}

/**
 * Applies one input. Never mutates `session`; on success returns a new session and its effects.
 *
 * @example
 *   const step = decide(session, { kind: 'keys', keys: '4' }, now, { firstDigitTimeoutSeconds: 10 });
 *   if (step.ok) deliver(step.value.effects.events);
 */
export function decide(
  session: Session,
  input: SessionInput,
  now: number,
  rules: SessionRules,
): Decision<{ session: Session; effects: Effects }> {
  const step: Step = { session: draft(session), now, rules, events: [], gateway: null, asked: null };
  const handled = handle(step, input);
  if (handled instanceof PaytoneError) return { ok: false, error: handled };
  if (handled === 'changed') step.session.dateUpdated = now;
  return { ok: true, value: { session: step.session, effects: { events: step.events, gateway: step.gateway, asked: step.asked } } };
}

/**
 * The copy `decide` changes: the rules change the session's own fields, the active capture and the values, and only
 * ever replace settings and outcome whole, so those two are shared with the session given (a deep copy on every
 * keypress cost about as much as the rest of the decision).
 */
function draft(session: Session): Session {
  return { ...session, capture: session.capture && { ...session.capture }, values: { ...session.values } };
}

/**
 * When the adapter must send a `deadline` input: the end of the active capture or of the confirmation wait.
 *
 * @example
 *   const at = nextDeadline(session); // null: no timer
 */
export function nextDeadline(session: Session): number | null {
  return session.capture?.deadline ?? session.confirmationDeadline;
}

/**
 * The captures still missing, in `Required` order.
 *
 * @example
 *   requiredFields(session).join(','); // 'expiration-date,security-code'
 */
export function requiredFields(session: Session): CaptureName[] {
  return requestedFields(session.settings).filter((name) => session.values[name] === undefined);
}

export function isFinal(session: Session): boolean {
  return FINAL_STATUSES.includes(session.status);
}

/**
 * Idempotent replay check: is the operation a stored request started still the current one?
 * A create is current until the session ends; a capture while the field it started is still being typed;
 * a complete or cancel until another request has been accepted (it never is once the session ends).
 *
 * @example
 *   if (isOperationCurrent(session, { kind: 'status', operation: stored.operation })) return stored.response;
 */
export function isOperationCurrent(session: Session, op: { kind: 'create' | 'capture' | 'status'; operation: number }): boolean {
  switch (op.kind) {
    case 'create':
      return !isFinal(session);
    case 'capture':
      return session.operation === op.operation && session.capture?.operation === op.operation;
    case 'status':
      return session.operation === op.operation;
  }
}

function handle(step: Step, input: SessionInput): Handled {
  if (isFinal(step.session) && !isAgentInput(input)) return 'ignored';
  switch (input.kind) {
    case 'capture':
      return requestCapture(step, input.name, input.callbackUrl, input.leadingHashIgnored === true);
    case 'complete':
      return requestComplete(step, input.callbackUrl);
    case 'cancel':
      return requestCancel(step, input.callbackUrl);
    case 'keys':
      return pressKeys(step, input.keys, input.pressedAt);
    case 'deadline':
      return passDeadline(step);
    case 'hangup':
      return step.session.status === 'completing' ? 'ignored' : end(step, 'canceled', 'caller-hung-up');
    case 'gateway-answer':
      return answerFromGateway(step, input.outcome);
  }
}

function isAgentInput(input: SessionInput): boolean {
  return input.kind === 'capture' || input.kind === 'complete' || input.kind === 'cancel';
}

function hasEnded(session: Session): PaytoneError {
  return payError(64021, `Payment session ${session.sid} has ended (${session.status}); start a new one.`);
}

function requestCapture(step: Step, name: CaptureName, callbackUrl: string, leadingHashIgnored: boolean): Handled {
  const s = step.session;
  if (s.status !== 'in-progress') {
    return payError(64021, `Payment session ${s.sid} is ${s.status} and takes no more captures.`);
  }
  const refusal = captureRefusal(name, s.settings);
  if (refusal) return payError(64020, refusal);
  s.callbackUrl = callbackUrl;
  s.operation += 1;
  // A new capture replaces the one in progress; the digits typed for it are dropped unseen.
  s.capture = null;
  if (baseField(name) === 'security-code' && s.values['payment-card-number'] === undefined) {
    emit(step, 'capture', {
      Capture: name,
      PartialResult: 'false',
      Required: requiredFields(s).join(','),
      ErrorType: 'invalid-card-number-security-code-capture-sequence',
    });
    return 'changed';
  }
  // The first digit never gets less time than the ones after it.
  const firstDigitSeconds = Math.max(step.rules.firstDigitTimeoutSeconds, s.settings.timeoutSeconds);
  s.capture = { name, digits: '', startedAt: step.now, deadline: step.now + firstDigitSeconds * 1000, operation: s.operation, ...(leadingHashIgnored ? { leadingHashIgnored } : {}) };
  step.asked = {
    at: step.now,
    params: {
      Capture: name,
      ExpectedDigits: expectedDigits(name, fieldContext(step)),
      // Seconds for the first digit, then for each next one; `#` ends the entry.
      FirstDigitTimeout: String(firstDigitSeconds),
      Timeout: String(s.settings.timeoutSeconds),
    },
  };
  return 'changed';
}

/** Why this session cannot capture `name`, as a message naming the parameter, or null when it can. */
function captureRefusal(name: CaptureName, settings: PaymentSettings): string | null {
  const field = baseField(name);
  const isBankField = BANK_FIELDS.some((bankField) => bankField === field);
  if (isBankField !== (settings.paymentMethod === 'ach-debit')) {
    const allowed = settings.paymentMethod === 'ach-debit' ? BANK_FIELDS : CARD_FIELDS;
    return `Capture=${name} is not available with PaymentMethod=${settings.paymentMethod}; use one of ${allowed.join(', ')}.`;
  }
  if (field === 'security-code' && !settings.securityCode) {
    return `Capture=${name} is not available: the session was started with SecurityCode=false.`;
  }
  if (field === 'postal-code' && !settings.postalCode) {
    return `Capture=${name} is not available: the session was started with PostalCode=false.`;
  }
  if (isMatcher(name) && !settings.requireMatchingInputs.some((matched) => matched === field)) {
    return `Capture=${name} is not available: RequireMatchingInputs does not include ${field}.`;
  }
  return null;
}

/**
 * Keys that arrived together act exactly as if pressed one after the other: each sees the session the keys before
 * it left (a `#` ends the field, the digits after it find none), and once the session ends the rest are ignored.
 * Each key is judged at the time it was pressed: a deadline that had passed by then ends the field (or the
 * confirmation wait) first, as it would have had the key arrived at once; one that had not is no reason to drop it.
 */
function pressKeys(step: Step, keys: string, pressedAt: readonly number[] | undefined): Handled {
  let handled: Handled = 'ignored';
  for (let i = 0; i < keys.length; i++) {
    if (isFinal(step.session)) break;
    const at = pressedAt?.[i] ?? step.now;
    if (expiredBefore(step, at) === 'changed') handled = 'changed';
    if (isFinal(step.session)) break;
    const result = pressKey(step, keys[i]!, at);
    if (result instanceof PaytoneError) return result;
    if (result === 'changed') handled = 'changed';
  }
  return handled;
}

function pressKey(step: Step, key: string, at: number): Handled {
  const s = step.session;
  // The gateway may already be charging: only its answer may end a completing session.
  if (key === '*') return s.status === 'completing' ? 'ignored' : end(step, 'canceled', 'caller-interrupted-with-star');
  if (s.status === 'awaiting-confirmation') {
    if (key === '1') return startCompleting(step);
    if (key === '2') return end(step, 'canceled', null);
    return 'ignored';
  }
  if (!s.capture) return 'ignored';
  if (key === '#') return s.capture.digits === '' && s.capture.leadingHashIgnored === true ? 'ignored' : endField(step, s.capture);
  if (!/^[0-9]$/.test(key)) return 'ignored';
  return typeDigit(step, s.capture, key, at);
}

function typeDigit(step: Step, capture: ActiveCapture, digit: string, at: number): Handled {
  const s = step.session;
  capture.digits += digit;
  // From the key, never from before the field began (a key queued before the agent asked for the field).
  capture.deadline = Math.max(at, capture.startedAt) + s.settings.timeoutSeconds * 1000;
  const typedCardType = baseField(capture.name) === 'payment-card-number' ? detectCardType(capture.digits) : null;
  emit(step, 'capture', {
    Capture: capture.name,
    PartialResult: 'true',
    Required: requiredFields(s).join(','),
    ...maskedCaptureParams(capture.name, capture.digits, typedCardType, true),
  });
  const rule = fieldRule(capture.name);
  const longest = rule.maxLength(capture.digits, fieldContext(step));
  if (capture.digits.length > longest || (rule.endsAtLongest && capture.digits.length === longest)) return endField(step, capture);
  return 'changed';
}

function passDeadline(step: Step): Handled {
  const s = step.session;
  if (s.capture && step.now >= s.capture.deadline) {
    return s.capture.digits === '' ? finishField(step, s.capture, 'input-timeout') : endField(step, s.capture);
  }
  // A caller who does not confirm in time has not agreed to pay.
  if (s.confirmationDeadline !== null && step.now >= s.confirmationDeadline) return end(step, 'canceled', null);
  return 'ignored';
}

/** A key pressed at `at` comes after any deadline that had passed by then: that deadline acts first. */
function expiredBefore(step: Step, at: number): Handled {
  const deadline = nextDeadline(step.session);
  return deadline !== null && at > deadline ? passDeadline(step) : 'ignored';
}

function endField(step: Step, capture: ActiveCapture): Handled {
  return finishField(step, capture, fieldRule(capture.name).validate(capture.digits, fieldContext(step)));
}

/** Ends the active capture: keeps the value when valid, drops it otherwise, and reports the field. */
function finishField(step: Step, capture: ActiveCapture, error: ErrorType | null): Handled {
  const s = step.session;
  s.capture = null;
  settleValue(s, capture.name, error ? null : capture.digits);
  emit(step, 'capture', {
    Capture: capture.name,
    PartialResult: 'false',
    Required: requiredFields(s).join(','),
    ...(error ? { ErrorType: error } : maskedCaptureParams(capture.name, capture.digits, s.cardType, false)),
  });
  return 'changed';
}

/** Stores or removes a field's value and drops whatever the change makes stale. */
function settleValue(s: Session, name: CaptureName, value: string | null): void {
  if (value === null) delete s.values[name];
  else s.values[name] = value;
  if (isMatcher(name)) return;
  delete s.values[matcherOf(name)];
  if (name !== 'payment-card-number') return;
  s.cardType = value === null ? null : detectCardType(value);
  const securityCode = s.values['security-code'];
  if (value !== null && securityCode !== undefined && securityCode.length !== securityCodeLength(s.cardType)) {
    delete s.values['security-code'];
    delete s.values['security-code-matcher'];
  }
}

function fieldContext(step: Step): FieldContext {
  const s = step.session;
  return { settings: s.settings, values: s.values, cardType: s.cardType, now: step.now };
}

function requestComplete(step: Step, callbackUrl: string): Handled {
  const s = step.session;
  if (isFinal(s)) return hasEnded(s);
  if (s.status !== 'in-progress') return payError(64021, `Payment session ${s.sid} is already completing.`);
  if (s.capture) {
    return payError(
      64021,
      `Payment session ${s.sid} has a capture in progress (${s.capture.name}); wait for it to end or cancel the session.`,
    );
  }
  const missing = requiredFields(s);
  if (missing.length > 0) {
    return payError(64019, `Payment information is incomplete: capture ${missing.join(', ')} before completing.`);
  }
  s.callbackUrl = callbackUrl;
  s.operation += 1;
  if (!s.settings.confirmation) return startCompleting(step);
  s.status = 'awaiting-confirmation';
  s.confirmationDeadline = step.now + step.rules.firstDigitTimeoutSeconds * 1000;
  return 'changed';
}

/** No event here: the final callback comes with the gateway's answer. */
function startCompleting(step: Step): Handled {
  const s = step.session;
  s.status = 'completing';
  s.confirmationDeadline = null;
  s.transactionId = s.sid;
  step.gateway = gatewayRequestFor(s);
  return 'changed';
}

function requestCancel(step: Step, callbackUrl: string): Handled {
  const s = step.session;
  if (isFinal(s)) return hasEnded(s);
  if (s.status === 'completing') {
    return payError(64021, `Payment session ${s.sid} is completing; the payment connector's answer decides how it ends.`);
  }
  s.callbackUrl = callbackUrl;
  s.operation += 1;
  return end(step, 'canceled', null);
}

function answerFromGateway(step: Step, answer: GatewayOutcome): Handled {
  const s = step.session;
  if (s.status !== 'completing') return 'ignored';
  if (!answer.ok) {
    return end(step, 'failed', 'payment-connector-error', {
      paymentError: answer.paymentError,
      payErrorCode: answer.payErrorCode,
      connectorError: answer.connectorError,
    });
  }
  const echoed = answer.connectorParameters === undefined ? {} : { connectorParameters: answer.connectorParameters };
  if (s.settings.chargeAmount !== null) return end(step, 'completed', 'success', { paymentConfirmationCode: answer.confirmationCode, ...echoed });
  return end(step, 'completed', 'success', { paymentToken: answer.token, profileId: answer.profileId, ...echoed });
}

/** Moves to a final status. PCI: every secret goes now; only the card type and the masked summary survive. */
function end(step: Step, status: SessionStatus, result: PayResult | null, details: Partial<SessionOutcome> = {}): Handled {
  const s = step.session;
  s.status = status;
  s.outcome = { ...NO_OUTCOME, ...details, result };
  s.maskedSummary = maskedValues(s.values, s.cardType);
  s.values = {};
  s.capture = null;
  s.confirmationDeadline = null;
  emit(step, 'ended', outcomeParams(s.outcome));
  return 'changed';
}
