/**
 * A SIP dialog (RFC 3261 §12): the state two user agents share for one call, and how requests inside it are
 * built: CSeq counting up, From/To with both tags, the route set from Record-Route (as received by the callee,
 * reversed by the caller) written as Route headers, and the remote target (the peer's Contact) as Request-URI.
 *
 * @example
 *   const dialog = Dialog.asCallee(invite, localTag, contact);
 *   const hop = await dialog.nextHop();
 *   transport.send(dialog.request('BYE', hop, newBranch()), hop);
 */
import { formatVia, parseNameAddr, parseUri } from './headers.js';
import { SipHeaders, type Parsed, type SipRequest, type SipResponse } from './message.js';
import type { Peer } from './peer.js';
import { resolvePeer } from './resolve.js';

export class Dialog {
  private constructor(
    readonly callId: string,
    readonly localTag: string,
    readonly remoteTag: string,
    /** Our From when we send: the name-addr with our tag. */
    private readonly local: string,
    private readonly remote: string,
    /** The peer's Contact URI: where requests in the dialog go. */
    public remoteTarget: string,
    private readonly routeSet: string[],
    private localSeq: number,
    public remoteSeq: number,
    /** Our Via sent-by and Contact. */
    private readonly self: { host: string; port: number; contact: string },
  ) {}

  /** The dialog a callee (UAS) makes when it answers an INVITE. */
  static asCallee(invite: Parsed<SipRequest>, localTag: string, self: Dialog['self']): Dialog {
    const contact = parseNameAddr(invite.headers.get('contact') ?? '')?.uri ?? invite.uri;
    const to = `${invite.headers.get('to')!}${invite.core.to.params.has('tag') ? '' : `;tag=${localTag}`}`;
    const remoteTag = invite.core.from.params.get('tag') ?? '';
    return new Dialog(invite.core.callId, localTag, remoteTag, to, invite.headers.get('from')!, contact, invite.headers.all('record-route'), 0, invite.core.cseq, self);
  }

  /** The dialog a caller (UAC) makes from the 2xx (or tagged 1xx) to its INVITE. */
  static asCaller(invite: SipRequest, response: Parsed<SipResponse>, self: Dialog['self']): Dialog {
    const contact = parseNameAddr(response.headers.get('contact') ?? '')?.uri ?? invite.uri;
    const localTag = /;tag=([^;]+)/.exec(invite.headers.get('from')!)?.[1] ?? '';
    const seq = Number(/^\d+/.exec(invite.headers.get('cseq')!)?.[0]);
    const routes = [...response.headers.all('record-route')].reverse();
    return new Dialog(response.core.callId, localTag, response.core.to.params.get('tag') ?? '', invite.headers.get('from')!, response.headers.get('to')!, contact, routes, seq, 0, self);
  }

  /** Dialog id as seen by the requests the peer sends us: Call-ID, our tag (their To), their tag (their From). */
  get id(): string {
    return dialogId(this.callId, this.localTag, this.remoteTag);
  }

  /** A request inside the dialog, going to `hop`, with the next CSeq (an ACK repeats its INVITE's, `ackOf`). */
  request(method: string, hop: Peer, branch: string, body?: { type: string; bytes: Buffer }, ackOf?: number): SipRequest {
    const seq = method === 'ACK' && ackOf !== undefined ? ackOf : ++this.localSeq;
    const headers = new SipHeaders()
      .set('via', formatVia({ transport: hop.transport.toUpperCase(), host: this.self.host, port: this.self.port, params: new Map([['branch', branch], ['rport', null]]) }))
      .set('max-forwards', '70')
      .set('from', this.local)
      .set('to', this.remote)
      .set('call-id', this.callId)
      .set('cseq', `${seq} ${method}`)
      .set('contact', `<${this.self.contact}>`);
    let uri = this.remoteTarget;
    const routes = [...this.routeSet];
    // A strict router (no ;lr) takes the Request-URI's place and the remote target goes last (§12.2.1.1).
    if (routes.length > 0 && !/;lr\b/i.test(routes[0]!)) {
      uri = parseNameAddr(routes.shift()!)?.uri ?? uri;
      routes.push(`<${this.remoteTarget}>`);
    }
    if (routes.length > 0) headers.set('route', ...routes);
    if (body) headers.set('content-type', body.type);
    return { kind: 'request', method, uri, headers, body: body?.bytes ?? Buffer.alloc(0) };
  }

  /** Where the next request goes: the first route (loose routing) or the remote target. */
  nextHop(): Promise<Peer> {
    const first = this.routeSet[0];
    const uri = first !== undefined ? (parseNameAddr(first)?.uri ?? this.remoteTarget) : this.remoteTarget;
    return resolvePeer(parseUri(uri));
  }

  /** A request from the peer: its CSeq must grow (§12.2.2); false for an old or repeated one. */
  acceptRemoteSeq(seq: number): boolean {
    if (this.remoteSeq !== 0 && seq <= this.remoteSeq) return false;
    this.remoteSeq = seq;
    return true;
  }
}

export function dialogId(callId: string, localTag: string, remoteTag: string): string {
  return `${callId}|${localTag}|${remoteTag}`;
}
