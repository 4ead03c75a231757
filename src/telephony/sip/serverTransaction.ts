/**
 * Server transactions (RFC 3261 §17.2, with RFC 6026's Accepted state). The INVITE one answers 100 Trying at once,
 * resends its last response when the request is resent, resends a non-2xx final response on Timer G until the ACK
 * (giving up at Timer H = 64·T1), and resends a 2xx from T1 doubling to T2 until the ACK of the 2xx (which has a
 * branch of its own and is matched by Call-ID, CSeq and From tag), giving up at 64·T1 with `unacknowledged`: the
 * caller never confirmed, so the call must be ended with a BYE. The non-INVITE one keeps its final response for
 * Timer J to answer resent requests.
 *
 * @example
 *   const transaction = layer.receiveRequest(invite, peer);   // 100 Trying already sent
 *   transaction.respond(response(invite, 180, 'Ringing'));
 */
import { SIP_TIMERS, type SipClock } from './clock.js';
import type { Parsed, SipRequest, SipResponse } from './message.js';
import type { Peer } from './peer.js';

export type ServerState = 'trying' | 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

export interface ServerTransactionHost {
  clock: SipClock;
  send(message: SipResponse, to: Peer): void;
  /** The transaction is over: forget it. */
  ended(transaction: ServerTransaction): void;
  /** A 2xx to this INVITE went out: its ACK, on a branch of its own, must find the transaction. */
  accepted(transaction: ServerTransaction): void;
}

export class ServerTransaction {
  state: ServerState = 'trying';
  private lastResponse: SipResponse | null = null;
  private resendTimer: unknown = null;
  private endTimer: unknown = null;
  private interval: number = SIP_TIMERS.t1;
  /** Set on a 2xx to an INVITE: fires when the ACK arrives (true) or never did (false). */
  onAcknowledged: ((acknowledged: boolean) => void) | null = null;

  constructor(
    private readonly host: ServerTransactionHost,
    readonly key: string,
    readonly request: Parsed<SipRequest>,
    /** Where responses go (already worked out from Via and the source). */
    readonly replyTo: Peer,
  ) {}

  get isInvite(): boolean {
    return this.request.method === 'INVITE';
  }

  /** A final response was sent. */
  get answered(): boolean {
    return this.state !== 'trying' && this.state !== 'proceeding';
  }

  private get reliable(): boolean {
    return this.replyTo.transport === 'tcp';
  }

  respond(response: SipResponse): void {
    if (this.answered) return;
    this.lastResponse = response;
    this.host.send(response, this.replyTo);
    if (response.status < 200) {
      this.state = 'proceeding';
      return;
    }
    const { clock } = this.host;
    if (!this.isInvite) {
      this.state = 'completed';
      this.endTimer = clock.after(this.reliable ? 0 : 64 * SIP_TIMERS.t1, () => this.terminate());
      return;
    }
    this.state = response.status < 300 ? 'accepted' : 'completed';
    if (this.state === 'accepted') this.host.accepted(this);
    // A 2xx is resent even over TCP (§13.3.1.4): a UDP hop may lie beyond the first one.
    if (this.state === 'accepted' || !this.reliable) this.scheduleResend();
    this.endTimer = clock.after(64 * SIP_TIMERS.t1, () => {
      if (this.state === 'accepted') this.onAcknowledged?.(false);
      this.terminate();
    });
  }

  /** The same request again: a lost response, so the last one goes again. */
  requestResent(): void {
    if (this.lastResponse !== null && this.state !== 'confirmed') this.host.send(this.lastResponse, this.replyTo);
  }

  /** The ACK of this INVITE's final response. */
  acknowledged(): void {
    if (this.state === 'accepted') {
      this.host.clock.cancel(this.resendTimer);
      this.onAcknowledged?.(true);
      this.onAcknowledged = null;
      this.terminate();
    } else if (this.state === 'completed') {
      this.state = 'confirmed';
      this.host.clock.cancel(this.resendTimer);
      this.host.clock.cancel(this.endTimer);
      this.endTimer = this.host.clock.after(this.reliable ? 0 : SIP_TIMERS.t4, () => this.terminate());
    }
  }

  private scheduleResend(): void {
    this.resendTimer = this.host.clock.after(this.interval, () => {
      if (this.state !== 'accepted' && this.state !== 'completed') return;
      this.host.send(this.lastResponse!, this.replyTo);
      this.interval = Math.min(this.interval * 2, SIP_TIMERS.t2);
      this.scheduleResend();
    });
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.host.clock.cancel(this.resendTimer);
    this.host.clock.cancel(this.endTimer);
    this.host.ended(this);
  }
}
