/**
 * The audit trail: who did what to which call and pay session. One entry per authenticated request that changes
 * something (every method but GET and HEAD), written before the answer goes out, never changed or deleted.
 *
 * An entry names the credential that proved the caller (an `AC...` or `SK...` sid, never a secret), the source
 * address, the action, the call and session it touched, the answer's status and error code, and the request's
 * parameters as the audit may show them: values of the parameters listed below (with card-number-like digit
 * runs masked), URLs without credentials or query, keypad digits as `*`, and every other parameter only as
 * `[given]`, so a secret sent under any name (a connector password, a card number typed into `Description`) is
 * never written.
 *
 * @example
 *   auditAction('POST', '/2010-04-01/Accounts/:AccountSid/Calls/:CallSid/Payments/:Sid.json', { Status: 'complete' }) // 'payment.complete'
 *   auditedParameters({ Digits: '1234567890123456#', Description: 'card 1234...' }) // { Digits: '****************#', Description: '[given]' }
 */
import { formatRfc2822 } from './dates.js';
import { maskDigitRuns, type FormValues } from './form.js';

export interface AuditEntry {
  at: number;
  accountSid: string;
  /** The sid whose secret authenticated the request: the account's own (`AC...`) or an API key (`SK...`). */
  credential: string;
  sourceIp: string;
  userAgent: string | null;
  action: string;
  method: string;
  /** The request path without its query string. */
  path: string;
  callSid: string | null;
  paymentSid: string | null;
  statusCode: number;
  errorCode: number | null;
  parameters: Record<string, string>;
}

export interface AuditRecord extends AuditEntry {
  id: number;
}

/** Parameters whose values the audit keeps (masked): what an agent decided, never what a caller typed. */
const RECORDED_VALUES = new Set([
  'IdempotencyKey', 'Capture', 'Status', 'PaymentMethod', 'ChargeAmount', 'Currency', 'TokenType', 'PaymentConnector',
  'Timeout', 'ValidCardTypes', 'SecurityCode', 'PostalCode', 'BankAccountType', 'Confirmation', 'RequireMatchingInputs',
  'MinPostalCodeLength', 'Input', 'To', 'From', 'StatusCallbackMethod', 'UniqueName', 'Type', 'Mode',
  'PhoneNumber', 'FriendlyName', 'VoiceMethod', 'VoiceFallbackMethod', 'Method', 'FallbackMethod', 'StatusCallbackEvent',
]);
const URL_VALUES = new Set(['StatusCallback', 'Url', 'EndpointUrl', 'ApiBase', 'VoiceUrl', 'VoiceFallbackUrl', 'FallbackUrl']);
const MAX_PARAMETERS = 40;
const MAX_VALUE = 120;
const MAX_USER_AGENT = 200;

const PAYMENT = '/2010-04-01/Accounts/:AccountSid/Calls/:CallSid/Payments';
const ACTIONS: Record<string, (form: FormValues) => string> = {
  'POST /2010-04-01/Accounts/:AccountSid/Calls.json': () => 'call.create',
  'POST /2010-04-01/Accounts/:AccountSid/Calls/:CallSid.json': (form) => (form.Status === 'completed' || form.Status === 'canceled' ? 'call.hangup' : 'call.update'),
  [`POST ${PAYMENT}.json`]: () => 'payment.create',
  [`POST ${PAYMENT}/:Sid.json`]: (form) =>
    form.Capture !== undefined && form.Status === undefined ? 'payment.capture'
      : form.Status === 'complete' && form.Capture === undefined ? 'payment.complete'
        : form.Status === 'cancel' && form.Capture === undefined ? 'payment.cancel'
          : 'payment.update',
  'POST /2010-04-01/Accounts/:AccountSid/IncomingPhoneNumbers.json': () => 'number.create',
  'POST /2010-04-01/Accounts/:AccountSid/IncomingPhoneNumbers/:Sid.json': () => 'number.update',
  'DELETE /2010-04-01/Accounts/:AccountSid/IncomingPhoneNumbers/:Sid.json': () => 'number.delete',
  'POST /sandbox/Accounts/:AccountSid/Calls/:CallSid/Dtmf.json': () => 'sandbox.keypress',
  'POST /v1/Accounts/:AccountSid/PayConnectors.json': () => 'connector.create',
  'POST /v1/Accounts/:AccountSid/PayConnectors/:UniqueName.json': () => 'connector.update',
  'DELETE /v1/Accounts/:AccountSid/PayConnectors/:UniqueName.json': () => 'connector.delete',
  'POST /v1/Accounts/:AccountSid/EventTokens.json': () => 'event-token.create',
};

/**
 * A short name for what a request did; routes without one of their own are named by method and route pattern.
 *
 * @example
 *   auditAction('DELETE', '/v1/Accounts/:AccountSid/Widgets/:Sid.json', {}) // 'DELETE /v1/Accounts/:AccountSid/Widgets/:Sid.json'
 */
