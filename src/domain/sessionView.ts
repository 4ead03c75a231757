/**
 * The public JSON of a pay session (our GET extension), in Twilio's snake_case. Values are masked exactly
 * as the final capture callbacks show them; once the session has ended, its secrets are gone and the view shows
 * the masked summary kept at the end, so a finished session still reads as what was captured.
 * The API layer adds Twilio's six resource fields.
 */
import { maskedValues } from './masking.js';
import { isFinal, requiredFields } from './session.js';
import type { Session } from './types.js';

/**
 * @example
 *   sessionView(session).payment_card_number; // 'xxxx-xxxx-xxxx-4242'
 */
export function sessionView(session: Session): Record<string, unknown> {
  const { settings, outcome } = session;
  const shown = isFinal(session) ? (session.maskedSummary ?? {}) : maskedValues(session.values, session.cardType);
  return {
    status: session.status,
    capture: session.capture?.name ?? null,
    required: isFinal(session) ? [] : requiredFields(session),
    payment_method: settings.paymentMethod,
    charge_amount: settings.chargeAmount,
    currency: settings.currency,
    token_type: settings.chargeAmount === null ? settings.tokenType : null,
    payment_connector: settings.paymentConnector,
    payment_card_number: shown['payment-card-number'] ?? null,
    payment_card_type: session.cardType,
    expiration_date: shown['expiration-date'] ?? null,
    security_code: shown['security-code'] ?? null,
    payment_card_postal_code: shown['postal-code'] ?? null,
    bank_routing_number: shown['bank-routing-number'] ?? null,
    bank_account_number: shown['bank-account-number'] ?? null,
    result: outcome?.result ?? null,
    payment_confirmation_code: outcome?.paymentConfirmationCode ?? null,
    payment_token: outcome?.paymentToken ?? null,
    profile_id: outcome?.profileId ?? null,
    payment_error: outcome?.paymentError ?? null,
    pay_error_code: outcome?.payErrorCode ?? null,
    connector_error: outcome?.connectorError ?? null,
  };
}
