/**
 * The media of one SIP leg: a port pair from the pool, a `MediaLeg` on it, and the SDP that leg's offer/answer
 * exchanges produce, including the peer's re-INVITEs (hold with sendonly/inactive, resume, a moved address).
 * Closing it stops the audio and gives the port pair back.
 *
 * @example
 *   const media = await CallMedia.open(sip, leg.source.address, { events: true });
 *   const answer = media.answer(leg.offer.toString());   // ok, or why not (488)
 *   media.followReoffers(leg);
 */
import type { SipLeg } from './sip/leg.js';
import { MediaLeg } from './media/mediaLeg.js';
import { answerOffer, makeOffer, readAnswer, type Negotiation } from './media/sdp.js';
import type { RtpPorts } from './media/ports.js';
import type { SipService } from './sipService.js';

/** A leg whose peer sent no RTP for this long (two checks in a row) is taken for gone: its call is hung up. */
export const RTP_TIMEOUT_MS = 60_000;

export class CallMedia {
  private version = 1;
  private closed = false;
  private watch: NodeJS.Timeout | null = null;

  private constructor(
    private readonly sip: SipService,
    private readonly ports: RtpPorts,
    readonly leg: MediaLeg,
    /** Whether this leg's SDP carries telephone-event: the caller's does, the agent's never. */
    private readonly events: boolean,
  ) {}

  /** Opens a port pair for a leg whose signalling comes from `signalling`. Rejects when the range is exhausted. */
  static async open(sip: SipService, signalling: string, options: { events: boolean }): Promise<CallMedia> {
    const ports = await sip.ports.open();
    const leg = new MediaLeg(ports, { host: sip.self.host, signalling, clock: sip.mediaClock });
    return new CallMedia(sip, ports, leg, options.events);
  }

  /** Answers the peer's offer; on success the leg sends and receives as agreed. */
  answer(offer: string): Negotiation {
    const answered = answerOffer(offer, this.leg.local, this.version++, this.events);
    if (answered.ok) this.leg.negotiate(answered.media);
    return answered;
  }

  /** Our offer, for a leg paytone calls out on. */
  offer(): string {
    return makeOffer(this.leg.local, this.version++, { events: this.events });
  }

  /** Reads the peer's answer to our offer; false (with the reason) when it is unusable. */
  accept(answer: string): { ok: true } | { ok: false; problem: string } {
    const read = readAnswer(answer, this.events);
    if (!read.ok) return read;
    this.leg.negotiate(read.media);
    return { ok: true };
  }

  /** Answers the peer's later offers on this leg (re-INVITE); one without G.711 gets 488 and changes nothing. */
  followReoffers(sip: SipLeg): void {
    sip.onOffer = (offer) => {
      if (offer.length === 0) return Buffer.from(makeOffer(this.leg.local, this.version++, { events: this.events }));
      const answered = this.answer(offer.toString());
      return answered.ok ? Buffer.from(answered.sdp) : null;
    };
  }

  /**
   * Calls `gone` once the peer has sent nothing for `RTP_TIMEOUT_MS`, so a call whose party vanished without a BYE
   * (a crashed phone, a lost network) does not stay up. A leg held `inactive` is expected to be quiet. The check
   * compares packet counts every half timeout: nothing is added to the per-packet path.
   */
  watchForSilence(gone: () => void, timeoutMs = RTP_TIMEOUT_MS): void {
    let seen = -1;
    let quiet = 0;
    this.watch = setInterval(() => {
      const heard = this.leg.counts.received;
      const held = this.leg.negotiated?.direction === 'inactive';
      quiet = heard === seen && !held ? quiet + 1 : 0;
      seen = heard;
      if (quiet >= 2) gone();
    }, timeoutMs / 2);
    this.watch.unref();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.watch) clearInterval(this.watch);
    this.leg.stop();
    this.sip.ports.release(this.ports);
  }
}
