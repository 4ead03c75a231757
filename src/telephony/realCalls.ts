/**
 * Real calls, the Twilio way, over paytone's SIP engine:
 *
 * - An INVITE from a trusted address is matched on its Request-URI user part to an IncomingPhoneNumber (as given,
 *   or with a leading `+`). No G.711 in the offer: 488; no such number: 404; in both cases no Call exists. A match
 *   becomes an inbound Call (`ringing`, 180 sent), and the number's VoiceUrl runs over the call's `SipCall`.
 * - `POST /Calls.json` to `sip:...` (or to a number when PAYTONE_SIP_TRUNK is set) rings the callee; once it
 *   answers, the call's Url/Twiml runs over it. The API's `Status=completed` hangs it up or cancels it.
 * - An INVITE from an untrusted address was answered 403 by the user agent; here it leaves an audit entry on the
 *   account that owns the number it asked for, at most one per source address a minute.
 *
 * @example
 *   const calls = new RealCalls({ sip, lifecycle, runner, phoneNumbers, auditLog, trunk, log });
 *   sip.serve(calls);
 *   app.outboundDialer = calls;
 */
import type { Logger } from '../log.js';
import type { CallRecord } from '../domain/callView.js';
import type { AuditEntry } from '../domain/audit.js';
import type { CallLifecycle, CallRunner, OutboundDialer } from './callPorts.js';
import type { DialTarget } from '../twiml/callControl.js';
import { NO_TAP, type CallerTaps } from './callerAudio.js';
import { Dialing, RingingCall } from './dialing.js';
import { SipCall, type CallVoices } from './sipCall.js';
import { answerOffer } from './media/sdp.js';
import { parseUri, type NameAddr } from './sip/headers.js';
import type { InboundLeg } from './sip/inboundLeg.js';
import type { Parsed, SipRequest } from './sip/message.js';
import type { Peer } from './sip/peer.js';
import type { SipHandlers, SipService } from './sipService.js';

export interface RealCallsDeps {
  sip: SipService;
  lifecycle: CallLifecycle;
  runner: CallRunner;
  phoneNumbers: { findByNumber(phoneNumber: string): Promise<{ sid: string; accountSid: string; phoneNumber: string } | null> };
  auditLog: { append(entry: AuditEntry): Promise<unknown> };
  trunk: string | null;
  log: Logger;
  /** Where each call's caller audio and keys go first (DTMF receivers, masker); none by default. */
  taps?: CallerTaps;
  /** How each call says `<Say>` and plays `<Play>` to its caller. */
  voices: CallVoices;
}

const AUDIT_INTERVAL_MS = 60_000;

export class RealCalls implements SipHandlers, OutboundDialer {
  private readonly dialing: Dialing;
  private readonly taps: CallerTaps;
  /** Calls this process holds, by sid: ringing out, or up with their control. */
  private readonly active = new Map<string, { ringing?: RingingCall; control?: SipCall }>();
  private readonly lastRefusalAudit = new Map<string, number>();

  constructor(private readonly deps: RealCallsDeps) {
    this.dialing = new Dialing({ sip: deps.sip, lifecycle: deps.lifecycle, trunk: deps.trunk, log: deps.log });
    this.taps = deps.taps ?? NO_TAP;
  }

  get dialsNumbers(): boolean {
    return this.dialing.dialsNumbers;
  }

  get calls(): number {
    return this.active.size;
  }

  onInvite(leg: InboundLeg): void {
    void this.inbound(leg).catch((err: unknown) => {
      this.deps.log.error({ err, sipCallId: leg.callId }, 'inbound call failed');
      leg.reject(500, 'Server Internal Error');
    });
  }

  onUntrusted(request: Parsed<SipRequest>, source: Peer): void {
    if (request.method !== 'INVITE') return;
    const now = Date.now();
    if (now - (this.lastRefusalAudit.get(source.address) ?? 0) < AUDIT_INTERVAL_MS) return;
    this.lastRefusalAudit.set(source.address, now);
    if (this.lastRefusalAudit.size > 10_000) this.lastRefusalAudit.clear();
    this.deps.log.warn({ source: source.address, to: request.uri }, 'INVITE refused (403): the source is not in PAYTONE_SIP_TRUST');
    void this.auditRefusal(request, source, now).catch((err: unknown) => this.deps.log.error({ err }, 'refused INVITE not audited'));
  }

