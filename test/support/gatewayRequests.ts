/**
 * GatewayRequests for connector unit tests: a card charge (override what a test is about) or an ACH debit.
 */
import type { GatewayRequest } from '../../src/domain/types.js';

let nextId = 0;

export function cardRequest(number: string, overrides: Partial<GatewayRequest> = {}): GatewayRequest {
  return {
    transactionId: `tx-${process.pid}-${++nextId}`,
    accountSid: 'AC0123456789abcdef0123456789abcdef',
    sessionSid: 'PK0123456789abcdef0123456789abcdef',
    connector: 'Default',
    method: 'charge',
    paymentMethod: 'credit-card',
    amount: '12.50',
    currency: 'USD',
    description: null,
    tokenType: 'reusable',
    parameter: null,
    card: { number, type: 'visa', expMonth: '12', expYear: '2030', securityCode: '123', postalCode: '94105' },
    bank: null,
    ...overrides,
  };
}

export function bankRequest(accountNumber: string, overrides: Partial<GatewayRequest> = {}): GatewayRequest {
  return cardRequest('', {
    paymentMethod: 'ach-debit',
    card: null,
    bank: { routingNumber: '110000000', accountNumber, accountType: 'consumer-checking' },
    ...overrides,
  });
}
