/**
 * The parameters of Twilio's Payments create and update requests, validated into domain values.
 *
 * Rules follow Twilio's `CreatePaymentsRequest` / `UpdatePaymentsRequest` and DESIGN.md; unknown
 * parameters are ignored as Twilio ignores them. Every rejection is a PaytoneError whose message names
 * the parameter and says how to fix it; nothing here has side effects.
 *
 * @example
 *   const { idempotencyKey, callbackUrl, settings } = parseCreatePayment(form, { callUrl: call.url });
 */
import { payError } from './errors.js';
import { ANY_CALLBACK, assertCallbackAllowed, type CallbackPolicy } from './callbackPolicy.js';
import { CONNECTOR_NAME, DEFAULT_CONNECTOR } from './connectorSettings.js';
import {
  BANK_ACCOUNT_TYPES,
  CAPTURE_NAMES,
  CARD_FIELDS,
  CARD_TYPES,
  PAYMENT_METHODS,
  TOKEN_TYPES,
  type CaptureName,
  type CardField,
  type CardType,
  type PaymentSettings,
} from './types.js';
import {
  formBoolean,
  formEnum,
  formInteger,
  formRequired,
  formValue,
  isAbsoluteHttpUrl,
  shownValue,
  type FormValues,
} from './form.js';

export interface PaymentRequestContext {
  /** The call's `Url`, against which a relative StatusCallback resolves; null when the call has none. */
  callUrl: string | null;
  /** Where callbacks may go; `any` (the sandbox default) when not given. */
  callbackPolicy?: CallbackPolicy;
}

export type PaymentUpdateInput = { kind: 'capture'; name: CaptureName } | { kind: 'complete' } | { kind: 'cancel' };

const DEFAULT_CARD_TYPES: CardType[] = ['visa', 'mastercard', 'amex'];
const DESCRIPTION_MAX = 255;
const UPDATE_STATUSES = ['complete', 'cancel'] as const;

/**
 * Validates a Payments create request.
 *
 * @example
 *   parseCreatePayment({ IdempotencyKey: 'k1', StatusCallback: '/pay', ChargeAmount: '12' },
 *     { callUrl: 'https://example.com/voice' }).settings.chargeAmount // '12.00'
 */
export function parseCreatePayment(
  form: FormValues,
  ctx: PaymentRequestContext,
): { idempotencyKey: string; callbackUrl: string; settings: PaymentSettings } {
  const idempotencyKey = formRequired(form, 'IdempotencyKey');
  const callbackUrl = statusCallbackOf(form, ctx);
  return { idempotencyKey, callbackUrl, settings: parsePaymentSettings(form) };
}

/**
 * The settings of a pay session, named as the Payments create request names them. `<Pay>` maps its attributes onto
 * these names, so both front doors share one set of rules and one set of error messages.
 *
 * @example
 *   parsePaymentSettings({ PaymentMethod: 'ach-debit' }).bankAccountType // 'consumer-checking'
 */
export function parsePaymentSettings(form: FormValues): PaymentSettings {
  const paymentMethod = formEnum(form, 'PaymentMethod', PAYMENT_METHODS) ?? 'credit-card';
  const postalCode = formBoolean(form, 'PostalCode') ?? true;
  const securityCode = formBoolean(form, 'SecurityCode') ?? true;
  return {
    paymentMethod,
    bankAccountType: parseBankAccountType(form, paymentMethod),
    chargeAmount: parseChargeAmount(formValue(form, 'ChargeAmount')),
    currency: parseCurrency(formValue(form, 'Currency')),
    description: parseDescription(formValue(form, 'Description')),
    input: formEnum(form, 'Input', ['dtmf'], { ignoreCase: true }) ?? 'dtmf',
    minPostalCodeLength: formInteger(form, 'MinPostalCodeLength', { min: 0, max: 10 }) ?? 0,
    parameter: parseParameter(formValue(form, 'Parameter')),
    paymentConnector: parsePaymentConnector(formValue(form, 'PaymentConnector')),
    postalCode,
    securityCode,
    timeoutSeconds: formInteger(form, 'Timeout', { min: 1, max: 600 }) ?? 5,
    tokenType: formEnum(form, 'TokenType', TOKEN_TYPES) ?? 'reusable',
    validCardTypes: parseValidCardTypes(formValue(form, 'ValidCardTypes')),
    requireMatchingInputs: parseRequireMatchingInputs(formValue(form, 'RequireMatchingInputs'), {
      paymentMethod,
      postalCode,
      securityCode,
    }),
    confirmation: formBoolean(form, 'Confirmation') ?? false,
  };
}

