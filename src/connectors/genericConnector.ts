/**
 * The Generic Pay Connector: Twilio's published protocol for a gateway of the account's own. Each payment
 * is one JSON POST to the connector's endpoint with HTTP Basic auth:
 *
 *   { "method": "charge" | "tokenize", "transaction_id": "PK...", "cardnumber", "cvv", "expiry_month",
 *     "expiry_year", "postal_code", "amount": "12.50", "currency_code": "USD", "description",
 *     "parameters": { ...the session's Parameter }, "bankaccountnumber", "routingnumber" (ACH) }
 *
 * plus `payment_method`, `token_type` (tokenize) and `bank_account_type` (ACH), so a gateway need not guess.
 * The answer is JSON: `charge_id` (charge) or `token_id` (tokenize, with an optional `profile_id`) on
 * success; `error_code` and `error_message` on a decline, which may come with 200 or with a non-2xx status.
 * `transaction_id` is the same on every retry and after a restart: the gateway must treat a repeated id as
 * the same transaction and answer with its result.
 *
 * @example
 *   const acme = new GenericConnector({ name: 'Acme', mode: 'live', capabilities, endpointUrl: 'https://pay.acme.example/twilio',
 *     username: 'twilio', password, ledger, signal });
 *   await acme.execute(request); // { ok: true, confirmationCode: 'AC-1001', token: null, profileId: null }
 */
import { maskDigitRuns } from '../domain/form.js';
import type { Dispatcher } from 'undici';
import { undiciPackage } from '../ops/onFirstUse.js';
import type { ConnectorCapabilities, ConnectorMode } from '../domain/connectorSettings.js';
import type { GatewayOutcome, GatewayRequest } from '../domain/types.js';
import { oncePerTransaction, type Connector, type GatewayLedger } from './connector.js';
import { BUSY_STATUSES, GATEWAY_RETRY, unansweredReason, withGatewayRetries, type GatewayRetryPolicy } from './gatewayRetry.js';
import { refusal, unexpectedAnswer } from './payErrorCodes.js';
import { testModeRefusal } from './testMode.js';

export interface GenericConnectorOptions {
  name: string;
  mode: ConnectorMode;
  capabilities: ConnectorCapabilities;
  endpointUrl: string;
  username: string;
  /** SECRET */
  password: string;
  ledger: GatewayLedger;
  /** Aborted when paytone shuts down: the call stops without an answer and is reconciled on the next start. */
  signal: AbortSignal;
  retry?: GatewayRetryPolicy;
  dispatcher?: Dispatcher;
  onRetry?: (attempt: number, reason: string) => void;
}

/** The largest answer read from a gateway; an answer is a few fields. */
const ANSWER_LIMIT_BYTES = 64 * 1024;

export class GenericConnector implements Connector {
  readonly type = 'generic' as const;
  readonly name: string;
  readonly mode: ConnectorMode;
  readonly capabilities: ConnectorCapabilities;
  readonly execute: (request: GatewayRequest) => Promise<GatewayOutcome>;

  constructor(private readonly options: GenericConnectorOptions) {
    this.name = options.name;
    this.mode = options.mode;
    this.capabilities = options.capabilities;
    this.execute = oncePerTransaction(options.ledger, (request) => this.send(request), {
      preflight: options.mode === 'test' ? testModeRefusal : undefined,
    });
  }

  private async send(request: GatewayRequest): Promise<GatewayOutcome> {
    const { endpointUrl, username, password, signal } = this.options;
    const body = JSON.stringify(genericRequestBody(request));
    const authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    const result = await withGatewayRetries<{ status: number; text: string }>(
      async (attemptSignal) => {
        try {
          const response = await undiciPackage().request(endpointUrl, {
            method: 'POST',
            headers: { authorization, 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'paytone' },
            body,
            signal: attemptSignal,
            ...(this.options.dispatcher ? { dispatcher: this.options.dispatcher } : {}),
          });
          const text = await readLimited(response.body);
          if (BUSY_STATUSES.has(response.statusCode)) return { retry: `HTTP ${response.statusCode}` };
          return { answer: { status: response.statusCode, text } };
        } catch (err) {
          return { retry: unansweredReason(err, attemptSignal) };
        }
      },
      { policy: this.options.retry ?? GATEWAY_RETRY, signal, onRetry: this.options.onRetry },
    );
    if (!result.answered) {
      const connectorError = result.lastError === 'timeout' ? 'timeout' : 'gateway_unreachable';
      return refusal(request, connectorError, `The payment gateway gave no answer after ${result.attempts} attempts (${result.lastError}).`);
    }
    return readGenericAnswer(request, result.answer.status, result.answer.text);
  }
}

