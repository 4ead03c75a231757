/**
 * paytone's telephony engine as the process runs it: the SIP transport on PAYTONE_SIP_LISTEN (UDP and TCP), the
 * user agent with its trust list and per-source limits, the RTP port pool and the media clock. What to do with a
 * call is not decided here: the handlers given to `serve` get each INVITE from a trusted address (`onInvite`) and
 * each request that was refused with 403 (`onUntrusted`); until then INVITEs are answered 503.
 *
 * Left at the default address, a port another program holds (a softphone on the same laptop) is one warning and
 * paytone runs without SIP; an address set explicitly that cannot be had stops start-up.
 *
 * @example
 *   const sip = await SipService.start(config.sip, log);
 *   sip?.serve({ onInvite, onUntrusted });
 *   await sip?.close();
 */
import type { Logger } from '../log.js';
import { systemClock } from './sip/clock.js';
import type { InboundLeg } from './sip/inboundLeg.js';
import type { Parsed, SipRequest } from './sip/message.js';
import type { Peer } from './sip/peer.js';
import { SipTransport } from './sip/transport.js';
import { SipUserAgent } from './sip/userAgent.js';
import { MediaClock, type BeatObserver } from './media/mediaClock.js';
import { RtpPortPool } from './media/ports.js';
import { trustedBy, type SipSettings } from './sipSettings.js';

export interface SipHandlers {
  onInvite(leg: InboundLeg): void;
  onUntrusted(request: Parsed<SipRequest>, source: Peer): void;
}

/** At most one line per this many ms about malformed SIP, with how many were dropped meanwhile. */
const MALFORMED_LOG_MS = 10_000;

export class SipService {
  private malformed = 0;
  private lastMalformedLog = 0;
  private handlers: SipHandlers = {
    onInvite: (leg) => leg.reject(503, 'Service Unavailable', { 'retry-after': '5' }),
    onUntrusted: () => undefined,
  };

  private constructor(
    readonly transport: SipTransport,
    readonly ua: SipUserAgent,
    readonly ports: RtpPortPool,
    readonly mediaClock: MediaClock,
    /** The address in our Via, Contact and SDP. */
    readonly self: { host: string; port: number },
  ) {}

  /** Listens as the settings say; null when the default address was busy (after one warning). `beats`: the media clock's metrics. */
  static async start(settings: SipSettings, log: Logger, options: { beats?: BeatObserver } = {}): Promise<SipService | null> {
    let ua: SipUserAgent | null = null;
    let service: SipService | null = null;
    let transport: SipTransport;
    try {
      transport = await SipTransport.listen(settings.listen, {
        message: (message, from) => ua?.receive(message, from),
        malformed: (problem, from) => service?.noteMalformed(log, problem, from),
        unreachable: (peer) => ua?.unreachable(peer),
      });
    } catch (error) {
      const address = `${settings.listen.host}:${settings.listen.port}`;
      const reason = (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'is in use by another program' : `cannot be used (${(error as Error).message})`;
      if (settings.explicit) throw new Error(`PAYTONE_SIP_LISTEN ${address} ${reason}; choose a free address and port, or set it to off`);
      log.warn({ address }, `SIP is off: ${address} ${reason}; set PAYTONE_SIP_LISTEN to another address (or off) for real calls`);
      return null;
    }
    const self = { host: settings.publicAddress.host, port: settings.publicAddress.port ?? transport.port };
    ua = new SipUserAgent({
      clock: systemClock,
      self,
      send: (message, to) => transport.send(message, to),
      isTrusted: trustedBy(settings.trust),
      onInvite: (leg) => service!.handlers.onInvite(leg),
      onUntrusted: (request, source) => service!.handlers.onUntrusted(request, source),
    });
    service = new SipService(transport, ua, new RtpPortPool(settings.rtpPorts, settings.listen.host), new MediaClock(undefined, options.beats), self);
    log.info({ sip: `${settings.listen.host}:${transport.port}`, publicAddress: `${self.host}:${self.port}`, rtpPorts: `${settings.rtpPorts.first}-${settings.rtpPorts.last}` }, 'SIP listening on UDP and TCP');
    return service;
  }

  /** From now on, calls go to `handlers`. */
  serve(handlers: SipHandlers): void {
    this.handlers = handlers;
  }

  /**
   * Hangs up every call and stops listening. A peer that does not answer its BYE is not waited for beyond
   * `byeWaitMs`: the shutdown's grace period is for the process's own work.
   */
  async close(byeWaitMs = 2000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.ua.close(), new Promise((resolve) => (timer = setTimeout(resolve, byeWaitMs)))]);
    clearTimeout(timer);
    await this.transport.close();
  }

  private noteMalformed(log: Logger, problem: string, from: Peer): void {
    this.malformed++;
    const now = Date.now();
    if (now - this.lastMalformedLog < MALFORMED_LOG_MS) return;
    this.lastMalformedLog = now;
    log.info({ source: `${from.address}:${from.port}`, problem, dropped: this.malformed }, 'malformed SIP dropped');
    this.malformed = 0;
  }
}
