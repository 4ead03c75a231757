/**
 * Live events: what the account's event stream carries. Each one mirrors a status callback (a pay session's
 * `started`, `capture`, `completing`, `ended`) or a call's status (`call-status`: placed, ended), with the same
 * masked parameters, and an id that orders the account's events and lets a client resume. Three have no callback
 * twin: `asking`, a field the agent has just asked for (what the caller's phone and the console show meanwhile),
 * and `said` / `played`, what the call's TwiML says (`Text`, `Voice`, `Language`) or plays (`Url`) to the caller.
 *
 * @example
 *   const wire = liveEventJson(event); // { id: 42, kind: 'capture', call_sid: 'CA...', parameters: { ... } }
 */
import { formatRfc2822 } from './dates.js';
import type { FieldAsked, SessionEvent } from './types.js';
import { isFinalStatus, type CallRecord, type CallStatus } from './callView.js';
import { callStatusParams } from './callEvents.js';
import { maskDigitRuns } from './form.js';

export type LiveEventKind = SessionEvent['kind'] | 'call-status' | 'asking' | 'said' | 'played';

export const LIVE_EVENT_KINDS: readonly LiveEventKind[] = ['call-status', 'started', 'asking', 'capture', 'completing', 'ended', 'said', 'played'];

export interface LiveEvent {
  /** Increasing over the whole installation; a stream resumes after the last id its client saw. */
  id: number;
  accountSid: string;
  callSid: string;
  /** The pay session's sid, or null for a call's status. */
  paymentSid: string | null;
  kind: LiveEventKind;
  /** The callback's parameters: masked, never a secret. */
  params: Record<string, string>;
  at: number;
}

/** A live event before it is committed and numbered. */
export type NewLiveEvent = Omit<LiveEvent, 'id'>;

/** Narrows a stream to one call or one pay session; an empty filter passes all of the account's events. */
export interface LiveEventFilter {
  callSid?: string;
  paymentSid?: string;
}

export function matchesFilter(event: LiveEvent, filter: LiveEventFilter): boolean {
  return (filter.callSid === undefined || event.callSid === filter.callSid) && (filter.paymentSid === undefined || event.paymentSid === filter.paymentSid);
}

/** The event as JSON on the wire, in the same snake_case as the Events.json log. */
export function liveEventJson(event: LiveEvent): Record<string, unknown> {
  return {
    id: event.id,
    kind: event.kind,
    account_sid: event.accountSid,
    call_sid: event.callSid,
    payment_sid: event.paymentSid,
    date_created: formatRfc2822(event.at),
    parameters: event.params,
  };
}

/** The live twins of a session's callbacks, then the field just asked for, if any. */
export function sessionLiveEvents(s: { accountSid: string; callSid: string; sid: string }, events: SessionEvent[], asked: FieldAsked | null = null): NewLiveEvent[] {
  const live: NewLiveEvent[] = events.map((e) => ({ accountSid: s.accountSid, callSid: s.callSid, paymentSid: s.sid, kind: e.kind, params: e.params, at: e.at }));
  if (asked) live.push({ accountSid: s.accountSid, callSid: s.callSid, paymentSid: s.sid, kind: 'asking', params: asked.params, at: asked.at });
  return live;
}

/** A call's status (placed, ended) as a live event, worded like Twilio's call status callback. */
/** Whether `events` tell of the call's end (a final `call-status`), wherever in a cluster it was ended. */
export function endsCall(events: readonly LiveEvent[], callSid: string): boolean {
  return events.some((e) => e.kind === 'call-status' && e.callSid === callSid && isFinalStatus(e.params.CallStatus as CallStatus));
}

export function callLiveEvent(call: CallRecord): NewLiveEvent {
  return { accountSid: call.accountSid, callSid: call.sid, paymentSid: null, kind: 'call-status', params: callStatusParams(call), at: call.dateUpdated };
}

/**
 * What a call's TwiML says or plays to the caller, as a live event ("paytone said: …" on the console). A card number
 * an app reads back to the caller is kept masked, as everywhere paytone stores text (PCI).
 */
export function spokenLiveEvent(call: Pick<CallRecord, 'accountSid' | 'sid'>, kind: 'said' | 'played', params: Record<string, string>, at: number): NewLiveEvent {
  const masked = Object.fromEntries(Object.entries(params).map(([name, value]) => [name, maskDigitRuns(value)]));
  return { accountSid: call.accountSid, callSid: call.sid, paymentSid: null, kind, params: masked, at };
}
