/**
 * The sandbox gateway's test data (DESIGN.md "Sandbox gateway test data"): Stripe's published test card
 * numbers with the same meaning, and test bank accounts. Any other valid card or account succeeds.
 *
 * These numbers are public test data, never real cardholder data, which is why they may appear in source.
 *
 * @example
 *   SANDBOX_CARD_FAILURES['4000000000000002']?.connectorError // 'card_declined'
 */

/** A failure the sandbox answers with, in the fields a session's end callback carries. */
export interface SandboxFailure {
  payErrorCode: number;
  paymentError: string;
  connectorError: string;
}

/** The card was declined by the (pretend) issuer. */
const DECLINED = 64012;
/** The (pretend) gateway itself failed. */
const GATEWAY_ERROR = 64010;

export const SANDBOX_CARD_FAILURES: Readonly<Record<string, SandboxFailure>> = {
  '4000000000000002': { payErrorCode: DECLINED, paymentError: 'Your card was declined.', connectorError: 'card_declined' },
  '4000000000009995': { payErrorCode: DECLINED, paymentError: 'Your card has insufficient funds.', connectorError: 'insufficient_funds' },
  '4000000000000069': { payErrorCode: DECLINED, paymentError: 'Your card has expired.', connectorError: 'expired_card' },
  '4000000000000127': { payErrorCode: DECLINED, paymentError: "Your card's security code is incorrect.", connectorError: 'incorrect_cvc' },
  '4000000000000119': {
    payErrorCode: GATEWAY_ERROR,
    paymentError: 'An error occurred while processing your card. Try again in a little bit.',
    connectorError: 'processing_error',
  },
};

/**
 * This card succeeds, but only after the gateway's `slowMs` (15 s by default): use it to see what the
 * agent, the app and the callbacks do while a payment is still being processed.
 */
export const SANDBOX_SLOW_CARD = '4000000000000077';

/** `000123456789` succeeds, as does any other valid account number not listed here. */
export const SANDBOX_BANK_ACCOUNT_FAILURES: Readonly<Record<string, SandboxFailure>> = {
  '000111111116': { payErrorCode: DECLINED, paymentError: 'The bank account could not be found.', connectorError: 'no_account' },
  '000111111113': { payErrorCode: DECLINED, paymentError: 'The bank account has been closed.', connectorError: 'account_closed' },
  '000222222227': { payErrorCode: DECLINED, paymentError: 'The bank account has insufficient funds.', connectorError: 'insufficient_funds' },
};

/**
 * Cards a connector in test mode takes (anything else is refused with 64022 before it is sent): Stripe's
 * published test numbers that succeed, the failure cards above and the slow card.
 */
export const TEST_CARDS: ReadonlySet<string> = new Set([
  '4242424242424242',
  '4000056655665556',
  '4111111111111111',
  '5555555555554444',
  '2223003122003222',
  '5200828282828210',
  '5105105105105100',
  '378282246310005',
  '371449635398431',
  '6011111111111117',
  '6011000990139424',
  '3056930009020004',
  '36227206271667',
  '3566002020360505',
  ...Object.keys(SANDBOX_CARD_FAILURES),
  SANDBOX_SLOW_CARD,
]);

/** Bank accounts a connector in test mode takes (anything else is refused with 64023 before it is sent). */
export const TEST_BANK_ACCOUNTS: ReadonlySet<string> = new Set(['000123456789', ...Object.keys(SANDBOX_BANK_ACCOUNT_FAILURES)]);
