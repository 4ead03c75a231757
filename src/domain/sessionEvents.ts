/**
 * What a session says to the app: each event is one status callback and one line of the event log, with the
 * fields every callback carries (DESIGN.md "Status callbacks") in front of the event's own.
 *
 * @example
 *   emit(step, 'ended', outcomeParams(session.outcome));
 */
import { formatRfc2822 } from './dates.js';
import { bankAccountType } from './gatewayRequest.js';
import type { Session, SessionEvent, SessionOutcome } from './types.js';

/** A private copy of the session being moved on, and the events it emits. */
export interface EventLog {
  session: Session;
  now: number;
  events: SessionEvent[];
}

export function outcomeParams(outcome: SessionOutcome): Record<string, string> {
  const params: Record<string, string | number | null> = {
    Result: outcome.result,
    PaymentConfirmationCode: outcome.paymentConfirmationCode,
    PaymentToken: outcome.paymentToken,
    ProfileId: outcome.profileId,
    PaymentError: outcome.paymentError,
    PayErrorCode: outcome.payErrorCode,
    ConnectorError: outcome.connectorError,
  };
  return Object.fromEntries(
    Object.entries(params).flatMap(([key, value]) => (value === null ? [] : [[key, String(value)]])),
  );
}

/** Appends the next event (seq = eventCount + 1); every event after the start carries DateUpdated. */
export function emit(step: EventLog, kind: SessionEvent['kind'], params: Record<string, string>): void {
  const s = step.session;
  s.eventCount += 1;
  step.events.push({
    seq: s.eventCount,
    kind,
    params: { ...commonParams(s), ...(kind === 'started' ? {} : { DateUpdated: formatRfc2822(step.now) }), ...params },
    url: s.callbackUrl,
    at: step.now,
  });
}

function commonParams(s: Session): Record<string, string> {
  const { settings } = s;
  return {
    AccountSid: s.accountSid,
    CallSid: s.callSid,
    Sid: s.sid,
    DateCreated: formatRfc2822(s.dateCreated),
    PaymentMethod: settings.paymentMethod,
    PaymentConnector: settings.paymentConnector,
    ...(settings.chargeAmount !== null ? { ChargeAmount: settings.chargeAmount } : { TokenType: settings.tokenType }),
    ...(settings.paymentMethod === 'ach-debit' ? { BankAccountType: bankAccountType(settings) } : {}),
  };
}

