/**
 * The bench's callers and agents on SIP, with paytone's own SIP engine (`SipTransport`, `SipUserAgent`) on one
 * address: callers INVITE paytone's number with PCMU and telephone-event, the number's VoiceUrl (a small TwiML app
 * here) answers `<Dial><Sip>` to this same address, and the agent's side answers paytone's INVITE with PCMU. The
 * call's index travels in the caller's number and in the agent's user part, so the RTP of both legs joins it.
 *
 * @example
 *   const peers = await SipPeers.start({ paytone: { host: '127.0.0.1', port: 5060 }, media });
 *   const callSid = await peers.call(7, '+15551230001');
 *   await peers.hangUpAll();
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SipTransport } from '../../src/telephony/sip/transport.js';
import { SipUserAgent } from '../../src/telephony/sip/userAgent.js';
import { systemClock } from '../../src/telephony/sip/clock.js';
import { parseUri } from '../../src/telephony/sip/headers.js';
import type { InboundLeg } from '../../src/telephony/sip/inboundLeg.js';
import type { OutboundLeg } from '../../src/telephony/sip/outboundLeg.js';
import type { BenchMedia } from './media.js';

const HOST = '127.0.0.1';
const callerNumber = (index: number) => `+1555${String(index).padStart(7, '0')}`;

function sdp(port: number, events: boolean): Buffer {
  const formats = events ? '0 101' : '0';
  const lines = ['v=0', `o=bench ${port} 1 IN IP4 ${HOST}`, 's=bench', `c=IN IP4 ${HOST}`, 't=0 0', `m=audio ${port} RTP/AVP ${formats}`, 'a=rtpmap:0 PCMU/8000'];
  if (events) lines.push('a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16');
  lines.push('a=ptime:20', 'a=sendrecv', '');
  return Buffer.from(lines.join('\r\n'));
}

function audioPort(body: Buffer): number | null {
  const match = /^m=audio (\d+) /m.exec(body.toString('latin1'));
  return match ? Number(match[1]) : null;
}

export class SipPeers {
  private readonly callSids = new Map<number, string>();
  private readonly waiting = new Map<number, (callSid: string) => void>();
  private readonly legs: OutboundLeg[] = [];
  /** Agents' INVITEs that could not be joined to a call. */
  unknownAgents = 0;

  private constructor(
    private readonly transport: SipTransport,
    private readonly ua: SipUserAgent,
    private readonly twiml: http.Server,
    private readonly paytone: { host: string; port: number },
  ) {}

  static async start(o: { paytone: { host: string; port: number }; media: BenchMedia }): Promise<SipPeers> {
    let ua: SipUserAgent | null = null;
    const transport = await SipTransport.listen({ host: HOST, port: 0 }, {
      message: (message, from) => ua?.receive(message, from),
      malformed: () => undefined,
      unreachable: (peer) => ua?.unreachable(peer),
    });
    let peers: SipPeers | null = null;
    ua = new SipUserAgent({
      clock: systemClock,
      self: { host: HOST, port: transport.port },
      send: (message, to) => transport.send(message, to),
      isTrusted: () => true,
      onInvite: (leg) => peers!.answerAgent(leg, o.media),
      limits: { transactionsPerSource: 1_000_000, callsPerSource: 1_000_000, transactions: 1_000_000 },
    });
    const twiml = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        const index = Number((params.get('From') ?? '').slice(5));
        const callSid = params.get('CallSid') ?? '';
        peers!.learned(index, callSid);
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(`<Response><Dial><Sip>sip:agent${index}@${HOST}:${transport.port}</Sip></Dial></Response>`);
      });
    });
    await new Promise<void>((resolve) => twiml.listen(0, HOST, resolve));
    peers = new SipPeers(transport, ua, twiml, o.paytone);
    return peers;
  }

  /** The VoiceUrl to give paytone's number. */
  get voiceUrl(): string {
    return `http://${HOST}:${(this.twiml.address() as AddressInfo).port}/voice`;
  }

  /**
   * Caller `index` calls `number`; resolves with the CallSid once paytone answered, its RTP flowing to `media`.
   * Rejects when paytone refuses the call.
   */
  async call(index: number, number: string, media: BenchMedia): Promise<string> {
    const callSid = new Promise<string>((resolve) => {
      const known = this.callSids.get(index);
      if (known) resolve(known);
      else this.waiting.set(index, resolve);
    });
    const leg = this.ua.call({
      target: `sip:${number}@${this.paytone.host}:${this.paytone.port}`,
      hop: { transport: 'udp', address: this.paytone.host, port: this.paytone.port },
      from: `<sip:${callerNumber(index)}@${HOST}>`,
      to: `<sip:${number}@${this.paytone.host}>`,
      sdp: sdp(media.callerPort, true),
    });
    this.legs.push(leg);
    const outcome = await leg.outcome;
    const port = outcome.sdp && audioPort(outcome.sdp);
    if (outcome.status !== 200 || !port) throw new Error(`paytone answered call ${index} ${outcome.status} ${outcome.reason}`);
    media.attachCaller(index, port);
    return callSid;
  }

  /** Every caller hangs up (paytone then hangs up the agents). */
  async hangUpAll(): Promise<void> {
    await Promise.all(this.legs.map((leg) => leg.hangUp().catch(() => undefined)));
  }

  async close(): Promise<void> {
    await this.ua.close();
    await this.transport.close();
    this.twiml.closeAllConnections();
    await new Promise((resolve) => this.twiml.close(resolve));
  }

  private learned(index: number, callSid: string): void {
    this.callSids.set(index, callSid);
    this.waiting.get(index)?.(callSid);
    this.waiting.delete(index);
  }

  private answerAgent(leg: InboundLeg, media: BenchMedia): void {
    const user = parseUri(leg.invite.uri)?.user ?? '';
    const index = /^agent(\d+)$/.exec(user);
    const port = audioPort(leg.offer);
    if (index === null || port === null) {
      this.unknownAgents++;
      leg.reject(404, 'Not Found');
      return;
    }
    media.attachAgent(Number(index[1]), port);
    void leg.answer(sdp(media.agentPort, false)).catch(() => undefined);
  }
}