  place(call: CallRecord, options: { timeoutSeconds: number }): void {
    const target: DialTarget = call.to.startsWith('sip:') ? { kind: 'sip', uri: call.to } : { kind: 'number', number: call.to };
    void this.outbound(call, target, options.timeoutSeconds).catch((err: unknown) => this.deps.log.error({ err, callSid: call.sid }, 'outbound call failed'));
  }

  async hangUp(callSid: string): Promise<boolean> {
    const held = this.active.get(callSid);
    if (held === undefined) return false;
    if (held.control) await held.control.hangUp();
    else await held.ringing?.hangUp();
    return true;
  }

  private async inbound(leg: InboundLeg): Promise<void> {
    const usable = answerOffer(leg.offer.toString(), { address: '0.0.0.0', port: 9 }, 1);
    if (!usable.ok) {
      this.deps.log.info({ sipCallId: leg.callId, problem: usable.problem }, 'INVITE refused (488)');
      return leg.reject(488, 'Not Acceptable Here', { warning: `399 paytone "${usable.problem.replace(/"/g, "'")}"` });
    }
    const dialed = parseUri(leg.invite.uri)?.user ?? '';
    const number = await this.findNumber(dialed);
    if (number === null) {
      this.deps.log.info({ sipCallId: leg.callId, to: dialed }, 'INVITE refused (404): no IncomingPhoneNumber matches');
      return leg.reject(404, 'Not Found');
    }
    if (leg.isOver) return;
    const record = await this.deps.lifecycle.inbound({
      accountSid: number.accountSid,
      to: number.phoneNumber,
      from: callerOf(leg.invite.core.from),
      phoneNumberSid: number.sid,
      sipCallId: leg.callId,
      sipSourceIp: leg.source.address,
    });
    leg.ring();
    const control = SipCall.inbound(record, leg, this.callDeps(), this.taps(record.sid));
    this.hold(record.sid, { control }, leg.ended);
    await this.deps.runner.run(record, control).catch((err: unknown) => this.deps.log.error({ err, callSid: record.sid }, 'the call TwiML failed'));
    await control.hangUp();
  }

  private async outbound(call: CallRecord, target: DialTarget, timeoutSeconds: number): Promise<void> {
    const ringing = await this.dialing.ring(call, target, { timeoutSeconds, events: true });
    if (!(ringing instanceof RingingCall)) return;
    const held: { ringing?: RingingCall; control?: SipCall } = { ringing };
    this.hold(call.sid, held, ringing.ended);
    if (!(await ringing.answered)) return;
    const control = SipCall.answered(call, ringing, this.callDeps(), this.taps(call.sid));
    held.control = control;
    await this.deps.runner.run(call, control).catch((err: unknown) => this.deps.log.error({ err, callSid: call.sid }, 'the call TwiML failed'));
    await control.hangUp();
  }

  private hold(callSid: string, held: { ringing?: RingingCall; control?: SipCall }, ended: Promise<unknown>): void {
    this.active.set(callSid, held);
    void ended.then(() => {
      if (this.active.get(callSid) === held) this.active.delete(callSid);
    });
  }

  private callDeps() {
    return { sip: this.deps.sip, lifecycle: this.deps.lifecycle, dialing: this.dialing, log: this.deps.log, voices: this.deps.voices };
  }

  /** The number as dialed, or with the `+` a PBX or carrier may have left off. */
  private async findNumber(dialed: string): Promise<{ sid: string; accountSid: string; phoneNumber: string } | null> {
    if (dialed === '') return null;
    const found = await this.deps.phoneNumbers.findByNumber(dialed);
    if (found !== null || !/^\d+$/.test(dialed)) return found;
    return this.deps.phoneNumbers.findByNumber(`+${dialed}`);
  }

  private async auditRefusal(request: Parsed<SipRequest>, source: Peer, at: number): Promise<void> {
    const number = await this.findNumber(parseUri(request.uri)?.user ?? '');
    if (number === null) return;
    await this.deps.auditLog.append({
      at,
      accountSid: number.accountSid,
      credential: 'sip-untrusted',
      sourceIp: source.address,
      userAgent: request.headers.get('user-agent') ?? null,
      action: 'sip.invite.refused',
      method: 'INVITE',
      path: request.uri,
      callSid: null,
      paymentSid: null,
      statusCode: 403,
      errorCode: null,
      parameters: { From: callerOf(request.core.from), To: number.phoneNumber },
    });
  }
}

/** Twilio's `From` of a SIP caller: the user part when it is a number, else the caller's SIP URI. */
function callerOf(from: NameAddr): string {
  const uri = parseUri(from.uri);
  if (uri?.user && /^\+?\d{2,20}$/.test(uri.user)) return uri.user;
  return from.uri;
}
