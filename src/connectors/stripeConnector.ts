/**
 * The Stripe connector, through Stripe's official `stripe` package:
 * - charge: a card PaymentMethod, then a PaymentIntent confirmed server-side; `PaymentConfirmationCode` is
 *   the PaymentIntent's charge (`ch_...`);
 * - tokenize `one-time`: a card Token (`tok_...`); `payment-method`: a PaymentMethod (`pm_...`);
 *   `reusable`: a PaymentMethod attached to a new Customer (`PaymentToken=pm_...`, `ProfileId=cus_...`).
 *
 * Every Stripe request carries an idempotency key made of the session's transaction id and the step
 * (`PK...-payment-intent`), the same on every retry and after a restart, so Stripe answers a repeated request
 * with the first one's result. Retries are this project's gateway policy (the SDK's own are switched off).
 * Stripe's errors map to Twilio's Pay codes: a card error (`card_declined`, `insufficient_funds`,
 * `expired_card`, `incorrect_cvc`, ...) is 64012 with the decline code as `ConnectorError`; any other refusal
 * is 64008 (charge) or 64010 (tokenize), `processing_error` included. An answer Stripe would never give (an object
 * without its id, an error without a message, a body that is no object) is `unexpected_gateway_answer`: the session
 * fails and names its transaction id, since Stripe may still have made it.
 *
 * @example
 *   const stripe = new StripeConnector({ name: 'Stripe', mode: 'test', capabilities, apiKey, apiBase: 'https://api.stripe.com', ledger, signal });
 *   await stripe.execute(request); // { ok: true, confirmationCode: 'ch_...', token: null, profileId: null }
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import Stripe from 'stripe';
import type { ConnectorCapabilities, ConnectorMode } from '../domain/connectorSettings.js';
import type { GatewayOutcome, GatewayRequest } from '../domain/types.js';
import { oncePerTransaction, type Connector, type GatewayLedger } from './connector.js';
import { GATEWAY_RETRY, withGatewayRetries, type GatewayRetryPolicy } from './gatewayRetry.js';
import { refusal, unexpectedAnswer } from './payErrorCodes.js';
import { testModeRefusal } from './testMode.js';

export interface StripeConnectorOptions {
  name: string;
  mode: ConnectorMode;
  capabilities: ConnectorCapabilities;
  /** SECRET */
  apiKey: string;
  apiBase: string;
  ledger: GatewayLedger;
  signal: AbortSignal;
  retry?: GatewayRetryPolicy;
  onRetry?: (attempt: number, reason: string) => void;
  /** A DNS lookup for the connections to `apiBase` (the endpoint policy's guard), node's own by default. */
  lookup?: LookupFunction;
}

/** Currencies Stripe counts in whole units, and those it counts in thousandths. */
const ZERO_DECIMAL = new Set(['BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF']);
const THREE_DECIMAL = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND']);
const METADATA_KEYS = 40;

type Step<T> = { ok: true; value: T } | { ok: false; outcome: GatewayOutcome };

export class StripeConnector implements Connector {
  readonly type = 'stripe' as const;
  readonly name: string;
  readonly mode: ConnectorMode;
  readonly capabilities: ConnectorCapabilities;
  readonly execute: (request: GatewayRequest) => Promise<GatewayOutcome>;
  private readonly stripe: Stripe;
  private readonly policy: GatewayRetryPolicy;

  constructor(private readonly options: StripeConnectorOptions) {
    this.name = options.name;
    this.mode = options.mode;
    this.capabilities = options.capabilities;
    this.policy = options.retry ?? GATEWAY_RETRY;
    const base = new URL(options.apiBase);
    this.stripe = new Stripe(options.apiKey, {
      host: base.hostname,
      port: base.port || (base.protocol === 'https:' ? 443 : 80),
      protocol: base.protocol === 'https:' ? 'https' : 'http',
      maxNetworkRetries: 0,
      timeout: this.policy.timeoutMs,
      telemetry: false,
      appInfo: { name: 'paytone' },
      ...(options.lookup ? { httpAgent: new (base.protocol === 'https:' ? https.Agent : http.Agent)({ keepAlive: true, lookup: options.lookup }) } : {}),
    });
    this.execute = oncePerTransaction(options.ledger, (request) => this.send(request), {
      preflight: options.mode === 'test' ? testModeRefusal : undefined,
    });
  }

