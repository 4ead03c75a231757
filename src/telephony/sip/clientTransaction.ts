/**
 * Client transactions (RFC 3261 §17.1, with RFC 6026's Accepted state). Over UDP a request is resent from T1,
 * doubling (an INVITE without bound, other requests up to T2), until a response arrives; no final response within
 * 64·T1 (Timer B / F) is a timeout, which the caller sees as a 408. A non-2xx final response to an INVITE is
 * acknowledged here, on the INVITE's branch, and again whenever it is resent (Timer D keeps the transaction for
 * that). A 2xx to an INVITE is the dialog's to acknowledge: every copy of it within 64·T1 is passed up.
 *
 * @example
 *   layer.sendRequest(invite, peer, { response: (r) => ..., timeout: () => ... });
 */
import { SIP_TIMERS, type SipClock } from './clock.js';
import { SipHeaders, type Parsed, type SipRequest, type SipResponse } from './message.js';
import type { Peer } from './peer.js';

export interface ClientHandlers {
  response(response: Parsed<SipResponse>): void;
  /** No final response in time, or the request could not be sent. */
  timeout(): void;
}

export interface ClientTransactionHost {
  clock: SipClock;
  send(message: SipRequest, to: Peer): void;
  ended(transaction: ClientTransaction): void;
}

type ClientState = 'calling' | 'proceeding' | 'completed' | 'accepted' | 'terminated';

export class ClientTransaction {
  private state: ClientState = 'calling';
  private resendTimer: unknown = null;
  private endTimer: unknown = null;
  private interval: number = SIP_TIMERS.t1;
  private ack: SipRequest | null = null;

  constructor(
    private readonly host: ClientTransactionHost,
    readonly key: string,
    readonly request: SipRequest,
    readonly peer: Peer,
    private readonly handlers: ClientHandlers,
  ) {}

  private get isInvite(): boolean {
    return this.request.method === 'INVITE';
  }

  /** Sends the request and starts its timers. */
  start(): void {
    this.host.send(this.request, this.peer);
    if (this.peer.transport === 'udp') this.scheduleResend();
    this.endTimer = this.host.clock.after(64 * SIP_TIMERS.t1, () => {
      if (this.state !== 'calling' && this.state !== 'proceeding') return;
      this.terminate();
      this.handlers.timeout();
    });
  }

  /** A response to this request arrived. */
  receive(response: Parsed<SipResponse>): void {
    const { clock } = this.host;
    if (this.state === 'terminated') return;
    if (response.status < 200) {
      if (this.state === 'calling') this.state = 'proceeding';
      if (this.isInvite) clock.cancel(this.resendTimer);
      if (this.state === 'proceeding') this.handlers.response(response);
      return;
    }
    if (this.state === 'completed') {
      if (this.ack !== null) this.host.send(this.ack, this.peer);
      return;
    }
    if (this.state === 'accepted') {
      if (response.status < 300) this.handlers.response(response);
      return;
    }
    clock.cancel(this.resendTimer);
    clock.cancel(this.endTimer);
    const reliable = this.peer.transport === 'tcp';
    if (this.isInvite && response.status < 300) {
      this.state = 'accepted';
      this.endTimer = clock.after(64 * SIP_TIMERS.t1, () => this.terminate());
    } else {
      this.state = 'completed';
      if (this.isInvite) {
        this.ack = ackForFailure(this.request, response);
        this.host.send(this.ack, this.peer);
      }
      this.endTimer = clock.after(reliable ? 0 : this.isInvite ? 32_000 : SIP_TIMERS.t4, () => this.terminate());
    }
    this.handlers.response(response);
  }

  /** The transport could not deliver the request (connection refused, no route). */
  failed(): void {
    if (this.state !== 'calling' && this.state !== 'proceeding') return;
    this.terminate();
    this.handlers.timeout();
  }

  private scheduleResend(): void {
    this.resendTimer = this.host.clock.after(this.interval, () => {
      if (this.state === 'calling' || (this.state === 'proceeding' && !this.isInvite)) {
        this.host.send(this.request, this.peer);
        this.interval = this.isInvite ? this.interval * 2 : Math.min(this.interval * 2, SIP_TIMERS.t2);
        if (this.state === 'proceeding') this.interval = SIP_TIMERS.t2;
        this.scheduleResend();
      }
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

/** The ACK of a non-2xx final response (§17.1.1.3): the INVITE's branch, its Route set, the response's To. */
function ackForFailure(invite: SipRequest, response: Parsed<SipResponse>): SipRequest {
  const headers = new SipHeaders()
    .set('via', invite.headers.all('via')[0]!)
    .set('max-forwards', '70')
    .set('from', invite.headers.get('from')!)
    .set('to', response.headers.get('to')!)
    .set('call-id', invite.headers.get('call-id')!)
    .set('cseq', `${response.core.cseq} ACK`);
  const route = invite.headers.all('route');
  if (route.length > 0) headers.set('route', ...route);
  return { kind: 'request', method: 'ACK', uri: invite.uri, headers, body: Buffer.alloc(0) };
}
