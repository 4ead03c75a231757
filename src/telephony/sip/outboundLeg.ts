/**
 * A leg paytone calls out on (the agent of a `<Dial>`, or the callee of `POST /Calls.json`). The INVITE goes out in
 * a client transaction; 18x responses report progress; the final response settles `outcome`. A 2xx is
 * acknowledged here (and again for every resent copy). Canceling before an answer sends CANCEL once the callee
 * has sent any provisional response (RFC 3261 §9.1), and a 2xx that crosses the CANCEL is acknowledged and hung up.
 *
 * @example
 *   const leg = ua.call({ target: 'sip:agent@127.0.0.1:5070', from: '<sip:+15551230002@paytone>', sdp });
 *   leg.onProgress = (status) => ...;
 *   const { status, sdp } = await leg.outcome;
 */
import { randomBytes } from 'node:crypto';
import { Dialog } from './dialog.js';
import { formatVia } from './headers.js';
import { ALLOW, newTag, SipLeg, type LegHost } from './leg.js';
import { SipHeaders, type Parsed, type SipRequest, type SipResponse } from './message.js';
import type { Peer } from './peer.js';
import { newBranch } from './transactionLayer.js';

export interface CallRequest {
  /** Request-URI: `sip:agent@10.0.0.5:5070`. */
  target: string;
  /** Where the INVITE is sent (the target's address, or the trunk's). */
  hop: Peer;
  /** From and To as name-addr without tags. */
  from: string;
  to: string;
  sdp: Buffer;
}

export interface CallOutcome {
  status: number;
  reason: string;
  /** The callee's SDP answer (2xx). */
  sdp: Buffer | null;
}

export class OutboundLeg extends SipLeg {
  readonly invite: SipRequest;
  readonly outcome: Promise<CallOutcome>;
  onProgress: ((status: number) => void) | null = null;
  private settleOutcome!: (outcome: CallOutcome) => void;
  private provisional = false;
  private cancelWanted = false;
  private canceled = false;
  private ack: SipRequest | null = null;

  constructor(
    host: LegHost,
    private readonly call: CallRequest,
  ) {
    super(host, `${randomBytes(12).toString('hex')}@${host.self.host}`);
    this.outcome = new Promise((resolve) => (this.settleOutcome = resolve));
    const headers = new SipHeaders()
      .set('via', formatVia({ transport: call.hop.transport.toUpperCase(), host: host.self.host, port: host.self.port, params: new Map([['branch', newBranch()], ['rport', null]]) }))
      .set('max-forwards', '70')
      .set('from', `${call.from};tag=${newTag()}`)
      .set('to', call.to)
      .set('call-id', this.callId)
      .set('cseq', '1 INVITE')
      .set('contact', `<${host.self.contact}>`)
      .set('allow', ALLOW)
      .set('user-agent', 'paytone')
      .set('content-type', 'application/sdp');
    this.invite = { kind: 'request', method: 'INVITE', uri: call.target, headers, body: call.sdp };
  }

  /** Sends the INVITE. */
  start(): void {
    this.host.request(this.invite, this.call.hop, {
      response: (response) => this.response(response),
      timeout: () => this.fail(408, 'Request Timeout'),
    });
  }

  /** Stops ringing the callee: CANCEL now, or once it has sent a provisional response. */
  cancel(): void {
    if (this.isOver || this.dialog !== null) return;
    this.cancelWanted = true;
    if (this.provisional) this.sendCancel();
  }

  async hangUp(): Promise<void> {
    if (this.isOver) return;
    if (this.dialog === null) {
      this.cancel();
      await this.outcome;
      return;
    }
    await this.bye();
  }

  private response(response: Parsed<SipResponse>): void {
    if (response.status < 200) {
      this.provisional = true;
      if (this.cancelWanted) this.sendCancel();
      else if (response.status > 100) this.onProgress?.(response.status);
      return;
    }
    if (response.status >= 300) return this.fail(response.status, response.reason);
    if (this.ack !== null) {
      this.host.send(this.ack, this.call.hop);
      return;
    }
    const dialog = Dialog.asCaller(this.invite, response, this.host.self);
    this.dialog = dialog;
    this.host.enter(this);
    void dialog.nextHop().then(
      (hop) => {
        this.ack = dialog.request('ACK', hop, newBranch(), undefined, 1);
        this.host.send(this.ack, hop);
        if (this.cancelWanted || this.isOver) {
          this.settleOutcome({ status: 487, reason: 'Request Terminated', sdp: null });
          void this.bye();
        } else this.settleOutcome({ status: response.status, reason: response.reason, sdp: response.body });
      },
      () => {
        this.fail(502, 'Bad Gateway');
      },
    );
  }

  private sendCancel(): void {
    if (this.canceled) return;
    this.canceled = true;
    const headers = new SipHeaders()
      .set('via', this.invite.headers.all('via')[0]!)
      .set('max-forwards', '70')
      .set('from', this.invite.headers.get('from')!)
      .set('to', this.invite.headers.get('to')!)
      .set('call-id', this.callId)
      .set('cseq', '1 CANCEL');
    const cancel: SipRequest = { kind: 'request', method: 'CANCEL', uri: this.invite.uri, headers, body: Buffer.alloc(0) };
    this.host.request(cancel, this.call.hop, { response: () => undefined, timeout: () => this.fail(487, 'Request Terminated') });
  }

  private fail(status: number, reason: string): void {
    this.settleOutcome({ status, reason, sdp: null });
    this.finish(this.cancelWanted ? 'canceled' : 'failed');
  }
}
