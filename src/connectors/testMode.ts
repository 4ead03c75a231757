/**
 * Test mode: a connector in `test` mode sends only published test cards and test bank accounts, so a real
 * card number typed by mistake never reaches a gateway's test environment (Twilio's 64022 / 64023). The
 * refusal is decided before anything is sent, and the session ends with `payment-connector-error`.
 *
 * @example
 *   testModeRefusal(requestWithRealCard)?.payErrorCode // 64022
 */
import type { GatewayOutcome, GatewayRequest } from '../domain/types.js';
import { TEST_BANK_ACCOUNTS, TEST_CARDS } from './sandboxCards.js';

export function testModeRefusal(request: GatewayRequest): GatewayOutcome | null {
  if (request.paymentMethod === 'ach-debit') {
    if (TEST_BANK_ACCOUNTS.has(request.bank?.accountNumber ?? '')) return null;
    return {
      ok: false,
      payErrorCode: 64023,
      paymentError: 'The connector is in test mode and the bank account number is not a test account; use a test account or switch the connector to live.',
      connectorError: 'test_mode_bank_account',
    };
  }
  if (TEST_CARDS.has(request.card?.number ?? '')) return null;
  return {
    ok: false,
    payErrorCode: 64022,
    paymentError: 'The connector is in test mode and the card number is not a test card; use a test card or switch the connector to live.',
    connectorError: 'test_mode_card',
  };
}
