/**
 * One call leg of the B2BUA: a dialog with one peer, whichever side sent the INVITE. What both kinds share lives
 * here: requests the peer sends inside the dialog (BYE ends the leg; a re-INVITE, for hold and resume, is answered
 * from `onOffer`; INFO is answered 200 and handed to `onInfo`; OPTIONS is answered 200), and hanging up with a BYE.
 *
 * @example
 *   leg.onOffer = (sdp) => media.answerReoffer(sdp);   // null answers 488
 *   leg.ended.then((reason) => ...);
 *   await leg.hangUp();
 */
import { randomBytes } from 'node:crypto';
import type { SipClock } from './clock.js';
import type { ClientHandlers } from './clientTransaction.js';
import type { Dialog } from './dialog.js';
import type { Parsed, SipRequest, SipResponse } from './message.js';
import type { Peer } from './peer.js';
import type { ServerTransaction } from './serverTransaction.js';
import { newBranch, responseTo } from './transactionLayer.js';

/** How a leg ended: who hung up, or why it never got going. */
export type LegEnd =
  | 'hung-up-here'
  | 'hung-up-there'
  | 'canceled'
  | 'rejected'
  /** The peer never acknowledged our 2xx (64·T1): a half-open call, reaped. */
  | 'no-ack'
  | 'failed';

/** What a leg needs from the user agent that made it. */
export interface LegHost {
  clock: SipClock;
  self: { host: string; port: number; contact: string };
  send(message: SipRequest | SipResponse, to: Peer): void;
  request(request: SipRequest, to: Peer, handlers: ClientHandlers): void;
  enter(leg: SipLeg): void;
  leave(leg: SipLeg): void;
}

export const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO';
const SDP = 'application/sdp';

export function newTag(): string {
  return randomBytes(6).toString('hex');
}

export abstract class SipLeg {
  dialog: Dialog | null = null;
  /** A new SDP offer from the peer (re-INVITE; empty when it wants ours): the answer, or null to refuse it (488). */
  onOffer: ((offer: Buffer) => Buffer | null) | null = null;
  /** INFO from the peer (DTMF relay, RFC 2976): already answered 200. */
  onInfo: ((contentType: string, body: Buffer) => void) | null = null;
  readonly ended: Promise<LegEnd>;
  private settle!: (reason: LegEnd) => void;
  private over = false;

  protected constructor(
    protected readonly host: LegHost,
    readonly callId: string,
  ) {
    this.ended = new Promise((resolve) => (this.settle = resolve));
  }

  get isOver(): boolean {
    return this.over;
  }

  /** Ends the leg here: BYE once answered, otherwise what the direction's rules say. */
  abstract hangUp(): Promise<void>;

  /** A request from the peer inside this leg's dialog. */
  receive(transaction: ServerTransaction): void {
    const request = transaction.request;
    if (this.dialog && !this.dialog.acceptRemoteSeq(request.core.cseq)) {
      transaction.respond(responseTo(request, 500, 'Server Internal Error'));
      return;
    }
    switch (request.method) {
      case 'BYE':
        transaction.respond(responseTo(request, 200, 'OK'));
        this.finish('hung-up-there');
        return;
      case 'INVITE':
        return this.reoffer(transaction);
      case 'INFO':
        transaction.respond(responseTo(request, 200, 'OK'));
        this.onInfo?.(request.headers.get('content-type') ?? '', request.body);
        return;
      case 'OPTIONS':
        transaction.respond(this.withContact(responseTo(request, 200, 'OK')));
        return;
      default:
        transaction.respond(methodNotAllowed(request));
    }
  }

  /** Sends BYE inside the dialog and ends the leg; resolves when the peer answered or gave up. */
  protected async bye(): Promise<void> {
    const dialog = this.dialog;
    this.finish('hung-up-here');
    if (dialog === null) return;
    const hop = await dialog.nextHop().catch(() => null);
    if (hop === null) return;
    await new Promise<void>((resolve) => this.host.request(dialog.request('BYE', hop, newBranch()), hop, { response: () => resolve(), timeout: () => resolve() }));
  }

  protected finish(reason: LegEnd): void {
    if (this.over) return;
    this.over = true;
    this.host.leave(this);
    this.settle(reason);
  }

  protected withContact(response: SipResponse): SipResponse {
    response.headers.set('contact', `<${this.host.self.contact}>`).set('allow', ALLOW);
    return response;
  }

  protected withSdp(response: SipResponse, sdp: Buffer): SipResponse {
    response.headers.set('content-type', SDP);
    response.body = sdp;
    return this.withContact(response);
  }

  private reoffer(transaction: ServerTransaction): void {
    const request = transaction.request as Parsed<SipRequest>;
    const answer = this.onOffer?.(request.body) ?? null;
    if (answer === null) {
      transaction.respond(responseTo(request, 488, 'Not Acceptable Here'));
      return;
    }
    const contact = /<([^>]+)>/.exec(request.headers.get('contact') ?? '')?.[1];
    if (contact !== undefined && this.dialog) this.dialog.remoteTarget = contact;
    transaction.respond(this.withSdp(responseTo(request, 200, 'OK'), answer));
  }
}

/** 405 with the methods paytone does take (§21.4.6). */
export function methodNotAllowed(request: Parsed<SipRequest>): SipResponse {
  const response = responseTo(request, 405, 'Method Not Allowed');
  response.headers.set('allow', ALLOW);
  return response;
}