  private async send(request: GatewayRequest): Promise<GatewayOutcome> {
    const { card } = request;
    if (!card) return refusal(request, 'payment_method_not_supported', 'The Stripe connector takes cards only.');
    const tx = request.transactionId;
    const metadata = metadataOf(request);
    if (request.method === 'tokenize' && request.tokenType === 'one-time') {
      const token = await this.step(request, `${tx}-token`, (o) =>
        this.stripe.tokens.create({ card: { number: card.number, exp_month: card.expMonth, exp_year: card.expYear, ...(card.securityCode ? { cvc: card.securityCode } : {}), ...(card.postalCode ? { address_zip: card.postalCode } : {}) } }, o),
      );
      if (!token.ok) return token.outcome;
      const tok = idOf(token.value, 'tok');
      return tok === null ? unexpectedAnswer(request, 'Stripe made a Token without an id') : { ok: true, confirmationCode: null, token: tok, profileId: null };
    }
    const paymentMethod = await this.step(request, `${tx}-payment-method`, (o) =>
      this.stripe.paymentMethods.create(
        {
          type: 'card',
          card: { number: card.number, exp_month: Number(card.expMonth), exp_year: Number(card.expYear), ...(card.securityCode ? { cvc: card.securityCode } : {}) },
          ...(card.postalCode ? { billing_details: { address: { postal_code: card.postalCode } } } : {}),
          metadata,
        },
        o,
      ),
    );
    if (!paymentMethod.ok) return paymentMethod.outcome;
    const pm = idOf(paymentMethod.value, 'pm');
    if (pm === null) return unexpectedAnswer(request, 'Stripe made a PaymentMethod without an id');
    if (request.method === 'tokenize') {
      if (request.tokenType === 'payment-method') return { ok: true, confirmationCode: null, token: pm, profileId: null };
      const customer = await this.step(request, `${tx}-customer`, (o) =>
        this.stripe.customers.create({ payment_method: pm, ...(request.description ? { description: request.description } : {}), metadata }, o),
      );
      if (!customer.ok) return customer.outcome;
      const cus = idOf(customer.value, 'cus');
      return cus === null ? unexpectedAnswer(request, 'Stripe made a Customer without an id') : { ok: true, confirmationCode: null, token: pm, profileId: cus };
    }
    const amount = minorUnits(request.amount ?? '0', request.currency);
    if (amount === null) return refusal(request, 'invalid_amount', `${request.amount} ${request.currency} cannot be charged: Stripe counts ${request.currency} in whole units.`);
    const intent = await this.step(request, `${tx}-payment-intent`, (o) =>
      this.stripe.paymentIntents.create(
        {
          amount,
          currency: request.currency.toLowerCase(),
          payment_method: pm,
          confirm: true,
          // Confirmed here, on the server: nothing may send the caller to a web page.
          automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
          ...(request.description ? { description: request.description } : {}),
          metadata,
        },
        o,
      ),
    );
    if (!intent.ok) return intent.outcome;
    const pi = intent.value;
    const piId = idOf(pi, 'pi');
    if (piId === null || typeof pi.status !== 'string') return unexpectedAnswer(request, 'Stripe answered a PaymentIntent without an id or a status');
    if (pi.status !== 'succeeded' && pi.status !== 'processing' && pi.status !== 'requires_capture') {
      return refusal(request, pi.status, `Stripe left the payment ${piId} in status ${pi.status}; a phone payment cannot complete it.`);
    }
    const latest = pi.latest_charge;
    const charge = latest === null || latest === undefined ? piId : typeof latest === 'string' ? (latest.length <= 255 ? latest : null) : idOf(latest, 'ch');
    if (charge === null) return unexpectedAnswer(request, `Stripe answered PaymentIntent ${piId} with a latest_charge that is no charge`);
    return { ok: true, confirmationCode: charge, token: null, profileId: null };
  }

  /** One Stripe request under the gateway retry policy, with its idempotency key; a refusal becomes the session's outcome. */
  private async step<T>(request: GatewayRequest, idempotencyKey: string, run: (options: Stripe.RequestOptions) => Promise<T>): Promise<Step<T>> {
    const result = await withGatewayRetries<Step<T>>(
      async () => {
        try {
          return { answer: { ok: true, value: await run({ idempotencyKey }) } };
        } catch (err) {
          const busy = busyReason(err);
          return busy !== null ? { retry: busy } : { answer: { ok: false, outcome: stripeRefusal(request, err) } };
        }
      },
      { policy: this.policy, signal: this.options.signal, onRetry: this.options.onRetry },
    );
    if (result.answered) return result.answer;
    return { ok: false, outcome: refusal(request, result.lastError, `Stripe gave no answer after ${result.attempts} attempts (${result.lastError}).`) };
  }
}

