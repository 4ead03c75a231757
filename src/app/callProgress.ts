/**
 * The life of every call, sandbox or real: placing it, each move through Twilio's statuses (`advanceCall`), and
 * its end. Each move is stored with the status callback it owes in one transaction, handed to the outbox, and
 * published to the live event stream; an end also ends the call's open pay session (`caller-hung-up`), as on
 * Twilio. It implements `CallLifecycle`, the port the SIP side reports into.
 *
 * Moves of one call are applied one at a time, in the order they were reported: a 180 and a 200 that arrive
 * together are stored as ringing, then answered.
 *
 * @example
 *   const progress = new CallProgress({ calls, phoneNumbers, outbox, caller: payments, publish, now: Date.now, log });
 *   const call = await progress.inbound({ accountSid, to, from, phoneNumberSid, sipCallId, sipSourceIp });
 *   await progress.answered(call.sid);
 *   await progress.ended(call.sid, 'completed');
 */
import { advanceCall, placedCall, type CallStatusCallback } from '../domain/callProgress.js';
import { isFinalStatus, type CallRecord, type CallStatus, type FinalCallStatus } from '../domain/callView.js';
import type { LiveEvent } from '../domain/liveEvents.js';
import { newSid } from '../domain/sids.js';
import type { CallStore } from '../store/calls.js';
import type { PhoneNumberStore } from '../store/phoneNumbers.js';
import type { CommittedCallback } from '../callbacks/outbox.js';
import type { CallLifecycle, ChildStatusCallback } from '../telephony/callPorts.js';
import type { Logger } from '../log.js';

export interface CallProgressDeps {
  calls: CallStore;
  phoneNumbers: PhoneNumberStore;
  outbox: { committed(sessionSid: string, accountSid: string, callbacks: readonly CommittedCallback[], ended: boolean): void };
  /** The call's pay session hears that the caller is gone. */
  caller: { hangup(callSid: string): Promise<void> };
  publish(events: LiveEvent[]): void;
  now(): number;
  log: Logger;
}

/** A call before it is placed: everything but what placing it decides. */
export type NewCall = Omit<CallRecord, 'sid' | 'callbacksSent' | 'dateCreated' | 'dateUpdated' | 'startTime' | 'answerTime' | 'endTime'>;

