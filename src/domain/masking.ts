/**
 * What the agent and the app may see of cardholder data.
 *
 * PCI: a card number shows at most its last 4 digits and a bank account number its last 2, and only once
 * the field has ended. While the caller is typing (PartialResult=true) no field shows any digit, so the
 * sequence of partial callbacks never reveals more than the final mask. Security codes never show a digit.
 * The expiry, postal code and routing number show in clear only once accepted: until then a caller may be
 * typing a card number where one of them was asked (fieldRules.ts refuses such an entry).
 */
import { cardGaps } from './cards.js';
import { BANK_FIELDS, CARD_FIELDS, type CaptureName, type CardType, type MaskedValues } from './types.js';

const CARD_VISIBLE_DIGITS = 4;
const BANK_ACCOUNT_VISIBLE_DIGITS = 2;

function maskAllBut(digits: string, visible: number, mask: string): string {
  const hidden = Math.max(0, digits.length - visible);
  return mask.repeat(hidden) + digits.slice(hidden);
}

function groupLikeCard(text: string, gaps: readonly number[]): string {
  let grouped = '';
  for (let i = 0; i < text.length; i += 1) {
    if (i > 0 && gaps.includes(i)) grouped += '-';
    grouped += text[i];
  }
  return grouped;
}

/**
 * A card number grouped like the card, every digit but the last 4 as `x`; while partial, every digit.
 *
 * @example
 *   maskCardNumber(amexCardNumber, 'amex', false);   // 'xxxx-xxxxxx-x0005'
 *   maskCardNumber('424242424', 'visa', true);        // 'xxxx-xxxx-x'
 */
export function maskCardNumber(digits: string, cardType: CardType | null, partial: boolean): string {
  const masked = partial ? 'x'.repeat(digits.length) : maskAllBut(digits, CARD_VISIBLE_DIGITS, 'x');
  return groupLikeCard(masked, cardGaps(cardType));
}

/**
 * @example
 *   maskSecurityCode('123'); // 'xxx'
 */
export function maskSecurityCode(digits: string): string {
  return 'x'.repeat(digits.length);
}

/**
 * A bank account number with all but its last 2 digits as `*`; while partial, every digit.
 *
 * @example
 *   maskBankAccountNumber('987654321012', false); // '**********12'
 */
export function maskBankAccountNumber(digits: string, partial: boolean): string {
  return partial ? '*'.repeat(digits.length) : maskAllBut(digits, BANK_ACCOUNT_VISIBLE_DIGITS, '*');
}

function clearOnceAccepted(digits: string, partial: boolean): string {
  return partial ? 'x'.repeat(digits.length) : digits;
}

/**
 * The callback parameters that show a captured field (or its matcher), masked.
 *
 * @example
 *   maskedCaptureParams('payment-card-number', visaCardNumber, 'visa', false);
 *   // { PaymentCardNumber: 'xxxx-xxxx-xxxx-4242', PaymentCardType: 'visa' }
 */
export function maskedCaptureParams(name: CaptureName, digits: string, cardType: CardType | null, partial: boolean): Record<string, string> {
  switch (name) {
    case 'payment-card-number':
    case 'payment-card-number-matcher':
      return {
        PaymentCardNumber: maskCardNumber(digits, cardType, partial),
        ...(cardType ? { PaymentCardType: cardType } : {}),
      };
    case 'expiration-date':
    case 'expiration-date-matcher':
      return { ExpirationDate: clearOnceAccepted(digits, partial) };
    case 'security-code':
    case 'security-code-matcher':
      return { SecurityCode: maskSecurityCode(digits) };
    case 'postal-code':
    case 'postal-code-matcher':
      return { PaymentCardPostalCode: clearOnceAccepted(digits, partial) };
    case 'bank-routing-number':
    case 'bank-routing-number-matcher':
      return { BankRoutingNumber: clearOnceAccepted(digits, partial) };
    case 'bank-account-number':
    case 'bank-account-number-matcher':
      return { BankAccountNumber: maskBankAccountNumber(digits, partial) };
  }
}

/** How each accepted field shows, in its final callback, in the session's JSON and in its summary after the end. */
const SHOWN: Record<keyof MaskedValues, (digits: string, cardType: CardType | null) => string> = {
  'payment-card-number': (digits, cardType) => maskCardNumber(digits, cardType, false),
  'expiration-date': (digits) => digits,
  'security-code': maskSecurityCode,
  'postal-code': (digits) => digits,
  'bank-routing-number': (digits) => digits,
  'bank-account-number': (digits) => maskBankAccountNumber(digits, false),
};

/**
 * The accepted fields among `values`, each masked as its final callback shows it.
 *
 * @example
 *   maskedValues({ 'payment-card-number': visaCardNumber, 'expiration-date': '1230' }, 'visa');
 *   // { 'payment-card-number': 'xxxx-xxxx-xxxx-4242', 'expiration-date': '1230' }
 */
export function maskedValues(values: Partial<Record<CaptureName, string>>, cardType: CardType | null): MaskedValues {
  const shown: MaskedValues = {};
  for (const name of [...CARD_FIELDS, ...BANK_FIELDS]) {
    const digits = values[name];
    if (digits !== undefined) shown[name] = SHOWN[name](digits, cardType);
  }
  return shown;
}
