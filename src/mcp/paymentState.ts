/**
 * A pay session as an AI agent reads it: what is captured (masked exactly as the callbacks mask it), what is still
 * required, the field being typed, the last thing that went wrong in words the agent can say to the caller, the
 * outcome, and the one step that comes next. Never a digit beyond the callbacks' masks: the values come from
 * `sessionView`, the errors from the session's own (masked) capture callbacks.
 *
 * @example
 *   paymentState(session, events).last_error // { field: 'payment-card-number', error_type: 'invalid-card-number', say: 'The card number was not valid.' }
 */
import { sessionView } from '../domain/sessionView.js';
import { isFinal } from '../domain/session.js';
import type { CaptureName, ErrorType, PayResult, Session } from '../domain/types.js';

/** What the state reads of a session's callbacks: their kind and masked parameters. */
export interface CallbackRecord {
  kind: string;
  params: Record<string, string>;
}

export interface LastError {
  /** The field it concerns, or null for the outcome of the whole session. */
  field: string | null;
  /** Twilio's ErrorType of the capture callback, or the session's Result. */
  error_type: string;
  /** A sentence the agent may read to the caller. */
  say: string;
}

/** The view's keys for each capture, as sessionView names them. */
const SHOWN_AS: ReadonlyArray<[CaptureName, string]> = [
  ['payment-card-number', 'payment_card_number'],
  ['expiration-date', 'expiration_date'],
  ['security-code', 'security_code'],
  ['postal-code', 'payment_card_postal_code'],
  ['bank-routing-number', 'bank_routing_number'],
  ['bank-account-number', 'bank_account_number'],
];

const FIELD_WORDS: Record<string, string> = {
  'payment-card-number': 'card number',
  'expiration-date': 'expiration date',
  'security-code': 'security code',
  'postal-code': 'postal code',
  'bank-routing-number': 'routing number',
  'bank-account-number': 'bank account number',
};

/** The field a capture name asks for, in words ("card number"; a matcher is the field typed again). */
export function fieldWords(name: string): string {
  const base = name.replace(/-matcher$/, '');
  const words = FIELD_WORDS[base] ?? base;
  return name.endsWith('-matcher') ? `${words} (again, to confirm it)` : words;
}

const ERROR_WORDS: Record<ErrorType, (field: string) => string> = {
  'input-timeout': (field) => `Nothing was typed for the ${fieldWords(field)} in time.`,
  'invalid-card-number': () => 'The card number was not valid.',
  'invalid-card-type': () => 'That type of card is not accepted here.',
  'invalid-date': () => 'The expiration date was not valid: it is four digits, month then year, and must not be in the past.',
  'invalid-security-code': () => 'The security code was not valid.',
  'invalid-postal-code': () => 'The postal code was not valid.',
  'invalid-bank-routing-number': () => 'The routing number was not valid.',
  'invalid-bank-account-number': () => 'The bank account number was not valid.',
  'input-matching-failed': (field) => `The ${fieldWords(field.replace(/-matcher$/, ''))} typed the second time did not match the first.`,
  'invalid-card-number-security-code-capture-sequence': () => 'The security code can only be taken after the card number.',
  'internal-error': () => 'Something went wrong on our side; the caller may try again.',
};

const RESULT_WORDS: Record<Exclude<PayResult, 'success'>, string> = {
  'payment-connector-error': 'The payment was not accepted.',
  'caller-interrupted-with-star': 'The caller pressed star to stop the payment.',
  'caller-hung-up': 'The caller hung up.',
  'validation-error': 'The payment details were not valid.',
  'internal-error': 'Something went wrong on our side; the payment was not taken.',
};

function lastError(session: Session, callbacks: readonly CallbackRecord[]): LastError | null {
  const result = session.outcome?.result ?? null;
  if (isFinal(session)) {
    if (result === null || result === 'success') return null;
    // The gateway's own sentence ("Your card was declined.") is the one to read out.
    return { field: null, error_type: result, say: session.outcome?.paymentError ?? RESULT_WORDS[result] };
  }
  for (let i = callbacks.length - 1; i >= 0; i--) {
    const { kind, params } = callbacks[i]!;
    if (kind !== 'capture' || params.PartialResult !== 'false') continue;
    const errorType = params.ErrorType as ErrorType | undefined;
    if (errorType === undefined) return null;
    const field = params.Capture ?? '';
    return { field, error_type: errorType, say: (ERROR_WORDS[errorType] ?? (() => 'That entry was not valid.'))(field) };
  }
  return null;
}

function nextStep(session: Session, required: readonly string[]): string {
  switch (session.status) {
    case 'in-progress':
      if (session.capture) return `wait_for_update: the caller is typing the ${fieldWords(session.capture.name)}`;
      if (required.length > 0) return `ask_caller for ${required[0]} (${fieldWords(required[0]!)})`;
      return 'complete_payment: everything required is captured';
    case 'awaiting-confirmation':
      return 'wait_for_update: the caller is asked to press 1 to confirm or 2 to cancel';
    case 'completing':
      return 'wait_for_update: the payment is being processed';
    default:
      return session.outcome?.result === 'success' ? 'none: the payment is done' : 'none: the session has ended; start_payment again if the caller wants to retry';
  }
}

/**
 * The session as the tools and the resource return it.
 *
 * @example
 *   paymentState(session, []).next_step // 'ask_caller for payment-card-number (card number)'
 */
export function paymentState(session: Session, callbacks: readonly CallbackRecord[]): Record<string, unknown> {
  const view = sessionView(session);
  const required = view.required as string[];
  const captured: Record<string, string> = {};
  for (const [name, key] of SHOWN_AS) {
    const shown = view[key];
    if (typeof shown === 'string') captured[name] = shown;
  }
  return {
    payment_sid: session.sid,
    call_sid: session.callSid,
    status: session.status,
    payment_method: view.payment_method,
    action: view.charge_amount === null ? 'tokenize' : 'charge',
    charge_amount: view.charge_amount,
    currency: view.currency,
    token_type: view.token_type,
    connector: view.payment_connector,
    asking_for: view.capture,
    required,
    captured,
    card_type: view.payment_card_type,
    last_error: lastError(session, callbacks),
    result: view.result,
    payment_confirmation_code: view.payment_confirmation_code,
    payment_token: view.payment_token,
    payment_error: view.payment_error,
    pay_error_code: view.pay_error_code,
    event_count: session.eventCount,
    next_step: nextStep(session, required),
  };
}
