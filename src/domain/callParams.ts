/**
 * The parameters of Twilio's Calls create and update requests.
 *
 * `To` is an E.164 number or a SIP URI (`To=hello` is Twilio's 21211). Twilio requires one of `Url` or `Twiml` on
 * create; a sandbox call answers itself, so both are optional for one, and the API asks for one when the call is
 * real. `Url` matters either way: relative Payments StatusCallbacks resolve against it.
 *
 * @example
 *   const call = parseCreateCall({ To: '+14155550100', From: '+14155550199', Url: 'https://example.com/voice' });
 */
import { payError, type PaytoneError } from './errors.js';
import { ANY_CALLBACK, assertCallbackAllowed, type CallbackPolicy } from './callbackPolicy.js';
import { formEnum, formInteger, formValue, isAbsoluteHttpUrl, shownValue, type FormValues } from './form.js';
import { callEndpoint, type CallEndpoint } from './endpoints.js';
import { CALL_EVENTS, type CallEvent } from './callView.js';
import { formHttpMethod, formWebhookUrl, recoded, type HttpMethod } from './webhookParams.js';

export interface CreateCallParams {
  to: string;
  /** What `To` names: a number (E.164) or a SIP URI. */
  endpoint: CallEndpoint;
  from: string;
  url: string | null;
  method: HttpMethod;
  fallbackUrl: string | null;
  fallbackMethod: HttpMethod;
  twiml: string | null;
  statusCallback: string | null;
  statusCallbackMethod: HttpMethod;
  statusCallbackEvents: CallEvent[];
  /** Seconds a real call rings before it is `no-answer` (Twilio's default 60, at most 600). */
  timeoutSeconds: number;
}

export interface UpdateCallParams {
  /** `completed` hangs up an answered call, `canceled` a queued or ringing one; null leaves the call be. */
  status: 'completed' | 'canceled' | null;
  /** A call in progress goes on with this TwiML: the document at `url` (by `method`), or `twiml`. */
  url: string | null;
  method: HttpMethod;
  twiml: string | null;
}

const UPDATE_STATUSES = ['canceled', 'completed'] as const;
const DEFAULT_TIMEOUT_SECONDS = 60;
const MAX_TIMEOUT_SECONDS = 600;

/**
 * Validates a Calls create request.
 *
 * @example
 *   parseCreateCall({ To: '+14155550100', From: '+14155550199' }).statusCallbackMethod // 'POST'
 */
export function parseCreateCall(form: FormValues, callbackPolicy: CallbackPolicy = ANY_CALLBACK): CreateCallParams {
  const to = required(formValue(form, 'To'), () => payError(21201, 'Required parameter "To" is missing.'));
  const endpoint = callEndpoint(to);
  if (endpoint === null) {
    throw payError(21211, `To must be an E.164 phone number such as +14155550100 or a SIP URI such as sip:agent@pbx.example.com; got ${shownValue(to)}.`);
  }
  return {
    to: endpoint.kind === 'number' ? endpoint.number : endpoint.uri,
    endpoint,
    from: required(formValue(form, 'From'), () => payError(21213, 'Required parameter "From" is missing.')),
    // Judged against the callback policy only when paytone is to request them (a real call: see PlacedCalls).
    url: formWebhookUrl(form, 'Url', ANY_CALLBACK),
    method: formHttpMethod(form, 'Method') ?? 'POST',
    fallbackUrl: formWebhookUrl(form, 'FallbackUrl', ANY_CALLBACK),
    fallbackMethod: formHttpMethod(form, 'FallbackMethod') ?? 'POST',
    twiml: formValue(form, 'Twiml') ?? null,
    statusCallback: statusCallback(form, callbackPolicy),
    statusCallbackMethod: formEnum(form, 'StatusCallbackMethod', ['GET', 'POST'] as const, { ignoreCase: true }) ?? 'POST',
    statusCallbackEvents: statusCallbackEvents(form),
    timeoutSeconds: recoded(21208, () => formInteger(form, 'Timeout', { min: 1, max: MAX_TIMEOUT_SECONDS })) ?? DEFAULT_TIMEOUT_SECONDS,
  };
}

/**
 * Validates a Calls update request.
 *
 * @example
 *   parseUpdateCall({ Status: 'completed' }) // { status: 'completed', url: null, method: 'POST', twiml: null }
 */
export function parseUpdateCall(form: FormValues): UpdateCallParams {
  return {
    status: formEnum(form, 'Status', UPDATE_STATUSES) ?? null,
    url: formWebhookUrl(form, 'Url', ANY_CALLBACK),
    method: formHttpMethod(form, 'Method') ?? 'POST',
    twiml: formValue(form, 'Twiml') ?? null,
  };
}

/**
 * `StatusCallbackEvent`: repeated (`StatusCallbackEvent=initiated&StatusCallbackEvent=answered`, as the clients
 * send a list) or space-separated; Twilio's default is `completed` alone.
 */
function statusCallbackEvents(form: FormValues): CallEvent[] {
  const raw = form.StatusCallbackEvent;
  const given = (Array.isArray(raw) ? raw : [raw ?? '']).flatMap((v) => v.split(/[\s,]+/)).filter((v) => v !== '');
  if (given.length === 0) return ['completed'];
  const unknown = given.find((e) => !(CALL_EVENTS as readonly string[]).includes(e.toLowerCase()));
  if (unknown !== undefined) throw payError(20001, `StatusCallbackEvent may name ${CALL_EVENTS.join(', ')}; got ${shownValue(unknown)}.`);
  return CALL_EVENTS.filter((e) => given.some((g) => g.toLowerCase() === e));
}

function statusCallback(form: FormValues, policy: CallbackPolicy): string | null {
  const url = formValue(form, 'StatusCallback');
  if (url === undefined) return null;
  if (!isAbsoluteHttpUrl(url)) {
    throw payError(64020, `StatusCallback must be an absolute http or https URL; got ${shownValue(url)}.`);
  }
  assertCallbackAllowed('StatusCallback', url, policy);
  return url;
}

function required(value: string | undefined, missing: () => PaytoneError): string {
  if (value === undefined) throw missing();
  return value;
}