/**
 * Validates a Payments update request: exactly one of `Capture` or `Status`.
 *
 * @example
 *   parseUpdatePayment({ IdempotencyKey: 'k2', StatusCallback: 'https://example.com/pay', Status: 'complete' },
 *     { callUrl: null }).input // { kind: 'complete' }
 */
export function parseUpdatePayment(
  form: FormValues,
  ctx: PaymentRequestContext,
): { idempotencyKey: string; callbackUrl: string; input: PaymentUpdateInput } {
  const idempotencyKey = formRequired(form, 'IdempotencyKey');
  const callbackUrl = statusCallbackOf(form, ctx);
  const capture = formEnum(form, 'Capture', CAPTURE_NAMES);
  const status = formEnum(form, 'Status', UPDATE_STATUSES);
  if (capture !== undefined && status !== undefined) {
    throw payError(64018, 'Capture and Status were both given; send Capture to ask for a field, or Status=complete|cancel to end the session, not both.');
  }
  if (capture !== undefined) return { idempotencyKey, callbackUrl, input: { kind: 'capture', name: capture } };
  if (status !== undefined) return { idempotencyKey, callbackUrl, input: { kind: status } };
  throw payError(64018, 'Neither Capture nor Status was given; send Capture to ask for a field, or Status=complete|cancel to end the session.');
}

/**
 * The absolute URL a StatusCallback value stands for: absolute http(s) URLs as given, relative ones
 * resolved against the call's `Url` (as Twilio does).
 *
 * @example
 *   resolveCallbackUrl('../pay', 'https://example.com/voice/start') // 'https://example.com/pay'
 */
export function resolveCallbackUrl(raw: string, callUrl: string | null): string {
  if (isAbsoluteHttpUrl(raw)) return raw;
  if (URL.canParse(raw)) {
    throw payError(64020, `StatusCallback must be an http or https URL, or a path relative to the call's Url; got ${shownValue(raw)}.`);
  }
  if (callUrl === null || !URL.canParse(raw, callUrl)) {
    throw payError(64020, `StatusCallback ${shownValue(raw)} is relative, but the call has no Url to resolve it against; give an absolute http(s) URL.`);
  }
  return new URL(raw, callUrl).href;
}

/** The request's StatusCallback, resolved and allowed by the callback policy. */
function statusCallbackOf(form: FormValues, ctx: PaymentRequestContext): string {
  const url = resolveCallbackUrl(formRequired(form, 'StatusCallback'), ctx.callUrl);
  assertCallbackAllowed('StatusCallback', url, ctx.callbackPolicy ?? ANY_CALLBACK);
  return url;
}

function parseBankAccountType(form: FormValues, paymentMethod: PaymentSettings['paymentMethod']): PaymentSettings['bankAccountType'] {
  if (paymentMethod === 'credit-card') {
    if (formValue(form, 'BankAccountType') !== undefined) {
      throw payError(64017, 'BankAccountType applies to PaymentMethod=ach-debit only; leave it out for credit-card payments.');
    }
    return null;
  }
  return formEnum(form, 'BankAccountType', BANK_ACCOUNT_TYPES) ?? 'consumer-checking';
}

/** Below one million, in the currency's major unit; zero means "tokenize, do not charge". */
function parseChargeAmount(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  const amountRule = 'ChargeAmount must be a decimal amount such as 10.50, from 0 to below 1000000';
  const match = /^\s*(-)?(\d*)(?:\.(\d*))?\s*$/.exec(raw);
  const [, minus, whole = '', fraction = ''] = match ?? [];
  if (!match || (whole === '' && fraction === '')) throw payError(64003, `${amountRule}; got ${shownValue(raw)}.`);
  if (minus !== undefined && /[1-9]/.test(whole + fraction)) {
    throw payError(64003, `${amountRule}; a negative amount such as ${shownValue(raw)} is not allowed.`);
  }
  const cents = fraction.replace(/0+$/, '');
  if (cents.length > 2) {
    throw payError(64003, `ChargeAmount may have at most 2 decimal places; got ${shownValue(raw)}.`);
  }
  const units = whole.replace(/^0+/, '');
  if (units.length > 6) throw payError(64003, `${amountRule}; got ${shownValue(raw)}.`);
  if (units === '' && cents === '') return null;
  return `${units || '0'}.${cents.padEnd(2, '0')}`;
}

