/**
 * A call's status as Twilio's call status callback words it. paytone sends the `completed` one to a call's
 * `StatusCallback` (Twilio's default `StatusCallbackEvent`), so apps that close an agent's screen on it keep
 * working; the live event stream carries the same parameters when a call is placed and when it ends.
 *
 * @example
 *   const params = callStatusParams(endedCall); // { CallStatus: 'completed', CallDuration: '42', ... }
 */
import { formatRfc2822 } from './dates.js';
import type { CallRecord } from './callView.js';

export function callStatusParams(call: CallRecord): Record<string, string> {
  const seconds = call.startTime !== null && call.endTime !== null ? Math.max(0, Math.round((call.endTime - call.startTime) / 1000)) : 0;
  // Only an ended call has a duration.
  const duration: Record<string, string> = call.endTime === null ? {} : { CallDuration: String(seconds), Duration: String(Math.ceil(seconds / 60)) };
  return {
    AccountSid: call.accountSid,
    ApiVersion: '2010-04-01',
    CallSid: call.sid,
    CallStatus: call.status,
    Called: call.to,
    Caller: call.from,
    Direction: call.direction,
    From: call.from,
    To: call.to,
    // Twilio's Duration is billed minutes, rounded up.
    ...duration,
    Timestamp: formatRfc2822(call.endTime ?? call.dateUpdated),
    CallbackSource: 'call-progress-events',
    SequenceNumber: '0',
  };
}