/**
 * The JSON body of a Generic Pay Connector request. SECRET: it holds the card or bank account; it is built,
 * sent and dropped, never logged or stored.
 *
 * @example
 *   genericRequestBody(request).transaction_id // the session's transaction id, the same on every retry
 */
export function genericRequestBody(request: GatewayRequest): Record<string, unknown> {
  const body: Record<string, unknown> = {
    method: request.method,
    transaction_id: request.transactionId,
    payment_method: request.paymentMethod,
    currency_code: request.currency,
    description: request.description ?? '',
    parameters: request.parameter ?? {},
  };
  if (request.method === 'charge') body.amount = request.amount;
  else body.token_type = request.tokenType;
  const { card, bank } = request;
  if (card) {
    body.cardnumber = card.number;
    body.expiry_month = card.expMonth;
    body.expiry_year = card.expYear;
    if (card.securityCode !== null) body.cvv = card.securityCode;
    if (card.postalCode !== null) body.postal_code = card.postalCode;
  }
  if (bank) {
    body.routingnumber = bank.routingNumber;
    body.bankaccountnumber = bank.accountNumber;
    body.bank_account_type = bank.accountType;
  }
  return body;
}

/**
 * What a gateway's answer means for the session:
 * 1. an `error_code` (whatever the status) is a decline, with the gateway's code and message;
 * 2. any other non-2xx is a decline named by its status;
 * 3. a 2xx with `charge_id` (charge) or `token_id` (tokenize) is a success;
 * 4. anything else is a malformed answer: the gateway's failure, whose transaction is to be reconciled.
 *
 * @example
 *   readGenericAnswer(request, 200, '{"error_code":"card_declined","error_message":"Declined"}').payErrorCode // 64012
 */
export function readGenericAnswer(request: GatewayRequest, status: number, text: string): GatewayOutcome {
  const answer = parseObject(text);
  const errorCode = stringField(answer, 'error_code');
  const errorMessage = stringField(answer, 'error_message');
  const instrumentRefused = status === 402;
  if (errorCode !== null) return refusal(request, errorCode, errorMessage ?? `The payment gateway declined the payment (${errorCode}).`, instrumentRefused);
  if (status < 200 || status > 299) {
    return refusal(request, `http_${status}`, errorMessage ?? `The payment gateway answered HTTP ${status}.`, instrumentRefused);
  }
  const echoed = answerParameters(answer);
  if (request.method === 'charge') {
    const chargeId = stringField(answer, 'charge_id');
    if (chargeId !== null) return { ok: true, confirmationCode: chargeId, token: null, profileId: null, ...echoed };
    return unexpectedAnswer(request, `HTTP ${status} without a charge_id or an error_code`);
  }
  const tokenId = stringField(answer, 'token_id');
  if (tokenId !== null) return { ok: true, confirmationCode: null, token: tokenId, profileId: stringField(answer, 'profile_id'), ...echoed };
  return unexpectedAnswer(request, `HTTP ${status} without a token_id or an error_code`);
}

/** Names a `PayConnector_<key>` parameter may carry, and how many are kept. */
const PARAMETER_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_PARAMETERS = 50;

/**
 * The answer's `parameters` object, which `<Pay>` echoes to its action as `PayConnector_<key>`: string and number
 * values under plain names, each at most 255 characters, with any run of 12 digits masked (a gateway that echoes
 * a card number must not put it in an app's request).
 */
function answerParameters(answer: Record<string, unknown>): { connectorParameters?: Record<string, string> } {
  const given = answer.parameters;
  if (given === null || typeof given !== 'object' || Array.isArray(given)) return {};
  const kept: Record<string, string> = {};
  for (const name of Object.keys(given).filter((n) => PARAMETER_NAME.test(n)).slice(0, MAX_PARAMETERS)) {
    const value = stringField(given as Record<string, unknown>, name);
    if (value !== null) kept[name] = maskDigitRuns(value);
  }
  return Object.keys(kept).length === 0 ? {} : { connectorParameters: kept };
}

function parseObject(text: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** A string or number field, as a string of at most 255 characters; null when absent or empty. */
function stringField(answer: Record<string, unknown>, name: string): string | null {
  const value = answer[name];
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string' || value.trim() === '') return null;
  return value.trim().slice(0, 255);
}

async function readLimited(body: Dispatcher.ResponseData['body']): Promise<string> {
  let text = '';
  for await (const chunk of body) {
    text += (chunk as Buffer).toString('utf8');
    if (text.length > ANSWER_LIMIT_BYTES) {
      body.destroy();
      return text.slice(0, ANSWER_LIMIT_BYTES);
    }
  }
  return text;
}
