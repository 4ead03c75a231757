/**
 * paytone's SIP user agent: both halves of the B2BUA's signalling. It takes parsed messages from the transport,
 * runs them through the transaction layer, and sends what is new to the right place: a request inside a dialog to
 * its leg, a CANCEL to the INVITE it cancels, a new INVITE from a trusted address to `onInvite` as an `InboundLeg`.
 * It answers OPTIONS probes itself, refuses untrusted sources with 403, and sheds load per source address: past
 * the limits below a source's requests are dropped (floods get no answer) or refused with 503.
 *
 * @example
 *   const ua = new SipUserAgent({ clock: systemClock, self, send, isTrusted, onInvite: (leg) => ... });
 *   const agent = ua.call({ target: 'sip:agent@127.0.0.1:5070', hop, from, to, sdp });
 */
import type { SipClock } from './clock.js';
import type { ClientHandlers } from './clientTransaction.js';
import { dialogId } from './dialog.js';
import { InboundLeg } from './inboundLeg.js';
import { ALLOW, methodNotAllowed, type LegHost, type SipLeg } from './leg.js';
import type { Parsed, ParsedMessage, SipRequest, SipResponse } from './message.js';
import { OutboundLeg, type CallRequest } from './outboundLeg.js';
import type { Peer } from './peer.js';
import type { ServerTransaction } from './serverTransaction.js';
import { responseTo, TransactionLayer } from './transactionLayer.js';

export interface SourceLimits {
  /** Open server transactions one trusted address may have; past it its requests are dropped. */
  transactionsPerSource: number;
  /** The same for an untrusted address (which only ever gets 403s). */
  untrustedTransactionsPerSource: number;
  /** Calls one address may have up at once; past it a new INVITE gets 503. */
  callsPerSource: number;
  /** Open server transactions in all. */
  transactions: number;
}

export const SOURCE_LIMITS: SourceLimits = { transactionsPerSource: 512, untrustedTransactionsPerSource: 16, callsPerSource: 500, transactions: 20_000 };

export interface UserAgentOptions {
  clock: SipClock;
  /** The address written into Via and Contact (PAYTONE_SIP_PUBLIC_ADDRESS). */
  self: { host: string; port: number };
  send(message: SipRequest | SipResponse, to: Peer): void;
  isTrusted(address: string): boolean;
  onInvite(leg: InboundLeg): void;
  /** An out-of-dialog request from an untrusted address, already refused with 403. */
  onUntrusted?(request: Parsed<SipRequest>, source: Peer): void;
  limits?: Partial<SourceLimits>;
}

export class SipUserAgent {
  readonly layer: TransactionLayer;
  private readonly limits: SourceLimits;
  private readonly host: LegHost;
  /** Legs with a dialog, by dialog id. */
  private readonly legs = new Map<string, SipLeg>();
  /** Unanswered INVITEs, by transaction key, for their CANCEL. */
  private readonly ringing = new Map<string, InboundLeg>();
  private readonly callsFrom = new Map<string, number>();
  /** Counters for metrics and tests. */
  readonly counts = { dropped: 0, refused: 0 };

  constructor(private readonly options: UserAgentOptions) {
    this.limits = { ...SOURCE_LIMITS, ...options.limits };
    this.layer = new TransactionLayer(options.clock, { send: options.send });
    const { host, port } = options.self;
    this.host = {
      clock: options.clock,
      self: { host, port, contact: `sip:paytone@${host.includes(':') ? `[${host}]` : host}:${port}` },
      send: options.send,
      request: (request: SipRequest, to: Peer, handlers: ClientHandlers) => void this.layer.sendRequest(request, to, handlers),
      enter: (leg: SipLeg) => this.legs.set(leg.dialog!.id, leg),
      leave: (leg: SipLeg) => {
        if (leg.dialog && this.legs.get(leg.dialog.id) === leg) this.legs.delete(leg.dialog.id);
      },
    };
  }

  /** Calls up now (legs with a dialog). */
  get openLegs(): number {
    return this.legs.size;
  }

