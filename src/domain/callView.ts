/**
 * A stored call as Twilio's Call JSON (`api.v2010.account.call`): every property Twilio lists, with null
 * where a sandbox call has nothing to say, so clients that read any of them keep working.
 *
 * @example
 *   reply.send(callView(call));
 */
import { formatRfc2822 } from './dates.js';
import { formatPhoneNumber } from './endpoints.js';

export const CALL_STATUSES = ['queued', 'ringing', 'in-progress', 'completed', 'busy', 'failed', 'no-answer', 'canceled'] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

/** A call as the store keeps it; times are epoch milliseconds. */
export interface CallRecord {
  sid: string;
  accountSid: string;
  to: string;
  from: string;
  status: CallStatus;
  direction: string;
  url: string | null;
  twiml: string | null;
  statusCallback: string | null;
  statusCallbackMethod: string | null;
  dateCreated: number;
  dateUpdated: number;
  startTime: number | null;
  endTime: number | null;
}

export interface CallJson {
  sid: string;
  date_created: string;
  date_updated: string;
  parent_call_sid: null;
  account_sid: string;
  to: string;
  to_formatted: string;
  from: string;
  from_formatted: string;
  phone_number_sid: null;
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
    parent_call_sid: null,
    account_sid: call.accountSid,
    to: call.to,
    to_formatted: formatPhoneNumber(call.to),
    from: call.from,
    from_formatted: formatPhoneNumber(call.from),
    phone_number_sid: null,
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
  if (call.startTime === null || call.endTime === null) return null;
  return String(Math.max(0, Math.round((call.endTime - call.startTime) / 1000)));
}
