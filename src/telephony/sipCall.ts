/**
 * `CallControl` over a real call's SIP leg: what the TwiML verbs do to the caller's call. For an inbound call,
 * `answer` opens the media and sends 200 with our SDP, `reject` refuses with 486 or 603 (status `busy` or
 * `no-answer`, as Twilio's `<Reject>`), `hangUp` sends BYE (or a final response while unanswered). An outbound-api
 * call comes here already answered. `dial` rings the targets at once as child calls, bridges the first to answer
 * (the others are canceled) and resolves when the bridge ends: the agent hung up (the caller's TwiML goes on), the
 * caller hung up (the agent is hung up too), or the time limit passed.
 *
 * @example
 *   const control = SipCall.inbound(record, leg, deps);
 *   await runner.run(record, control);
 *   await control.hangUp();
 */
import type { Logger } from '../log.js';
import type { CallRecord, FinalCallStatus } from '../domain/callView.js';
import type { CallControl, DialOptions, DialOutcome, DialTarget } from '../twiml/callControl.js';
import type { CallLifecycle } from './callPorts.js';
import { CallMedia } from './callMedia.js';
import { bridge, CallerAudio, type CallerTap } from './callerAudio.js';
import { RingingCall, type Dialing } from './dialing.js';
import { InboundLeg } from './sip/inboundLeg.js';
import type { SipLeg } from './sip/leg.js';
import type { SipService } from './sipService.js';
import type { CallVoice } from '../twiml/speech.js';
import type { MediaLeg } from './media/mediaLeg.js';

/** A call's voice, given the call's media toward the caller (null until the call is answered, and after it ends). */
export type CallVoices = (callerMedia: () => MediaLeg | null) => CallVoice;

export interface SipCallDeps {
  sip: SipService;
  lifecycle: CallLifecycle;
  dialing: Dialing;
  log: Logger;
  voices: CallVoices;
}

/** Twilio's default `<Dial timeLimit>`: four hours. */
const DEFAULT_TIME_LIMIT_SECONDS = 4 * 60 * 60;

export class SipCall implements CallControl {
  private readonly aborted = new AbortController();
  private readonly audio: CallerAudio;
  private answering: Promise<void> | null = null;
  /** Set by `reject`: the status the call ends with. */
  private refusedAs: FinalCallStatus | null = null;
  /** Child calls being rung or bridged: the caller's hang-up ends them. */
  private readonly children = new Set<RingingCall>();
  readonly voice: CallVoice;

  private constructor(
    private readonly record: CallRecord,
    private readonly leg: SipLeg,
    private media: CallMedia | null,
    private readonly deps: SipCallDeps,
    private readonly tap: CallerTap,
  ) {
    this.audio = new CallerAudio(tap.stages);
    this.voice = deps.voices(() => (this.media !== null && !leg.isOver ? this.media.leg : null));
    leg.onInfo = (type, body) => tap.info?.(type, body);
    if (media) this.listen(media);
    void leg.ended.then(() => {
      this.media?.close();
      tap.close?.();
      for (const child of this.children) void child.hangUp();
      this.aborted.abort();
    });
  }

  /** An INVITE for a number, ringing: the leg reports its end (and status) to the lifecycle through this call. */
  static inbound(record: CallRecord, leg: InboundLeg, deps: SipCallDeps, tap: CallerTap): SipCall {
    const call = new SipCall(record, leg, null, deps, tap);
    void leg.ended.then(async (reason) => {
      const status = call.refusedAs ?? (reason === 'canceled' && !leg.answered ? 'canceled' : 'completed');
      await deps.lifecycle.ended(record.sid, status).catch((err: unknown) => deps.log.error({ err, callSid: record.sid }, 'call end not recorded'));
    });
    return call;
  }

  /** An outbound-api call its callee answered (the ringing call reports its own end). */
  static answered(record: CallRecord, ringing: RingingCall, deps: SipCallDeps, tap: CallerTap): SipCall {
    return new SipCall(record, ringing.leg, ringing.media, deps, tap);
  }

  get callSid(): string {
    return this.record.sid;
  }

  get hungUp(): AbortSignal {
    return this.aborted.signal;
  }

  answer(): Promise<void> {
    this.answering ??= this.answerNow();
    return this.answering;
  }

  async reject(reason: 'busy' | 'rejected'): Promise<void> {
    const leg = this.leg;
    if (this.media !== null || leg.isOver || !(leg instanceof InboundLeg)) return;
    this.refusedAs = reason === 'busy' ? 'busy' : 'no-answer';
    if (reason === 'busy') leg.reject(486, 'Busy Here');
    else leg.reject(603, 'Decline');
  }

  async hangUp(): Promise<void> {
    await this.leg.hangUp();
  }