export class CallProgress implements CallLifecycle {
  /** The last move queued per call: the next waits for it. */
  private readonly moving = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: CallProgressDeps) {}

  /**
   * Stores a new call with the callbacks its first moments owe. A call placed `in-progress` (the sandbox) has
   * started and been answered as it was placed.
   */
  async place(call: NewCall): Promise<CallRecord> {
    const now = this.deps.now();
    const answered = call.status === 'in-progress';
    const record: CallRecord = {
      ...call,
      sid: newSid('CA'),
      callbacksSent: 0,
      dateCreated: now,
      dateUpdated: now,
      startTime: call.status === 'queued' ? null : now,
      answerTime: answered ? now : null,
      endTime: null,
    };
    const { call: placed, callbacks } = placedCall(record);
    this.publish(placed, await this.deps.calls.insert(placed, callbacks), callbacks, false);
    return placed;
  }

  async inbound(a: { accountSid: string; to: string; from: string; phoneNumberSid: string; sipCallId: string; sipSourceIp: string }): Promise<CallRecord> {
    const number = await this.deps.phoneNumbers.get(a.accountSid, a.phoneNumberSid);
    if (!number) throw new Error(`number ${a.phoneNumberSid} of account ${a.accountSid} is gone`);
    return this.place({
      accountSid: a.accountSid,
      to: a.to,
      from: a.from,
      status: 'ringing',
      direction: 'inbound',
      parentCallSid: null,
      phoneNumberSid: number.sid,
      // The call's Url is the number's VoiceUrl: relative Payments StatusCallbacks resolve against it, as on Twilio.
      url: number.voiceUrl,
      method: number.voiceMethod,
      fallbackUrl: number.voiceFallbackUrl,
      fallbackMethod: number.voiceFallbackMethod,
      twiml: null,
      statusCallback: number.statusCallback,
      statusCallbackMethod: number.statusCallbackMethod,
      statusCallbackEvents: ['completed'],
      timeoutSeconds: null,
      sipCallId: a.sipCallId,
      sipSourceIp: a.sipSourceIp,
    });
  }

  async child(a: { parentCallSid: string; to: string; from: string; sipCallId?: string | null; statusCallback?: ChildStatusCallback | null }): Promise<CallRecord> {
    const parent = await this.deps.calls.getBySid(a.parentCallSid);
    if (!parent) throw new Error(`parent call ${a.parentCallSid} is unknown`);
    const callback = a.statusCallback ?? null;
    return this.place({
      accountSid: parent.accountSid,
      to: a.to,
      from: a.from,
      status: 'queued',
      direction: 'outbound-dial',
      parentCallSid: parent.sid,
      phoneNumberSid: null,
      url: parent.url,
      method: parent.method,
      fallbackUrl: null,
      fallbackMethod: 'POST',
      twiml: null,
      statusCallback: callback?.url ?? null,
      statusCallbackMethod: callback?.method ?? 'POST',
      statusCallbackEvents: callback?.events ?? ['completed'],
      timeoutSeconds: null,
      sipCallId: a.sipCallId ?? null,
      sipSourceIp: null,
    });
  }

  async ringing(callSid: string): Promise<void> {
    await this.move(callSid, 'ringing');
  }

  async answered(callSid: string): Promise<void> {
    await this.move(callSid, 'in-progress');
  }

  async ended(callSid: string, status: FinalCallStatus): Promise<void> {
    await this.move(callSid, status);
  }

  /**
   * Moves a call the caller holds (the API's hang-up of a sandbox call) and returns it as it is after: unchanged
   * when it could not move (it had ended already).
   */
  async end(call: CallRecord, status: FinalCallStatus): Promise<CallRecord> {
    return (await this.move(call.sid, status)) ?? call;
  }

  /**
   * Ends the real calls a stopped process left up: their legs went with it (a restart of the only process), so each
   * ends as `completed` if it was answered and `failed` otherwise, with its status callback, and its open pay
   * session ends `caller-hung-up`. Sandbox calls have no legs and stay as they are. Returns how many were ended.
   */
  async endOrphans(): Promise<number> {
    const orphans = await this.deps.calls.realCallsUp();
    for (const call of orphans) await this.ended(call.sid, call.status === 'in-progress' ? 'completed' : 'failed');
    return orphans.length;
  }

  private move(callSid: string, status: CallStatus): Promise<CallRecord | null> {
    const before = this.moving.get(callSid) ?? Promise.resolve();
    const next = before.then(() => this.apply(callSid, status));
    const settled = next.catch(() => undefined);
    this.moving.set(callSid, settled);
    void settled.then(() => {
      if (this.moving.get(callSid) === settled) this.moving.delete(callSid);
    });
    return next;
  }

  private async apply(callSid: string, status: CallStatus): Promise<CallRecord | null> {
    const call = await this.deps.calls.getBySid(callSid);
    if (!call) throw new Error(`call ${callSid} is unknown`);
    const moved = advanceCall(call, status, this.deps.now());
    if (!moved) {
      this.deps.log.debug({ callSid, from: call.status, to: status }, 'call move ignored');
      return null;
    }
    const callbacks = moved.callback ? [moved.callback] : [];
    const ended = isFinalStatus(moved.call.status);
    this.publish(moved.call, await this.deps.calls.advance(moved.call, moved.callback), callbacks, ended);
    if (ended) await this.deps.caller.hangup(callSid);
    return moved.call;
  }

  private publish(call: CallRecord, live: LiveEvent[], callbacks: CallStatusCallback[], ended: boolean): void {
    // An end that owes no callback still tells the outbox, which may hold the call's earlier ones, that none will come.
    if (callbacks.length > 0 || (ended && call.callbacksSent > 0)) {
      this.deps.outbox.committed(
        call.sid,
        call.accountSid,
        callbacks.map((c) => ({ seq: c.seq, kind: 'call-status', params: c.params, url: c.url, method: c.method, at: call.dateUpdated })),
        ended,
      );
    }
    this.deps.publish(live);
  }
}