export function auditAction(method: string, route: string, form: FormValues): string {
  const key = `${method} ${route}`;
  return ACTIONS[key]?.(form) ?? key;
}

/**
 * The request's parameters as the audit may keep them.
 *
 * @example
 *   auditedParameters({ StatusCallback: 'https://user:pw@app.example/pay?t=1', ChargeAmount: '10' })
 *   // { StatusCallback: 'https://app.example/pay', ChargeAmount: '10' }
 */
export function auditedParameters(form: FormValues): Record<string, string> {
  const shown: Record<string, string> = {};
  for (const [name, raw] of Object.entries(form).slice(0, MAX_PARAMETERS)) {
    const value = Array.isArray(raw) ? raw.join(',') : String(raw);
    shown[name.slice(0, 64)] = auditedValue(name, value).slice(0, MAX_VALUE);
  }
  return shown;
}

/**
 * The arguments of an MCP tool call as the audit keeps them. No tool takes cardholder data, so each value is kept,
 * with card-number-like digit runs masked (whatever a model puts there) and URLs without credentials or query.
 *
 * @example
 *   auditedToolArguments({ call_sid: 'CA...', amount: 12.5, status_callback: 'https://u:p@app.example/pay?t=1' })
 *   // { call_sid: 'CA...', amount: '12.5', status_callback: 'https://app.example/pay' }
 */
export function auditedToolArguments(args: Record<string, unknown>): Record<string, string> {
  const shown: Record<string, string> = {};
  for (const [name, raw] of Object.entries(args).slice(0, MAX_PARAMETERS)) {
    if (raw === undefined) continue;
    const value = typeof raw === 'string' ? raw : JSON.stringify(raw);
    const kept = SID_SEGMENT.test(value) ? value : name.endsWith('callback') || name.endsWith('url') ? urlWithoutSecrets(value) : maskDigitRuns(value);
    shown[name.slice(0, 64)] = kept.slice(0, MAX_VALUE);
  }
  return shown;
}

function auditedValue(name: string, value: string): string {
  // Keypad digits are what the caller types: card numbers, security codes. Only their shape is kept.
  if (name === 'Digits') return value.replace(/\d/g, '*');
  if (URL_VALUES.has(name)) return urlWithoutSecrets(value);
  if (RECORDED_VALUES.has(name)) return maskDigitRuns(value);
  return '[given]';
}

/**
 * Scheme, host and path only: a URL may carry Basic-auth credentials or tokens in its query.
 *
 * @example
 *   urlWithoutSecrets('https://u:p@app.example/pay?token=1') // 'https://app.example/pay'
 */
export function urlWithoutSecrets(url: string): string {
  if (!URL.canParse(url)) return URL.canParse(url, 'http://relative') ? maskDigitRuns(new URL(url, 'http://relative').pathname) : 'invalid url';
  const { origin, pathname } = new URL(url);
  return maskDigitRuns(origin + pathname);
}

/** A SID-shaped path segment (`CA` + 32 hex, maybe `.json`): kept whole, though its hex may hold long digit runs. */
const SID_SEGMENT = /^[A-Z]{2}[0-9a-f]{32}(\.json)?$/i;

/**
 * A request path as the audit and the log keep it: no query string, at most 300 characters, and any segment that is
 * not a SID with its card-number-like digit runs masked (a card number typed where a SID belongs).
 *
 * @example
 *   auditedPath('/2010-04-01/Accounts/1234567890123456/Calls.json?x=1') // '/2010-04-01/Accounts/************3456/Calls.json'
 */
export function auditedPath(url: string): string {
  const path = (url.split('?')[0] ?? '').slice(0, 300);
  return path.split('/').map((segment) => (SID_SEGMENT.test(segment) ? segment : maskDigitRuns(segment))).join('/');
}

/** A User-Agent as the audit keeps it: short, and without anything that looks like a card number. */
export function auditedUserAgent(userAgent: string | undefined): string | null {
  return userAgent === undefined ? null : maskDigitRuns(userAgent.slice(0, MAX_USER_AGENT));
}

/**
 * An entry as the audit API shows it (snake_case, RFC 2822 dates, like the rest of the API).
 *
 * @example
 *   auditEntryView(record).credential_sid // 'SK...'
 */
export function auditEntryView(record: AuditRecord): Record<string, unknown> {
  return {
    id: record.id,
    date_created: formatRfc2822(record.at),
    account_sid: record.accountSid,
    credential_sid: record.credential,
    source_ip: record.sourceIp,
    user_agent: record.userAgent,
    action: record.action,
    method: record.method,
    path: record.path,
    call_sid: record.callSid,
    payment_sid: record.paymentSid,
    response_status: record.statusCode,
    error_code: record.errorCode,
    parameters: record.parameters,
  };
}
