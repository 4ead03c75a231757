/**
 * How a gateway's refusal becomes Twilio's `PayErrorCode`, the same way for every connector:
 * - the card or bank account itself was refused (a decline code such as `card_declined`, `expired_card`,
 *   `incorrect_cvc`, `insufficient_funds`, or HTTP 402): 64012, "Payment Gateway rejected the card";
 * - any other refusal of a charge: 64008, "Payment Gateway rejected charge creation";
 * - any other refusal of a tokenization: 64010, "Payment Gateway rejected token creation".
 *
 * @example
 *   payErrorCodeFor('charge', 'card_declined')    // 64012
 *   payErrorCodeFor('tokenize', 'processing_error') // 64010
 */
import { maskDigitRuns } from '../domain/form.js';
import type { GatewayOutcome, GatewayRequest } from '../domain/types.js';

/** Decline codes (Stripe's vocabulary, which many gateways share) that mean the payment instrument was refused. */
export const INSTRUMENT_DECLINES: ReadonlySet<string> = new Set([
  'card_declined',
  'generic_decline',
  'do_not_honor',
  'insufficient_funds',
  'expired_card',
  'incorrect_cvc',
  'invalid_cvc',
  'incorrect_number',
  'invalid_number',
  'invalid_expiry_month',
  'invalid_expiry_year',
  'incorrect_zip',
  'lost_card',
  'stolen_card',
  'pickup_card',
  'fraudulent',
  'card_not_supported',
  'currency_not_supported',
  'no_account',
  'account_closed',
  'invalid_account_number',
]);

export const CARD_REJECTED = 64012;
export const CHARGE_REJECTED = 64008;
export const TOKEN_REJECTED = 64010;

export function payErrorCodeFor(method: GatewayRequest['method'], connectorError: string, instrumentRefused = false): number {
  if (instrumentRefused || INSTRUMENT_DECLINES.has(connectorError)) return CARD_REJECTED;
  return method === 'charge' ? CHARGE_REJECTED : TOKEN_REJECTED;
}

/**
 * A refusal as a session outcome. The gateway's words go to callbacks, so a card number a gateway might echo
 * in them is masked, and they are cut to a readable length.
 *
 * @example
 *   refusal(request, 'timeout', 'The payment gateway did not answer.') // { ok: false, payErrorCode: 64008, ... }
 */
export function refusal(request: GatewayRequest, connectorError: string, paymentError: string, instrumentRefused = false): GatewayOutcome {
  return {
    ok: false,
    payErrorCode: payErrorCodeFor(request.method, connectorError, instrumentRefused),
    paymentError: maskDigitRuns(paymentError).slice(0, 500),
    connectorError: maskDigitRuns(connectorError).slice(0, 100),
  };
}

export const UNEXPECTED_ANSWER = 'unexpected_gateway_answer';

/**
 * The outcome of an answer no gateway of this kind should give (no body, an id that is not one, a field of the
 * wrong type), or of one that broke the adapter. The gateway may still have made the transaction, so the session
 * ends as failed and says which transaction id to look up at the gateway; the id is the session's sid and is not
 * masked (a sid is not card data, and a masked one could not be looked up).
 *
 * @example
 *   unexpectedAnswer(request, 'the PaymentMethod has no id').connectorError // 'unexpected_gateway_answer'
 */
export function unexpectedAnswer(request: GatewayRequest, what: string): GatewayOutcome {
  const unread = maskDigitRuns(`The payment gateway's answer could not be read (${what}).`).slice(0, 400);
  return {
    ok: false,
    payErrorCode: payErrorCodeFor(request.method, UNEXPECTED_ANSWER),
    paymentError: `${unread} It may still have made transaction ${request.transactionId}: reconcile it with the gateway.`,
    connectorError: UNEXPECTED_ANSWER,
  };
}
