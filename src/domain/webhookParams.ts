/**
 * Readers for the URLs paytone requests or calls back on a call's behalf (`VoiceUrl`, `StatusCallback`, `Url`,
 * `action` ...) and their HTTP methods. Every URL must be absolute http(s) and pass the callback policy, since
 * paytone will request it from inside the operator's network.
 *
 * @example
 *   const voiceUrl = formWebhookUrl(form, 'VoiceUrl', policy);   // null when not given
 *   const method = formHttpMethod(form, 'VoiceMethod') ?? 'POST';
 */
import { PaytoneError, payError, type ErrorCode } from './errors.js';
import { assertCallbackAllowed, type CallbackPolicy } from './callbackPolicy.js';
import { formEnum, formValue, isAbsoluteHttpUrl, shownValue, type FormValues } from './form.js';

export const HTTP_METHODS = ['GET', 'POST'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/**
 * An absolute http(s) URL the policy allows, or null when the parameter is absent; otherwise the error `code`
 * (Twilio's 21205 "not a valid URL" unless told) naming the parameter.
 *
 * @example
 *   formWebhookUrl({ VoiceUrl: '/voice' }, 'VoiceUrl', policy) // throws 21205: VoiceUrl must be an absolute ...
 */
export function formWebhookUrl(form: FormValues, name: string, policy: CallbackPolicy, code: ErrorCode = 21205): string | null {
  const url = formValue(form, name);
  if (url === undefined) return null;
  return webhookUrl(name, url, policy, code);
}

/**
 * Checks one URL the way `formWebhookUrl` does, for URLs that come from elsewhere (a TwiML attribute).
 *
 * @example
 *   webhookUrl('action', 'https://app.example/after-dial', policy) // 'https://app.example/after-dial'
 */
export function webhookUrl(name: string, url: string, policy: CallbackPolicy, code: ErrorCode = 21205): string {
  if (!isAbsoluteHttpUrl(url)) throw payError(code, `${name} must be an absolute http or https URL; got ${shownValue(url)}.`);
  recoded(code, () => assertCallbackAllowed(name, url, policy));
  return url;
}

/**
 * `GET` or `POST`, in any letter case, as Twilio takes them; a 20001 naming the parameter otherwise.
 *
 * @example
 *   formHttpMethod({ VoiceMethod: 'get' }, 'VoiceMethod') // 'GET'
 */
export function formHttpMethod(form: FormValues, name: string): HttpMethod | undefined {
  return recoded(20001, () => formEnum(form, name, HTTP_METHODS, { ignoreCase: true }));
}

/** Runs a reader and gives any refusal it raises another code, keeping its message. */
export function recoded<T>(code: ErrorCode, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof PaytoneError && err.code !== code) throw payError(code, err.message);
    throw err;
  }
}
