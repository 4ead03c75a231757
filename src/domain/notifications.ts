/**
 * Twilio's Notifications: what went wrong while paytone fetched or ran a call's TwiML, kept per call and listed
 * per account (`api.v2010.account.notification`), with Twilio's error code, a message that says what to fix, and
 * the request and the answer that caused it.
 *
 * @example
 *   const record = newNotification({ sid, call, problem, request, now });
 *   reply.send(notificationView(record, { instance: true }));
 */
import { formatRfc2822 } from './dates.js';
import type { CallRecord } from './callView.js';

/** Twilio's log levels: 0 an error, 1 a warning. */
export type NotificationLog = 0 | 1;

export interface NotificationRecord {
  sid: string;
  accountSid: string;
  callSid: string | null;
  log: NotificationLog;
  errorCode: number;
  /** Twilio's form: `Msg=...&ErrorCode=...&LogLevel=ERROR&url=...`, url-encoded. */
  messageText: string;
  requestUrl: string | null;
  requestMethod: 'GET' | 'POST' | null;
  /** The request's parameters, url-encoded. */
  requestVariables: string;
  responseHeaders: string;
  responseBody: string;
  dateCreated: number;
}

export interface NotificationInput {
  sid: string;
  call: Pick<CallRecord, 'sid' | 'accountSid'>;
  problem: { code: number; message: string };
  request: { url: string; method: 'GET' | 'POST'; params: Record<string, string>; response?: { headers: Record<string, string>; body: string } } | null;
  now: number;
}

export function newNotification(n: NotificationInput): NotificationRecord {
  const text: Record<string, string> = { Msg: n.problem.message, ErrorCode: String(n.problem.code), LogLevel: 'ERROR' };
  if (n.request) text.url = n.request.url;
  return {
    sid: n.sid,
    accountSid: n.call.accountSid,
    callSid: n.call.sid,
    log: 0,
    errorCode: n.problem.code,
    messageText: new URLSearchParams(text).toString(),
    requestUrl: n.request?.url ?? null,
    requestMethod: n.request?.method ?? null,
    requestVariables: n.request ? new URLSearchParams(n.request.params).toString() : '',
    responseHeaders: n.request?.response ? new URLSearchParams(n.request.response.headers).toString() : '',
    responseBody: n.request?.response?.body ?? '',
    dateCreated: n.now,
  };
}

/**
 * Twilio's Notification JSON: the list form, or with `instance` the fetched form, which adds the request's
 * variables and the answer's headers and body.
 *
 * @example
 *   notificationView(record, { instance: false }).error_code // '11200'
 */
export function notificationView(n: NotificationRecord, options: { instance: boolean }): Record<string, unknown> {
  const date = formatRfc2822(n.dateCreated);
  const base = n.callSid === null ? `/2010-04-01/Accounts/${n.accountSid}` : `/2010-04-01/Accounts/${n.accountSid}/Calls/${n.callSid}`;
  return {
    account_sid: n.accountSid,
    api_version: '2010-04-01',
    call_sid: n.callSid,
    date_created: date,
    date_updated: date,
    error_code: String(n.errorCode),
    log: String(n.log),
    message_date: date,
    message_text: n.messageText,
    more_info: `https://www.twilio.com/docs/errors/${n.errorCode}`,
    // Twilio's schema allows only GET or POST; a problem in a document given as Twiml had no request of its own.
    request_method: n.requestMethod ?? 'POST',
    request_url: n.requestUrl,
    ...(options.instance ? { request_variables: n.requestVariables, response_body: n.responseBody, response_headers: n.responseHeaders } : {}),
    sid: n.sid,
    uri: `${base}/Notifications/${n.sid}.json`,
  };
}