  receive(message: ParsedMessage, source: Peer): void {
    if (message.kind === 'response') {
      this.layer.receiveResponse(message);
      return;
    }
    const trusted = this.options.isTrusted(source.address);
    const perSource = trusted ? this.limits.transactionsPerSource : this.limits.untrustedTransactionsPerSource;
    if (message.method !== 'ACK' && this.layer.openFrom(source.address) >= perSource || this.layer.openServerTransactions >= this.limits.transactions) {
      this.counts.dropped++;
      return;
    }
    const match = this.layer.receiveRequest(message, source);
    if (match.kind !== 'new') return;
    const transaction = match.transaction;
    const toTag = message.core.to.params.get('tag');
    if (toTag !== undefined && toTag !== null) return this.inDialog(transaction, toTag);
    if (message.method === 'CANCEL') return this.cancel(transaction);
    if (!trusted) {
      this.counts.refused++;
      transaction.respond(responseTo(message, 403, 'Forbidden', 'untrusted'));
      this.options.onUntrusted?.(message, source);
      return;
    }
    switch (message.method) {
      case 'INVITE':
        return this.invite(transaction, source);
      case 'OPTIONS': {
        const ok = responseTo(message, 200, 'OK', 'options');
        ok.headers.set('allow', ALLOW).set('accept', 'application/sdp').set('supported', '');
        return transaction.respond(ok);
      }
      case 'BYE':
      case 'INFO':
        return transaction.respond(responseTo(message, 481, 'Call/Transaction Does Not Exist'));
      default:
        return transaction.respond(methodNotAllowed(message));
    }
  }

  /** Calls `request.target` through `request.hop`; the leg reports progress and its outcome. */
  call(request: CallRequest): OutboundLeg {
    const leg = new OutboundLeg(this.host, request);
    leg.start();
    return leg;
  }

  /** The transport could not reach `peer`. */
  unreachable(peer: Peer): void {
    this.layer.unreachable(peer);
  }

  /** Hangs up every leg and ends every transaction (shutdown). */
  async close(): Promise<void> {
    await Promise.all([...this.ringing.values(), ...this.legs.values()].map((leg) => leg.hangUp()));
    this.layer.close();
  }

  private invite(transaction: ServerTransaction, source: Peer): void {
    const calls = this.callsFrom.get(source.address) ?? 0;
    if (calls >= this.limits.callsPerSource) {
      this.counts.refused++;
      const busy = responseTo(transaction.request, 503, 'Service Unavailable', 'limit');
      busy.headers.set('retry-after', '5');
      return transaction.respond(busy);
    }
    transaction.respond(responseTo(transaction.request, 100, 'Trying'));
    const leg = new InboundLeg(this.host, transaction, source);
    this.callsFrom.set(source.address, calls + 1);
    this.ringing.set(transaction.key, leg);
    const answeredOrEnded = () => this.ringing.delete(transaction.key);
    void leg.ended.then(() => {
      answeredOrEnded();
      const left = (this.callsFrom.get(source.address) ?? 1) - 1;
      if (left > 0) this.callsFrom.set(source.address, left);
      else this.callsFrom.delete(source.address);
    });
    this.options.onInvite(leg);
  }

  private cancel(transaction: ServerTransaction): void {
    const invite = this.layer.inviteFor(transaction.request);
    const leg = invite === undefined ? undefined : this.ringing.get(invite.key);
    if (leg === undefined) return transaction.respond(responseTo(transaction.request, 481, 'Call/Transaction Does Not Exist'));
    transaction.respond(responseTo(transaction.request, 200, 'OK'));
    leg.canceled();
  }

  private inDialog(transaction: ServerTransaction, toTag: string): void {
    const { core } = transaction.request;
    const leg = this.legs.get(dialogId(core.callId, toTag, core.from.params.get('tag') ?? ''));
    if (leg === undefined) return transaction.respond(responseTo(transaction.request, 481, 'Call/Transaction Does Not Exist'));
    leg.receive(transaction);
  }
}
