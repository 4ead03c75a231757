/**
 * The sandbox gateway: a connector that charges and tokenizes nothing real, answering from the test
 * data in `sandboxCards.ts` with Stripe-shaped ids (`ch_...`, `tok_...`, `cus_...`, `pm_...`).
 *
 * It keeps the promise every connector makes: one transaction per transaction id, recorded in the
 * ledger, and a decline is an outcome, never a throw.
 *
 * @example
 *   const gateway = new SandboxGateway({ name: 'Default', ledger });
 *   const outcome = await gateway.execute(request); // { ok: true, confirmationCode: 'ch_...', ... }
 */
import { randomBytes } from 'node:crypto';
import type { GatewayOutcome, GatewayRequest } from '../domain/types.js';
import { TYPE_LIMITS, type ConnectorCapabilities } from '../domain/connectorSettings.js';
import { oncePerTransaction, type Connector, type GatewayLedger } from './connector.js';
import { SANDBOX_BANK_ACCOUNT_FAILURES, SANDBOX_CARD_FAILURES, SANDBOX_SLOW_CARD, type SandboxFailure } from './sandboxCards.js';

export interface SandboxGatewayOptions {
  name: string;
  ledger: GatewayLedger;
  /** How long the slow test card takes to succeed, in milliseconds (default 15000). */
  slowMs?: number;
  /** What this sandbox pretends its gateway can do (everything unless narrowed, to try capability errors). */
  capabilities?: ConnectorCapabilities;
}

const ID_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ID_LENGTH = 24;

export class SandboxGateway implements Connector {
  readonly name: string;
  readonly type = 'sandbox' as const;
  /** The sandbox never reaches a real gateway, so it takes any valid card, as a gateway's test mode does. */
  readonly mode = 'test' as const;
  readonly capabilities: ConnectorCapabilities;
  readonly execute: (request: GatewayRequest) => Promise<GatewayOutcome>;
  private readonly slowMs: number;

  constructor(options: SandboxGatewayOptions) {
    this.name = options.name;
    this.slowMs = options.slowMs ?? 15_000;
    this.capabilities = options.capabilities ?? TYPE_LIMITS.sandbox;
    this.execute = oncePerTransaction(options.ledger, (request) => this.transact(request));
  }

  private async transact(request: GatewayRequest): Promise<GatewayOutcome> {
    const malformed = missingPart(request);
    if (malformed !== null) {
      return { ok: false, payErrorCode: 64010, paymentError: `The payment request has no ${malformed}.`, connectorError: 'internal' };
    }
    const failure = sandboxFailure(request);
    if (failure) return { ok: false, ...failure };
    if (request.card?.number === SANDBOX_SLOW_CARD) await new Promise((resolve) => setTimeout(resolve, this.slowMs));
    return success(request);
  }
}

function sandboxFailure(request: GatewayRequest): SandboxFailure | undefined {
  if (request.paymentMethod === 'ach-debit') return SANDBOX_BANK_ACCOUNT_FAILURES[request.bank?.accountNumber ?? ''];
  return SANDBOX_CARD_FAILURES[request.card?.number ?? ''];
}

/** What a well-formed request lacks, named without any of its values; null when nothing is missing. */
function missingPart(request: GatewayRequest): string | null {
  if (request.method === 'charge' && request.amount === null) return 'amount to charge';
  if (request.paymentMethod === 'ach-debit') {
    const { bank } = request;
    if (!bank) return 'bank account';
    if (!/^\d{9}$/.test(bank.routingNumber)) return 'valid bank routing number';
    if (!/^\d{4,17}$/.test(bank.accountNumber)) return 'valid bank account number';
    return null;
  }
  const { card } = request;
  if (!card) return 'card';
  if (!/^\d{12,19}$/.test(card.number)) return 'valid card number';
  if (!/^\d{2}$/.test(card.expMonth) || !/^\d{2,4}$/.test(card.expYear)) return 'card expiry date';
  return null;
}

function success(request: GatewayRequest): GatewayOutcome {
  if (request.method === 'charge') return { ok: true, confirmationCode: stripeStyleId('ch'), token: null, profileId: null };
  switch (request.tokenType) {
    case 'one-time':
      return { ok: true, confirmationCode: null, token: stripeStyleId('tok'), profileId: null };
    case 'reusable':
      return { ok: true, confirmationCode: null, token: stripeStyleId('tok'), profileId: stripeStyleId('cus') };
    case 'payment-method':
      return { ok: true, confirmationCode: null, token: stripeStyleId('pm'), profileId: null };
  }
}

function stripeStyleId(prefix: string): string {
  const chars = [...randomBytes(ID_LENGTH)].map((byte) => ID_ALPHABET[byte % ID_ALPHABET.length]);
  return `${prefix}_${chars.join('')}`;
}
