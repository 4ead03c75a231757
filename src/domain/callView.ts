/**
 * A stored call as Twilio's Call JSON (`api.v2010.account.call`): every property Twilio lists, with null
 * where paytone has nothing to say, so clients that read any of them keep working.
 *
 * @example
 *   reply.send(callView(call));
 */
import { formatRfc2822 } from './dates.js';
import { formatPhoneNumber } from './endpoints.js';

export const CALL_STATUSES = ['queued', 'ringing', 'in-progress', 'completed', 'busy', 'failed', 'no-answer', 'canceled'] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];
/** The statuses a call ends in. */
export type FinalCallStatus = Exclude<CallStatus, 'queued' | 'ringing' | 'in-progress'>;
export const CALL_DIRECTIONS = ['inbound', 'outbound-api', 'outbound-dial'] as const;
export type CallDirection = (typeof CALL_DIRECTIONS)[number];
/** Twilio's StatusCallbackEvent values: the moments a call's StatusCallback may be told about. */
export const CALL_EVENTS = ['initiated', 'ringing', 'answered', 'completed'] as const;
export type CallEvent = (typeof CALL_EVENTS)[number];

/** A call as the store keeps it; times are epoch milliseconds. */
export interface CallRecord {
  sid: string;
  accountSid: string;
  to: string;
  from: string;
  status: CallStatus;
  direction: CallDirection;
  /** The call whose `<Dial>` placed this one, or null. */
  parentCallSid: string | null;
  /** The number an inbound call came in on, or null. */
  phoneNumberSid: string | null;
  /** Where an outbound-api call's TwiML comes from once answered: `url` (requested with `method`), or `twiml`. */
  url: string | null;
  method: 'GET' | 'POST';
  fallbackUrl: string | null;
  fallbackMethod: 'GET' | 'POST';
  twiml: string | null;
  statusCallback: string | null;
  statusCallbackMethod: 'GET' | 'POST';
  /** Which moments go to `statusCallback` (Twilio's default: `completed` only). */
  statusCallbackEvents: CallEvent[];
  /** Seconds an outgoing call may ring before it is `no-answer`; null for calls that do not ring out. */
  timeoutSeconds: number | null;
  /** SIP identity of a real call's leg (the Call-ID, and the address it came from for an inbound one). */
  sipCallId: string | null;
  sipSourceIp: string | null;
  /** Status callbacks queued so far: the next one's SequenceNumber. */
  callbacksSent: number;
  dateCreated: number;
  dateUpdated: number;
  /** When the call started ringing or dialing; when it was answered; when it ended. */
  startTime: number | null;
  answerTime: number | null;
  endTime: number | null;
}

/**
 * A sandbox call: placed through the API to a number with no SIP trunk, answered at once, with no SIP leg anywhere.
 * Every other call (inbound, a `<Dial>` leg, a call the SIP dialer rings out with its Timeout) is a real call.
 */
export function isSandboxCall(call: Pick<CallRecord, 'direction' | 'timeoutSeconds'>): boolean {
  return call.direction === 'outbound-api' && call.timeoutSeconds === null;
}

/** Whether the call has ended, whatever the way. */
export function isFinalStatus(status: CallStatus): status is FinalCallStatus {
  return status !== 'queued' && status !== 'ringing' && status !== 'in-progress';
}

export interface CallJson {
  sid: string;
  date_created: string;
  date_updated: string;
  parent_call_sid: string | null;
  account_sid: string;
  to: string;
  to_formatted: string;
  from: string;
  from_formatted: string;
  phone_number_sid: string | null;
  status: CallStatus;
  start_time: string | null;
  end_time: string | null;
  duration: string | null;
  price: null;
  price_unit: string;
  direction: string;
  answered_by: null;
  api_version: string;
  forwarded_from: null;
  group_sid: null;
  caller_name: null;
  queue_time: string;
  trunk_sid: null;
  uri: string;
  subresource_uris: Record<string, string>;
}

/** The call subresources Twilio lists on every call, by JSON key and path segment. */
const SUBRESOURCES = {
  notifications: 'Notifications',
  recordings: 'Recordings',
  payments: 'Payments',
  events: 'Events',
  siprec: 'Siprec',
  streams: 'Streams',
  transcriptions: 'Transcriptions',
  user_defined_message_subscriptions: 'UserDefinedMessageSubscriptions',
  user_defined_messages: 'UserDefinedMessages',
} as const;

/**
 * Twilio's Call JSON for a stored call.
 *
 * @example
 *   callView(call).uri // '/2010-04-01/Accounts/AC.../Calls/CA....json'
 */
export function callView(call: CallRecord): CallJson {
  const base = `/2010-04-01/Accounts/${call.accountSid}/Calls/${call.sid}`;
  return {
    sid: call.sid,
    date_created: formatRfc2822(call.dateCreated),
    date_updated: formatRfc2822(call.dateUpdated),
    parent_call_sid: call.parentCallSid,
    account_sid: call.accountSid,
    to: call.to,
    to_formatted: formatPhoneNumber(call.to),
    from: call.from,
    from_formatted: formatPhoneNumber(call.from),
    phone_number_sid: call.phoneNumberSid,
    status: call.status,
    start_time: call.startTime === null ? null : formatRfc2822(call.startTime),
    end_time: call.endTime === null ? null : formatRfc2822(call.endTime),
    duration: callDuration(call),
    price: null,
    price_unit: 'USD',
    direction: call.direction,
    answered_by: null,
    api_version: '2010-04-01',
    forwarded_from: null,
    group_sid: null,
    caller_name: null,
    queue_time: '0',
    trunk_sid: null,
    uri: `${base}.json`,
    subresource_uris: Object.fromEntries(
      Object.entries(SUBRESOURCES).map(([key, segment]) => [key, `${base}/${segment}.json`]),
    ),
  };
}

/** Whole seconds, as Twilio reports it once the call has ended; null while it lasts. */
function callDuration(call: CallRecord): string | null {
  return call.endTime === null ? null : String(answeredSeconds(call));
}

/**
 * How long the call was connected, in whole seconds: from its answer to its end (or to `now` while it lasts), 0 for
 * a call never answered.
 *
 * @example
 *   answeredSeconds({ ...call, answerTime: 1_000, endTime: 43_400 }) // 42
 */
export function answeredSeconds(call: Pick<CallRecord, 'answerTime' | 'endTime'>, now: number = call.endTime ?? 0): number {
  if (call.answerTime === null) return 0;
  return Math.max(0, Math.round(((call.endTime ?? now) - call.answerTime) / 1000));
}
