/**
 * The status callback Twilio sends to a call's `StatusCallback` when the call ends (its default
 * `StatusCallbackEvent` is `completed`), so apps that close an agent's screen on it keep working.
 *
 * @example
 *   const params = callEndedParams(endedCall); // { CallStatus: 'completed', CallDuration: '42', ... }
 */
import { formatRfc2822 } from './dates.js';
import type { CallRecord } from './callView.js';

export function callEndedParams(call: CallRecord): Record<string, string> {
  const seconds = call.startTime !== null && call.endTime !== null ? Math.max(0, Math.round((call.endTime - call.startTime) / 1000)) : 0;
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
    CallDuration: String(seconds),
    // Twilio's Duration is billed minutes, rounded up.
    Duration: String(Math.ceil(seconds / 60)),
    Timestamp: formatRfc2822(call.endTime ?? call.dateUpdated),
    CallbackSource: 'call-progress-events',
    SequenceNumber: '0',
  };
}
