/**
 * Ringing one outgoing call: the leg of a `<Dial>` (an agent) or the callee of `POST /Calls.json`. A `sip:` target
 * is called where its URI points; a plain number goes to PAYTONE_SIP_TRUNK as `sip:<number>@<trunk>`. Progress is
 * reported to the call lifecycle (18x: ringing; 2xx: answered) and the end with Twilio's status for it:
 *
 * | SIP | status |
 * |---|---|
 * | 486 Busy Here, 600 Busy Everywhere, 603 Decline | `busy` |
 * | 408, 480, or no answer within the timeout (CANCEL) | `no-answer` |
 * | canceled by paytone (the caller hung up, another leg answered, the API) | `canceled` |
 * | any other 3xx-6xx, an unreachable target, an answer without G.711 | `failed` |
 * | 2xx, then hung up by either side | `completed` |
 *
 * @example
 *   const ringing = await dialing.ring(child, { kind: 'sip', uri: 'sip:agent@10.0.0.5' }, { timeoutSeconds: 30, events: false });
 *   if (await ringing.answered) bridge(...);
 */
import type { Logger } from '../log.js';
import type { CallRecord, FinalCallStatus } from '../domain/callView.js';
import type { DialTarget } from '../twiml/callControl.js';
import type { CallLifecycle } from './callPorts.js';
import { CallMedia } from './callMedia.js';
import { formatUri, parseUri } from './sip/headers.js';
import type { OutboundLeg } from './sip/outboundLeg.js';
import { resolvePeer } from './sip/resolve.js';
import type { SipService } from './sipService.js';

export interface DialingDeps {
  sip: SipService;
  lifecycle: CallLifecycle;
  /** PAYTONE_SIP_TRUNK, or null: plain numbers cannot be dialed. */
  trunk: string | null;
  log: Logger;
}

/** Twilio's status for a final SIP response to an INVITE that was not canceled by paytone. */
export function statusForResponse(status: number): FinalCallStatus {
  if (status === 486 || status === 600 || status === 603) return 'busy';
  if (status === 408 || status === 480) return 'no-answer';
  return 'failed';
}

/** Where a target is called: the Request-URI and the address the INVITE goes to. */
export function targetUri(target: DialTarget, trunk: string | null): string | null {
  if (target.kind === 'sip') return parseUri(target.uri) === null ? null : target.uri;
  const via = trunk === null ? null : parseUri(trunk);
  if (via === null) return null;
  return formatUri({ ...via, user: target.number });
}

/** One outgoing call being rung, then up, then over. */
export class RingingCall {
  /** True once answered (with usable media); false when it ended without an answer. */
  readonly answered: Promise<boolean>;
  /** The call's final status, once it is over. */
  readonly ended: Promise<FinalCallStatus>;
  private canceledAs: FinalCallStatus | null = null;
  private answeredAt: number | null = null;

  constructor(
    readonly call: CallRecord,
    readonly leg: OutboundLeg,
    readonly media: CallMedia,
    deps: DialingDeps,
    timeoutSeconds: number,
  ) {
    const timer = setTimeout(() => this.cancel('no-answer'), timeoutSeconds * 1000);
    leg.onProgress = () => void deps.lifecycle.ringing(call.sid).catch((err: unknown) => deps.log.error({ err, callSid: call.sid }, 'ringing not recorded'));
    this.answered = leg.outcome.then(async (outcome) => {
      clearTimeout(timer);
      if (outcome.status >= 300 || outcome.sdp === null) return false;
      const accepted = media.accept(outcome.sdp.toString());
      if (!accepted.ok) {
        deps.log.warn({ callSid: call.sid, problem: accepted.problem }, 'the callee answered without usable audio; hanging up');
        this.canceledAs = 'failed';
        await leg.hangUp();
        return false;
      }
      media.followReoffers(leg);
      media.leg.start();
      media.watchForSilence(() => {
        deps.log.warn({ callSid: call.sid }, 'no RTP from the callee for a minute: hanging up');
        void leg.hangUp();
      });
      this.answeredAt = Date.now();
      await deps.lifecycle.answered(call.sid);
      return true;
    });
    this.ended = Promise.all([leg.ended, leg.outcome, this.answered.catch(() => false)]).then(async ([, outcome, answered]) => {
      clearTimeout(timer);
      media.close();
      const status: FinalCallStatus = answered ? 'completed' : (this.canceledAs ?? statusForResponse(outcome.status));
      await deps.lifecycle.ended(call.sid, status);
      return status;
    });
  }

  /** Seconds since the answer (0 when never answered). */
  get durationSeconds(): number {
    return this.answeredAt === null ? 0 : Math.round((Date.now() - this.answeredAt) / 1000);
  }

  /** Stops ringing; the call ends as `status`. Nothing once it was answered. */
  cancel(status: 'no-answer' | 'canceled'): void {
    if (this.leg.dialog !== null || this.leg.isOver) return;
    this.canceledAs = status;
    this.leg.cancel();
  }

  /** Ends the call whatever its state: CANCEL while ringing, BYE once up. */
  async hangUp(): Promise<FinalCallStatus> {
    this.canceledAs ??= 'canceled';
    await this.leg.hangUp();
    return this.ended;
  }
}

export class Dialing {
  constructor(private readonly deps: DialingDeps) {}

  get dialsNumbers(): boolean {
    return this.deps.trunk !== null;
  }

  /**
   * Rings `target` for `call` (already stored, `queued`): opens its media, sends the INVITE. With `events` the
   * offer lists telephone-event (a callee whose keypad matters); an agent's never does.
   */
  async ring(call: CallRecord, target: DialTarget, options: { timeoutSeconds: number; events: boolean }): Promise<RingingCall | FinalCallStatus> {
    const uri = targetUri(target, this.deps.trunk);
    const hop = uri === null ? null : await resolvePeer(parseUri(uri)).catch(() => null);
    if (uri === null || hop === null) {
      this.deps.log.warn({ callSid: call.sid, to: call.to }, 'the call cannot be placed: no usable SIP address (or trunk) for it');
      await this.deps.lifecycle.ended(call.sid, 'failed');
      return 'failed';
    }
    let media: CallMedia;
    try {
      media = await CallMedia.open(this.deps.sip, hop.address, { events: options.events });
    } catch (err) {
      this.deps.log.error({ err, callSid: call.sid }, 'no RTP ports for the call');
      await this.deps.lifecycle.ended(call.sid, 'failed');
      return 'failed';
    }
    const self = this.deps.sip.self;
    const from = call.from.startsWith('sip:') ? call.from : `sip:${call.from}@${self.host}`;
    const leg = this.deps.sip.ua.call({ target: uri, hop, from: `<${from}>`, to: `<${uri}>`, sdp: Buffer.from(media.offer()) });
    return new RingingCall(call, leg, media, this.deps, options.timeoutSeconds);
  }
}
