/**
 * The one interface every payment gateway adapter implements (sandbox, Generic Pay Connector, Stripe),
 * and the guard that makes any of them run a transaction at most once.
 *
 * A session is charged at most once whatever is retried: the domain fixes one `transactionId` per
 * session, and `oncePerTransaction` answers a repeated id from the ledger (or from the call still in
 * flight) instead of asking the gateway again.
 *
 * @example
 *   class MyGateway implements Connector {
 *     readonly execute = oncePerTransaction(ledger, (request) => this.send(request));
 *   }
 */
import type { CardType, GatewayOutcome, GatewayRequest, TokenType } from '../domain/types.js';

export interface ConnectorCapabilities {
  charge: boolean;
  tokenize: boolean;
  ach: boolean;
  tokenTypes: TokenType[];
  /** ISO 4217 codes the gateway accepts, or 'any'. */
  currencies: string[] | 'any';
}

export interface Connector {
  /** Unique name within the account, as given in `PaymentConnector` (e.g. 'Default'). */
  readonly name: string;
  readonly type: 'sandbox' | 'generic' | 'stripe';
  readonly capabilities: ConnectorCapabilities;
  /** Carries out a GatewayRequest. Must be idempotent by request.transactionId. Never throws for a decline. */
  execute(request: GatewayRequest): Promise<GatewayOutcome>;
}

/** What the ledger keeps about a request: enough to audit it, and no cardholder data. */
export interface GatewayRequestSummary {
  transactionId: string;
  accountSid: string;
  sessionSid: string;
  connector: string;
  method: GatewayRequest['method'];
  paymentMethod: GatewayRequest['paymentMethod'];
  amount: string | null;
  currency: string;
  tokenType: TokenType;
  cardType: CardType | null;
}

/** Durable memory of finished transactions, keyed by transaction id (the `gateway_transactions` table). */
export interface GatewayLedger {
  find(transactionId: string): Promise<GatewayOutcome | null>;
  record(transactionId: string, summary: GatewayRequestSummary, outcome: GatewayOutcome): Promise<void>;
}

/**
 * The request without its secrets, as the ledger may store it.
 *
 * @example
 *   summarizeGatewayRequest(request).cardType // 'visa'; never the number, expiry or security code
 */
export function summarizeGatewayRequest(request: GatewayRequest): GatewayRequestSummary {
  return {
    transactionId: request.transactionId,
    accountSid: request.accountSid,
    sessionSid: request.sessionSid,
    connector: request.connector,
    method: request.method,
    paymentMethod: request.paymentMethod,
    amount: request.amount,
    currency: request.currency,
    tokenType: request.tokenType,
    cardType: request.card?.type ?? null,
  };
}

/**
 * Wraps a gateway call so each transaction id reaches the gateway at most once:
 * 1. a call with the same id still in flight is shared, not repeated;
 * 2. an id the ledger already knows is answered from the ledger;
 * 3. otherwise the gateway is asked once and its answer recorded before it is returned.
 *
 * @example
 *   const execute = oncePerTransaction(ledger, (request) => gateway.charge(request));
 *   await execute(request); await execute(request); // one charge, the same outcome twice
 */
export function oncePerTransaction(
  ledger: GatewayLedger,
  transact: (request: GatewayRequest) => Promise<GatewayOutcome>,
): (request: GatewayRequest) => Promise<GatewayOutcome> {
  const inFlight = new Map<string, Promise<GatewayOutcome>>();
  const settle = async (request: GatewayRequest): Promise<GatewayOutcome> => {
    const recorded = await ledger.find(request.transactionId);
    if (recorded) return recorded;
    const outcome = await transact(request);
    await ledger.record(request.transactionId, summarizeGatewayRequest(request), outcome);
    return outcome;
  };
  return (request) => {
    const pending = inFlight.get(request.transactionId);
    if (pending) return pending;
    const outcome = settle(request).finally(() => inFlight.delete(request.transactionId));
    inFlight.set(request.transactionId, outcome);
    return outcome;
  };
}
