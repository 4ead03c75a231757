/**
 * The caller's leg: an INVITE paytone received. It rings (180), is answered with our SDP (200, resent until the
 * ACK), refused (486 busy, 603 declined, 404, 488, ...), or canceled by the caller (487). A 2xx that is never
 * acknowledged within 64·T1 leaves a half-open call: the leg ends as `no-ack` and a BYE is sent.
 *
 * @example
 *   leg.ring();
 *   await leg.answer(sdpAnswer);     // resolves on the ACK
 */
import { Dialog } from './dialog.js';
import { newTag, SipLeg, type LegHost } from './leg.js';
import type { Parsed, SipRequest, SipResponse } from './message.js';
import type { Peer } from './peer.js';
import type { ServerTransaction } from './serverTransaction.js';
import { responseTo } from './transactionLayer.js';

export class InboundLeg extends SipLeg {
  readonly localTag = newTag();
  /** The ACK of our 2xx arrived. */
  private confirmed = false;

  constructor(
    host: LegHost,
    private readonly transaction: ServerTransaction,
    /** Where the INVITE came from (the caller's signalling address). */
    readonly source: Peer,
  ) {
    super(host, transaction.request.core.callId);
  }

  get invite(): Parsed<SipRequest> {
    return this.transaction.request;
  }

  /** The caller's SDP offer (empty when it sent none). */
  get offer(): Buffer {
    return this.invite.body;
  }

  get answered(): boolean {
    return this.dialog !== null;
  }

  ring(): void {
    if (this.transaction.answered || this.isOver) return;
    this.transaction.respond(this.dialogResponse(180, 'Ringing'));
  }

  /** Sends 200 with our SDP; resolves once the caller acknowledged it, rejects when it never did. */
  answer(sdp: Buffer): Promise<void> {
    if (this.isOver) return Promise.reject(new Error('the caller is gone'));
    if (this.dialog !== null) return Promise.resolve();
    this.dialog = Dialog.asCallee(this.invite, this.localTag, this.host.self);
    this.host.enter(this);
    return new Promise((resolve, reject) => {
      this.transaction.onAcknowledged = (acknowledged) => {
        if (acknowledged) {
          this.confirmed = true;
          resolve();
          return;
        }
        this.finish('no-ack');
        void this.bye();
        reject(new Error('the caller never acknowledged the answer'));
      };
      this.transaction.respond(this.withSdp(this.dialogResponse(200, 'OK'), sdp));
    });
  }

  /** A response that makes (or confirms) the dialog: our tag and Contact, and the INVITE's Record-Route (§12.1.1). */
  private dialogResponse(status: number, reason: string): SipResponse {
    const response = this.withContact(responseTo(this.invite, status, reason, this.localTag));
    const routes = this.invite.headers.all('record-route');
    if (routes.length > 0) response.headers.set('record-route', ...routes);
    return response;
  }

  get acknowledged(): boolean {
    return this.confirmed;
  }

  /** A final refusal before answering: 486 Busy Here, 603 Decline, 404, 488, ... */
  reject(status: number, reason: string, headers: Record<string, string> = {}): void {
    if (this.transaction.answered || this.isOver) return;
    const response = responseTo(this.invite, status, reason, this.localTag);
    for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
    this.transaction.respond(response);
    this.finish('rejected');
  }

  /** The caller's CANCEL arrived (already answered 200): the INVITE gets 487. */
  canceled(): void {
    if (this.transaction.answered || this.isOver) return;
    this.transaction.respond(responseTo(this.invite, 487, 'Request Terminated', this.localTag));
    this.finish('canceled');
  }

  async hangUp(): Promise<void> {
    if (this.isOver) return;
    if (this.dialog === null) {
      this.reject(480, 'Temporarily Unavailable');
      return;
    }
    await this.bye();
  }
}
