/**
 * The parameters of Twilio's Calls create and update requests, validated for the sandbox telephony.
 *
 * Twilio requires one of `Url` or `Twiml` on create; the sandbox answers calls itself, so both are
 * optional here. `Url` still matters: relative Payments StatusCallbacks resolve against it.
 *
 * @example
 *   const call = parseCreateCall({ To: '+14155550100', From: '+14155550199', Url: 'https://example.com/voice' });
 */
import { payError, type PaytoneError } from './errors.js';
import { ANY_CALLBACK, assertCallbackAllowed, type CallbackPolicy } from './callbackPolicy.js';
import { formEnum, formValue, isAbsoluteHttpUrl, shownValue, type FormValues } from './form.js';

export interface CreateCallParams {
  to: string;
  from: string;
  url: string | null;
  twiml: string | null;
  statusCallback: string | null;
  statusCallbackMethod: 'GET' | 'POST';
}

export interface UpdateCallParams {
  /** `completed` hangs up an answered call, `canceled` a queued or ringing one; null leaves the call be. */
  status: 'completed' | 'canceled' | null;
  url: string | null;
  twiml: string | null;
}

const HTTP_METHODS = ['GET', 'POST'] as const;
const UPDATE_STATUSES = ['canceled', 'completed'] as const;

/**
 * Validates a Calls create request.
 *
 * @example
 *   parseCreateCall({ To: '+14155550100', From: '+14155550199' }).statusCallbackMethod // 'POST'
 */
export function parseCreateCall(form: FormValues, callbackPolicy: CallbackPolicy = ANY_CALLBACK): CreateCallParams {
  return {
    to: required(formValue(form, 'To'), () => payError(21201, 'Required parameter "To" is missing.')),
    from: required(formValue(form, 'From'), () => payError(21213, 'Required parameter "From" is missing.')),
    url: callUrl(form),
    twiml: formValue(form, 'Twiml') ?? null,
    statusCallback: statusCallback(form, callbackPolicy),
    statusCallbackMethod: formEnum(form, 'StatusCallbackMethod', HTTP_METHODS, { ignoreCase: true }) ?? 'POST',
  };
}

/**
 * Validates a Calls update request.
 *
 * @example
 *   parseUpdateCall({ Status: 'completed' }) // { status: 'completed', url: null, twiml: null }
 */
export function parseUpdateCall(form: FormValues): UpdateCallParams {
  return {
    status: formEnum(form, 'Status', UPDATE_STATUSES) ?? null,
    url: callUrl(form),
    twiml: formValue(form, 'Twiml') ?? null,
  };
}

function callUrl(form: FormValues): string | null {
  const url = formValue(form, 'Url');
  if (url === undefined) return null;
  if (!isAbsoluteHttpUrl(url)) throw payError(21205, `Url must be an absolute http or https URL; got ${shownValue(url)}.`);
  return url;
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