/**
 * The ISO 4217 codes of currencies in use, as the runtime's ICU data lists them: `XYZ` has the right shape and
 * is no currency. Fund, metal and testing codes (`USN`, `XAU`, `XTS`) are not in the list: no card is charged in them.
 */
const ISO_4217_CODES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));

function parseCurrency(raw: string | undefined): string {
  if (raw === undefined) return 'USD';
  const code = /^[A-Za-z]{3}$/.test(raw) ? raw.toUpperCase() : null;
  if (code === null || !ISO_4217_CODES.has(code)) {
    throw payError(64020, `Currency must be an ISO 4217 currency code such as USD or EUR; got ${shownValue(raw)}.`);
  }
  return code;
}

function parseDescription(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  if (raw.length > DESCRIPTION_MAX) {
    throw payError(64020, `Description may be at most ${DESCRIPTION_MAX} characters; got ${raw.length}.`);
  }
  return raw;
}

/**
 * A flat JSON object passed to the connector. Twilio's own docs show `{'name':'foobar'}`, so single
 * quotes are accepted when the value is not strict JSON.
 */
function parseParameter(raw: string | undefined): Record<string, unknown> | null {
  if (raw === undefined) return null;
  const parsed = parseJson(raw) ?? parseJson(raw.replaceAll("'", '"'));
  const isFlatObject =
    parsed !== undefined &&
    parsed !== null &&
    typeof parsed === 'object' &&
    !Array.isArray(parsed) &&
    Object.values(parsed).every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v));
  if (!isFlatObject) {
    throw payError(64020, `Parameter must be a JSON object of names to strings, numbers, booleans or null, such as {"order":"A-12"}; got ${shownValue(raw)}.`);
  }
  return parsed as Record<string, unknown>;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function parsePaymentConnector(raw: string | undefined): string {
  if (raw === undefined) return DEFAULT_CONNECTOR;
  if (!CONNECTOR_NAME.test(raw)) {
    throw payError(64020, `PaymentConnector must be 1 to 64 letters, digits, "_" or "-"; got ${shownValue(raw)}.`);
  }
  return raw;
}

/** Space-separated as Twilio documents it; commas and a literal `+` are tolerated because apps build the list several ways. */
function parseValidCardTypes(raw: string | undefined): CardType[] {
  if (raw === undefined) return [...DEFAULT_CARD_TYPES];
  const names = raw.toLowerCase().split(/[\s,+]+/).filter((n) => n !== '');
  const unknown = names.find((n) => !(CARD_TYPES as readonly string[]).includes(n));
  if (unknown !== undefined || names.length === 0) {
    const what = unknown === undefined ? 'no card type was given' : `${shownValue(unknown)} is not a known card type`;
    throw payError(64020, `ValidCardTypes: ${what}; give a space-separated list of ${CARD_TYPES.join(', ')}.`);
  }
  return [...new Set(names as CardType[])];
}

function parseRequireMatchingInputs(
  raw: string | undefined,
  ctx: { paymentMethod: PaymentSettings['paymentMethod']; postalCode: boolean; securityCode: boolean },
): CardField[] {
  if (raw === undefined) return [];
  if (ctx.paymentMethod !== 'credit-card') {
    throw payError(64020, 'RequireMatchingInputs applies to PaymentMethod=credit-card only; leave it out for ach-debit payments.');
  }
  const names = raw.split(',').map((n) => n.trim()).filter((n) => n !== '');
  const unknown = names.find((n) => !(CARD_FIELDS as readonly string[]).includes(n));
  if (unknown !== undefined || names.length === 0) {
    const what = unknown === undefined ? 'no field was given' : `${shownValue(unknown)} is not a card field`;
    throw payError(64020, `RequireMatchingInputs: ${what}; give a comma-separated list of ${CARD_FIELDS.join(', ')}.`);
  }
  const fields = [...new Set(names as CardField[])];
  const switchedOff = fields.find(
    (f) => (f === 'security-code' && !ctx.securityCode) || (f === 'postal-code' && !ctx.postalCode),
  );
  if (switchedOff !== undefined) {
    const flag = switchedOff === 'security-code' ? 'SecurityCode' : 'PostalCode';
    throw payError(64020, `RequireMatchingInputs lists ${switchedOff}, but ${flag}=false turns that capture off; remove it or set ${flag}=true.`);
  }
  return fields;
}
