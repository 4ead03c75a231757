/**
 * How a call moves through Twilio's statuses, and which status callback each move owes. Pure: the call, the
 * status it moves to and the time in; the call after and its callback (if its StatusCallbackEvent asks) out.
 *
 * ```
 * queued ──► ringing ──► in-progress ──► completed
 *    │          │
 *    └──────────┴──► busy | no-answer | failed | canceled | completed
 * ```
 * `initiated` is the moment an outgoing call is placed (queued); `ringing` when the far end rings; `answered`
 * when it answers (in-progress); `completed` when it ends, however it ends. An answered call can only end
 * `completed`. A call that has ended does not move again, so a late report (a BYE after the API hung up) is a no-op.
 *
 * @example
 *   const moved = advanceCall(call, 'in-progress', now);
 *   if (moved) await store.advance(call, moved.call, moved.callback);
 */
import { callStatusParams } from './callEvents.js';
import { isFinalStatus, type CallEvent, type CallRecord, type CallStatus } from './callView.js';

/** A status callback owed: the row the outbox sends. */
export interface CallStatusCallback {
  /** Its place among the call's callbacks, from 1 (the outbox's seq; SequenceNumber is one less). */
  seq: number;
  event: CallEvent;
  url: string;
  method: 'GET' | 'POST';
  params: Record<string, string>;
}

export interface CallMove {
  call: CallRecord;
  event: CallEvent;
  callback: CallStatusCallback | null;
}

/**
 * The call after it moves to `status` at `now`, or null when it cannot (it has ended, or is there already).
 *
 * @example
 *   advanceCall(ringingCall, 'busy', now)?.call.status // 'busy'
 *   advanceCall(answeredCall, 'busy', now)?.call.status // 'completed': an answered call was not busy
 */
export function advanceCall(call: CallRecord, status: CallStatus, now: number): CallMove | null {
  if (isFinalStatus(call.status) || status === call.status || status === 'queued') return null;
  let moved: CallRecord;
  let event: CallEvent;
  if (status === 'ringing') {
    if (call.status !== 'queued') return null;
    moved = { ...call, status, startTime: call.startTime ?? now };
    event = 'ringing';
  } else if (status === 'in-progress') {
    moved = { ...call, status, startTime: call.startTime ?? now, answerTime: now };
    event = 'answered';
  } else {
    moved = { ...call, status: call.status === 'in-progress' ? 'completed' : status, endTime: now };
    event = 'completed';
  }
  return owing({ ...moved, dateUpdated: now }, event);
}

/**
 * A new call and the callback its first moment owes: `initiated` for a call placed (queued), and for a call that
 * is answered the moment it is placed (a sandbox call) `initiated`, `ringing` and `answered` with it.
 *
 * @example
 *   const { call, callbacks } = placedCall(record);
 */
export function placedCall(call: CallRecord): { call: CallRecord; callbacks: CallStatusCallback[] } {
  const events: CallEvent[] = call.direction === 'inbound' ? [] : ['initiated'];
  if (call.status === 'ringing' && call.direction !== 'inbound') events.push('ringing');
  if (call.status === 'in-progress') events.push('ringing', 'answered');
  const callbacks: CallStatusCallback[] = [];
  let current = call;
  for (const event of events) {
    const { call: next, callback } = owing(current, event);
    current = next;
    if (callback) callbacks.push(callback);
  }
  return { call: current, callbacks };
}

/** The call with its callback for `event` counted, when its StatusCallbackEvent asks for that moment. */
function owing(call: CallRecord, event: CallEvent): CallMove {
  if (call.statusCallback === null || !call.statusCallbackEvents.includes(event)) return { call, event, callback: null };
  const callback: CallStatusCallback = {
    seq: call.callbacksSent + 1,
    event,
    url: call.statusCallback,
    method: call.statusCallbackMethod,
    params: callStatusParams(call, event),
  };
  return { call: { ...call, callbacksSent: call.callbacksSent + 1 }, event, callback };
}
