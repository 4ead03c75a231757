/**
 * The one interface every payment gateway adapter implements (sandbox, Generic Pay Connector, Stripe),
 * and the guard that makes any of them run a transaction at most once.
 *
 * A session is charged at most once whatever is retried: the domain fixes one `transactionId` per
 * session, and `oncePerTransaction` answers a repeated id from the ledger (or from the call still in
 * flight) instead of asking the gateway again. Before a request leaves, the ledger durably notes that it was
 * sent; a restart that finds such a note without an answer sends the same transaction id again, and the
 * gateway's idempotency (the Generic protocol's `transaction_id`, Stripe's idempotency keys) makes that a
 * lookup of the first transaction, not a second one.
 *
 * @example
 *   class MyGateway implements Connector {
 *     readonly execute = oncePerTransaction(ledger, (request) => this.send(request));
 *   }
 */
import type { CardType, GatewayOutcome, GatewayRequest, TokenType } from '../domain/types.js';
import type { ConnectorCapabilities, ConnectorMode, ConnectorType } from '../domain/connectorSettings.js';
import { GatewayCallStopped } from './gatewayRetry.js';
import { unexpectedAnswer } from './payErrorCodes.js';

export type { ConnectorCapabilities };

export interface Connector {
  /** Unique name within the account, as given in `PaymentConnector` (e.g. 'Default'). */
  readonly name: string;
  readonly type: ConnectorType;
  readonly mode: ConnectorMode;
  readonly capabilities: ConnectorCapabilities;
  /** Carries out a GatewayRequest. Must be idempotent by request.transactionId. Never throws for a decline. */
  execute(request: GatewayRequest): Promise<GatewayOutcome>;
  /** Why no session may use the connector now (the endpoint policy in force refuses its address); absent when it may. */
  readonly unusable?: string;
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
  /** Durably notes that the request is about to be sent; returns how many times it was sent before (0 the first time). */
  markSent(summary: GatewayRequestSummary): Promise<number>;
  record(transactionId: string, summary: GatewayRequestSummary, outcome: GatewayOutcome): Promise<void>;
}

/** What a gateway adapter is told about the request it sends. */
export interface Sending {
  /** How many times this transaction id was sent before: after a restart, the gateway may already know it. */
  previousSends: number;
}

export interface GuardOptions {
  /** An answer given without sending anything (a test-mode refusal); it is recorded like the gateway's. */
  preflight?: (request: GatewayRequest) => GatewayOutcome | null;
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
 * Wraps a gateway call so each transaction id makes at most one transaction:
 * 1. a call with the same id still in flight is shared, not repeated;
 * 2. an id the ledger already knows is answered from the ledger;
 * 3. a request the connector refuses before sending (`preflight`) is answered and recorded, nothing sent;
 * 4. otherwise the ledger notes the send, the gateway is asked (with the same id as any earlier send),
 *    and its answer is recorded before it is returned;
 * 5. an adapter that throws on what the gateway answered ends the transaction as an unexpected answer, recorded
 *    like any other, so its session ends instead of waiting, card data and all, for an answer that never comes.
 *    Only a shutdown (`GatewayCallStopped`) leaves the transaction open, for the next start to ask again.
 *
 * @example
 *   const execute = oncePerTransaction(ledger, (request) => gateway.charge(request));
 *   await execute(request); await execute(request); // one charge, the same outcome twice
 */
export function oncePerTransaction(
  ledger: GatewayLedger,
  transact: (request: GatewayRequest, sending: Sending) => Promise<GatewayOutcome>,
  options: GuardOptions = {},
): (request: GatewayRequest) => Promise<GatewayOutcome> {
  const inFlight = new Map<string, Promise<GatewayOutcome>>();
  const settle = async (request: GatewayRequest): Promise<GatewayOutcome> => {
    const recorded = await ledger.find(request.transactionId);
    if (recorded) return recorded;
    const summary = summarizeGatewayRequest(request);
    const refused = options.preflight?.(request) ?? null;
    const outcome = refused ?? (await transact(request, { previousSends: await ledger.markSent(summary) }).catch((err: unknown) => {
      if (err instanceof GatewayCallStopped) throw err;
      return unexpectedAnswer(request, err instanceof Error ? `${err.name}: ${err.message}` : 'the adapter failed');
    }));
    await ledger.record(request.transactionId, summary, outcome);
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
