/**
 * A call's status as Twilio's call status callback words it. A call's `StatusCallback` hears the moments its
 * `StatusCallbackEvent` names (`initiated ringing answered completed`; Twilio's default is `completed` only), by
 * its `StatusCallbackMethod`; the live event stream carries the same parameters at every change, whether or not
 * the call has a StatusCallback.
 *
 * @example
 *   const params = callStatusParams(endedCall, 'completed'); // { CallStatus: 'completed', CallDuration: '42', ... }
 */
import { formatRfc2822 } from './dates.js';
import { answeredSeconds, type CallEvent, type CallRecord } from './callView.js';

/** What `CallStatus` says at each moment; `completed` reports how the call ended. */
const STATUS_AT: Record<Exclude<CallEvent, 'completed'>, string> = { initiated: 'initiated', ringing: 'ringing', answered: 'in-progress' };

/**
 * The parameters of the callback for `event` (the call as it is after the event), or of the call as it is now.
 */
export function callStatusParams(call: CallRecord, event: CallEvent | null = null): Record<string, string> {
  // Only an ended call has a duration; Twilio's Duration is billed minutes, rounded up.
  const seconds = answeredSeconds(call);
  const duration: Record<string, string> = call.endTime === null ? {} : { CallDuration: String(seconds), Duration: String(Math.ceil(seconds / 60)) };
  const optional: Record<string, string> = {};
  if (call.parentCallSid !== null) optional.ParentCallSid = call.parentCallSid;
  if (call.sipCallId !== null) optional.SipCallId = call.sipCallId;
  return {
    AccountSid: call.accountSid,
    ApiVersion: '2010-04-01',
    CallSid: call.sid,
    CallStatus: event === null || event === 'completed' ? call.status : STATUS_AT[event],
    Called: call.to,
    Caller: call.from,
    Direction: call.direction,
    From: call.from,
    To: call.to,
    ...optional,
    ...duration,
    Timestamp: formatRfc2822(call.dateUpdated),
    CallbackSource: 'call-progress-events',
    SequenceNumber: String(call.callbacksSent),
  };
}
