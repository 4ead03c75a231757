/**
 * The parameters of Twilio's voice webhook: what paytone sends when it asks an app for a call's TwiML (the number's
 * VoiceUrl, a call's Url, a `<Redirect>`, a `<Dial>` action), as Twilio sends them.
 *
 * @example
 *   voiceRequestParams(call, 'ringing') // { CallSid: 'CA...', CallStatus: 'ringing', Direction: 'inbound', ... }
 */
import type { CallRecord, CallStatus } from './callView.js';

export function voiceRequestParams(call: CallRecord, status: CallStatus): Record<string, string> {
  const params: Record<string, string> = {
    AccountSid: call.accountSid,
    ApiVersion: '2010-04-01',
    CallSid: call.sid,
    CallStatus: status,
    Called: call.to,
    Caller: call.from,
    Direction: call.direction,
    From: call.from,
    To: call.to,
  };
  if (call.parentCallSid !== null) params.ParentCallSid = call.parentCallSid;
  if (call.sipCallId !== null) params.SipCallId = call.sipCallId;
  if (call.sipSourceIp !== null) params.SipSourceIp = call.sipSourceIp;
  return params;
}
