/**
 * Matches messages to transactions (RFC 3261 §17.1.3, §17.2.3): a request by its top Via branch, sent-by and
 * method (an ACK goes to its INVITE), a response by its branch and CSeq method. What matches nothing is new work
 * for the user agent; what matches is handled here (a resent request gets the last response again).
 *
 * @example
 *   const match = layer.receiveRequest(request, peer);
 *   if (match.kind === 'new') handle(match.transaction);
 */
import { randomBytes } from 'node:crypto';
import type { SipClock } from './clock.js';
import { ClientTransaction, type ClientHandlers } from './clientTransaction.js';
import { SipHeaders, type Parsed, type SipRequest, type SipResponse } from './message.js';
import { responsePeer, stampVia, type Peer } from './peer.js';
import { ServerTransaction } from './serverTransaction.js';

/** RFC 3261's branch prefix: a branch that starts with it is unique per transaction. */
export const BRANCH_COOKIE = 'z9hG4bK';

export function newBranch(): string {
  return BRANCH_COOKIE + randomBytes(10).toString('hex');
}

export type RequestMatch =
  | { kind: 'new'; transaction: ServerTransaction }
  /** Resent request, or the ACK of a final response: handled. */
  | { kind: 'absorbed' }
  /** An ACK that matches no transaction (the ACK of a 2xx that already timed out). */
  | { kind: 'stray-ack' };

export interface TransactionTransport {
  send(message: SipRequest | SipResponse, to: Peer): void;
}

export class TransactionLayer {
  private readonly server = new Map<string, ServerTransaction>();
  /** INVITE server transactions whose 2xx awaits its ACK, by Call-ID, CSeq and From tag. */
  private readonly awaitingAck = new Map<string, ServerTransaction>();
  private readonly client = new Map<string, ClientTransaction>();
  /** Open server transactions per source address (the flood limit counts these). */
  private readonly perSource = new Map<string, number>();

  constructor(
    private readonly clock: SipClock,
    private readonly transport: TransactionTransport,
  ) {}

  get openServerTransactions(): number {
    return this.server.size;
  }

  get openClientTransactions(): number {
    return this.client.size;
  }

  openFrom(address: string): number {
    return this.perSource.get(address) ?? 0;
  }

  /** Finds the server transaction of an incoming request, or makes a new one. */
  receiveRequest(request: Parsed<SipRequest>, source: Peer): RequestMatch {
    stampVia(request, source);
    const key = serverKey(request);
    const existing = this.server.get(key);
    if (request.method === 'ACK') {
      const transaction = existing ?? this.awaitingAck.get(ackKey(request));
      if (transaction === undefined) return { kind: 'stray-ack' };
      transaction.acknowledged();
      return { kind: 'absorbed' };
    }
    if (existing) {
      existing.requestResent();
      return { kind: 'absorbed' };
    }
    const host = {
      clock: this.clock,
      send: (message: SipResponse, to: Peer) => this.transport.send(message, to),
      ended: (transaction: ServerTransaction) => this.forget(transaction, source.address),
      accepted: (transaction: ServerTransaction) => this.awaitingAck.set(ackKey(transaction.request), transaction),
    };
    const transaction = new ServerTransaction(host, key, request, responsePeer(request.core.via[0]!, source));
    this.server.set(key, transaction);
    this.perSource.set(source.address, this.openFrom(source.address) + 1);
    return { kind: 'new', transaction };
  }

  /** Finds the server transaction an incoming CANCEL refers to (same branch, method INVITE). */
  inviteFor(cancel: Parsed<SipRequest>): ServerTransaction | undefined {
    return this.server.get(serverKey(cancel, 'INVITE'));
  }

  /** Starts a client transaction for a request whose top Via carries a fresh branch. */
  sendRequest(request: SipRequest, to: Peer, handlers: ClientHandlers): ClientTransaction {
    const branch = /;branch=([^;]+)/i.exec(request.headers.all('via')[0] ?? '')?.[1] ?? '';
    const key = `${branch}|${request.method === 'ACK' ? 'INVITE' : request.method}`;
    const host = {
      clock: this.clock,
      send: (message: SipRequest, peer: Peer) => this.transport.send(message, peer),
      ended: (transaction: ClientTransaction) => {
        if (this.client.get(transaction.key) === transaction) this.client.delete(transaction.key);
      },
    };
    const transaction = new ClientTransaction(host, key, request, to, handlers);
    this.client.set(key, transaction);
    transaction.start();
    return transaction;
  }

  /** Hands a response to its client transaction; false when none is waiting for it. */
  receiveResponse(response: Parsed<SipResponse>): boolean {
    const branch = response.core.via[0]!.params.get('branch') ?? '';
    const transaction = this.client.get(`${branch}|${response.core.cseqMethod}`);
    if (transaction === undefined) return false;
    transaction.receive(response);
    return true;
  }

  /** The transport could not deliver to `peer`: its client transactions fail now instead of at Timer B/F. */
  unreachable(peer: Peer): void {
    for (const transaction of [...this.client.values()]) {
      if (transaction.peer.address === peer.address && transaction.peer.port === peer.port) transaction.failed();
    }
  }

  /** Ends every transaction (shutdown). */
  close(): void {
    for (const transaction of [...this.server.values()]) transaction.terminate();
    for (const transaction of [...this.client.values()]) transaction.terminate();
  }

  private forget(transaction: ServerTransaction, address: string): void {
    if (this.server.get(transaction.key) === transaction) this.server.delete(transaction.key);
    const ack = ackKey(transaction.request);
    if (this.awaitingAck.get(ack) === transaction) this.awaitingAck.delete(ack);
    const open = this.openFrom(address) - 1;
    if (open > 0) this.perSource.set(address, open);
    else this.perSource.delete(address);
  }
}

function serverKey(request: Parsed<SipRequest>, method = request.method === 'ACK' ? 'INVITE' : request.method): string {
  const via = request.core.via[0]!;
  const branch = via.params.get('branch') ?? '';
  const sentBy = `${via.host}:${via.port ?? ''}`;
  if (branch.startsWith(BRANCH_COOKIE)) return `${branch}|${sentBy}|${method}`;
  // RFC 2543 peers: no unique branch, so the request's identity stands in for it.
  return `${request.core.callId}|${request.core.cseq}|${request.core.from.params.get('tag') ?? ''}|${sentBy}|${method}`;
}

function ackKey(request: Parsed<SipRequest>): string {
  return `${request.core.callId}|${request.core.cseq}|${request.core.from.params.get('tag') ?? ''}`;
}

/**
 * A response to `request` (§8.2.6): its Via, From, Call-ID and CSeq copied, its To with `toTag` added when given.
 *
 * @example
 *   responseTo(invite, 486, 'Busy Here', localTag)
 */
export function responseTo(request: Parsed<SipRequest>, status: number, reason: string, toTag?: string): SipResponse {
  const { headers } = request;
  let to = headers.get('to')!;
  if (toTag !== undefined && !request.core.to.params.has('tag')) to += `;tag=${toTag}`;
  const response: SipResponse = { kind: 'response', status, reason, headers: new SipHeaders(), body: Buffer.alloc(0) };
  response.headers
    .set('via', ...headers.all('via'))
    .set('from', headers.get('from')!)
    .set('to', to)
    .set('call-id', headers.get('call-id')!)
    .set('cseq', headers.get('cseq')!);
  return response;
}
