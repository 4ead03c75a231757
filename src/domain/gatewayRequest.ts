/**
 * The request a completing session sends to its connector, built from the session's captured values.
 * Used when a session starts completing and again after a restart, so both build exactly the same request.
 *
 * @example
 *   if (session.status === 'completing') connector.execute(gatewayRequestFor(session));
 */
import type { BankAccountType, CaptureName, GatewayRequest, PaymentSettings, Session } from './types.js';

const DEFAULT_BANK_ACCOUNT_TYPE: BankAccountType = 'consumer-checking';

export function bankAccountType(settings: PaymentSettings): BankAccountType {
  return settings.bankAccountType ?? DEFAULT_BANK_ACCOUNT_TYPE;
}

/** The connector request; every required value is present, or the session could not have started completing. */
export function gatewayRequestFor(s: Session): GatewayRequest {
  const transactionId = s.transactionId ?? s.sid;
  const { settings } = s;
  const value = (name: CaptureName): string => {
    const captured = s.values[name];
    if (captured === undefined) throw new Error(`Payment session ${s.sid} started completing without ${name}.`);
    return captured;
  };
  const isCard = settings.paymentMethod === 'credit-card';
  return {
    transactionId,
    accountSid: s.accountSid,
    sessionSid: s.sid,
    connector: settings.paymentConnector,
    method: settings.chargeAmount !== null ? 'charge' : 'tokenize',
    paymentMethod: settings.paymentMethod,
    amount: settings.chargeAmount,
    currency: settings.currency,
    description: settings.description,
    tokenType: settings.tokenType,
    parameter: settings.parameter,
    card: isCard ? cardDetails(s, value) : null,
    bank: isCard
      ? null
      : { routingNumber: value('bank-routing-number'), accountNumber: value('bank-account-number'), accountType: bankAccountType(settings) },
  };
}

function cardDetails(s: Session, value: (name: CaptureName) => string): GatewayRequest['card'] {
  const expiry = value('expiration-date');
  if (s.cardType === null) throw new Error(`Payment session ${s.sid} started completing without a card type.`);
  return {
    number: value('payment-card-number'),
    type: s.cardType,
    expMonth: expiry.slice(0, 2),
    expYear: `20${expiry.slice(2)}`,
    securityCode: s.values['security-code'] ?? null,
    postalCode: s.values['postal-code'] ?? s.settings.knownPostalCode ?? null,
  };
}