  async dial(targets: DialTarget[], options: DialOptions): Promise<DialOutcome> {
    if (this.leg.isOver) return { status: 'canceled', childCallSid: null, durationSeconds: 0 };
    if (!options.answerOnBridge) await this.answer();
    const ringing = await Promise.all(targets.map((target) => this.ringChild(target, options)));
    const placed = ringing.filter((r): r is RingingCall => r instanceof RingingCall);
    // Redirected by the API (or the caller gone) while ringing: every leg is canceled.
    const stop = () => placed.forEach((r) => r.cancel('canceled'));
    options.signal?.addEventListener('abort', stop, { once: true });
    if (options.signal?.aborted) stop();
    const winner = await firstAnswered(placed);
    options.signal?.removeEventListener('abort', stop);
    const stopped = this.leg.isOver || options.signal?.aborted === true;
    for (const other of placed) if (other !== winner) other.cancel(stopped ? 'canceled' : 'no-answer');
    if (winner === null) {
      const statuses = await Promise.all([...placed.map((r) => r.ended), ...ringing.filter((r): r is FinalCallStatus => typeof r === 'string')]);
      const last = placed.at(-1) ?? null;
      return { status: dialStatus(statuses, stopped), childCallSid: last?.call.sid ?? null, durationSeconds: 0 };
    }
    if (this.leg.isOver || options.signal?.aborted) {
      await winner.hangUp();
      return { status: 'canceled', childCallSid: winner.call.sid, durationSeconds: 0 };
    }
    if (options.answerOnBridge) await this.answer();
    const unbridge = bridge(this.media!, this.audio, winner.media);
    const limit = setTimeout(() => void winner.hangUp(), (options.timeLimitSeconds ?? DEFAULT_TIME_LIMIT_SECONDS) * 1000);
    const redirected = new Promise<void>((resolve) => options.signal?.addEventListener('abort', () => resolve(), { once: true }));
    await Promise.race([winner.leg.ended, this.leg.ended, redirected]);
    clearTimeout(limit);
    const durationSeconds = winner.durationSeconds;
    unbridge();
    await winner.hangUp();
    this.children.delete(winner);
    return { status: 'completed', childCallSid: winner.call.sid, durationSeconds };
  }

  private async answerNow(): Promise<void> {
    const leg = this.leg;
    if (leg.isOver || !(leg instanceof InboundLeg) || this.media !== null) return;
    const media = await CallMedia.open(this.deps.sip, leg.source.address, { events: true });
    const answered = media.answer(leg.offer.toString());
    if (!answered.ok) {
      media.close();
      leg.reject(488, 'Not Acceptable Here');
      return;
    }
    this.media = media;
    this.listen(media);
    media.followReoffers(leg);
    media.leg.start();
    media.watchForSilence(() => this.goneSilent());
    const acknowledged = leg.answer(Buffer.from(answered.sdp));
    await this.deps.lifecycle.answered(this.record.sid);
    await acknowledged.catch(() => undefined);
  }

  private goneSilent(): void {
    this.deps.log.warn({ callSid: this.record.sid }, 'no RTP from the caller for a minute: hanging up');
    void this.hangUp();
  }

  private listen(media: CallMedia): void {
    media.leg.sink = this.audio;
    media.leg.onTelephoneEvent = (view, packet) => this.tap.telephoneEvent?.(view, packet);
  }

  private async ringChild(target: DialTarget, options: DialOptions): Promise<RingingCall | FinalCallStatus> {
    const to = target.kind === 'sip' ? target.uri : target.number;
    const child = await this.deps.lifecycle.child({ parentCallSid: this.record.sid, to, from: options.callerId ?? this.record.from, statusCallback: target.statusCallback ?? null });
    const ringing = await this.deps.dialing.ring(child, target, { timeoutSeconds: options.timeoutSeconds, events: false });
    if (ringing instanceof RingingCall) {
      this.children.add(ringing);
      void ringing.ended.then(() => this.children.delete(ringing));
      if (this.leg.isOver) ringing.cancel('canceled');
    }
    return ringing;
  }
}

/** The first of the calls to answer, or null when none did. */
function firstAnswered(calls: RingingCall[]): Promise<RingingCall | null> {
  if (calls.length === 0) return Promise.resolve(null);
  return new Promise((resolve) => {
    let left = calls.length;
    for (const call of calls) {
      void call.answered.then((answered) => {
        if (answered) resolve(call);
        else if (--left === 0) resolve(null);
      });
    }
  });
}

/** `DialCallStatus` when nobody answered: stopped early (canceled), all busy, any unanswered, else failed. */
function dialStatus(statuses: FinalCallStatus[], stopped: boolean): DialOutcome['status'] {
  if (stopped) return 'canceled';
  if (statuses.length > 0 && statuses.every((s) => s === 'busy')) return 'busy';
  if (statuses.includes('no-answer')) return 'no-answer';
  if (statuses.includes('canceled')) return 'canceled';
  return 'failed';
}