/**
 * Why a Stripe error is worth another attempt with the same idempotency key, or null when it is an answer:
 * no connection or a timeout, Stripe's own server errors, rate limiting, and 409 (the same key still in flight).
 */
export function busyReason(err: unknown): string | null {
  if (!(err instanceof Stripe.errors.StripeError)) return null;
  if (err instanceof Stripe.errors.StripeConnectionError) return 'api_connection_error';
  if (err instanceof Stripe.errors.StripeRateLimitError || err.statusCode === 429) return 'rate_limit';
  if (err.statusCode === 409 && !(err instanceof Stripe.errors.StripeIdempotencyError)) return 'idempotency_key_in_use';
  if (err instanceof Stripe.errors.StripeAPIError || (err.statusCode ?? 0) >= 500) return 'api_error';
  return null;
}

/**
 * A Stripe error as the session's outcome.
 *
 * @example
 *   stripeRefusal(request, cardDeclinedError) // { ok: false, payErrorCode: 64012, connectorError: 'insufficient_funds', ... }
 */
export function stripeRefusal(request: GatewayRequest, err: unknown): GatewayOutcome {
  if (!(err instanceof Stripe.errors.StripeError)) {
    return unexpectedAnswer(request, err instanceof Error ? `${err.name}: ${err.message}` : 'the Stripe library failed');
  }
  const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value.slice(0, 100) : undefined);
  if (!STRIPE_ERROR_TYPES.has(String(err.rawType)) || text(err.message) === undefined || (err.code !== undefined && text(err.code) === undefined)) {
    return unexpectedAnswer(request, `HTTP ${err.statusCode ?? '?'} with an error Stripe would not send`);
  }
  if (err instanceof Stripe.errors.StripeCardError) {
    const code = text(err.decline_code) ?? text(err.code) ?? 'card_declined';
    return refusal(request, code, err.message, code !== 'processing_error');
  }
  return refusal(request, text(err.code) ?? String(err.rawType), err.message);
}

/** The `error.type` values of Stripe's API; anything else is no answer of Stripe's. */
const STRIPE_ERROR_TYPES: ReadonlySet<string> = new Set(['api_error', 'card_error', 'idempotency_error', 'invalid_request_error', 'rate_limit_error', 'authentication_error']);

/** A Stripe object's id, when it is one of the kind expected (`pm_...`); null otherwise. */
function idOf(object: unknown, prefix: string): string | null {
  const id = (object as { id?: unknown } | null)?.id;
  return typeof id === 'string' && id.startsWith(`${prefix}_`) && id.length <= 255 ? id : null;
}

/**
 * An amount as Stripe counts it: cents for most currencies, whole units for zero-decimal ones, thousandths
 * for three-decimal ones. Null when the amount has cents a zero-decimal currency cannot carry.
 *
 * @example
 *   minorUnits('12.50', 'USD') // 1250
 *   minorUnits('1200.00', 'JPY') // 1200
 */
export function minorUnits(amount: string, currency: string): number | null {
  const [whole = '0', cents = '00'] = amount.split('.');
  if (ZERO_DECIMAL.has(currency)) return /^0*$/.test(cents) ? Number(whole) : null;
  const hundredths = Number(whole) * 100 + Number(cents.padEnd(2, '0').slice(0, 2));
  return THREE_DECIMAL.has(currency) ? hundredths * 10 : hundredths;
}

/** The session's `Parameter` and its ids as Stripe metadata (strings, at most 40-character keys). */
function metadataOf(request: GatewayRequest): Record<string, string> {
  const metadata: Record<string, string> = { paytone_transaction_id: request.transactionId, paytone_session_sid: request.sessionSid };
  for (const [key, value] of Object.entries(request.parameter ?? {}).slice(0, 40)) {
    metadata[key.slice(0, METADATA_KEYS)] = value === null ? '' : String(value).slice(0, 500);
  }
  return metadata;
}
