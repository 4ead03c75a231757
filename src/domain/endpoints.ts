/**
 * What a call can be placed to or received on: E.164 phone numbers and SIP URIs, read as Twilio reads them.
 *
 * Twilio stores numbers in E.164 (`+14155550100`) and accepts them written with the usual separators
 * (`+1 (415) 555-0100`); a `sip:` URI names a SIP endpoint directly (`sip:agent@pbx.example:5070`).
 *
 * @example
 *   normalizeE164('+1 (415) 555-0100') // '+14155550100'
 *   callEndpoint('sip:agent@10.0.0.5') // { kind: 'sip', uri: 'sip:agent@10.0.0.5' }
 */

export type CallEndpoint = { kind: 'number'; number: string } | { kind: 'sip'; uri: string };

const E164 = /^\+[1-9]\d{1,14}$/;
/** The separators people write numbers with; Twilio ignores them. */
const SEPARATORS = /[\s().-]/g;
/**
 * `sip:` (or `sips:`) user@host[:port][;params], as RFC 3261 writes a SIP URI: the host a name, an IPv4 address or
 * a bracketed IPv6 address. Headers (`?...`) are not taken: they would let a request smuggle SIP headers.
 */
const SIP_URI = /^sips?:(?:[^@\s;?]+@)?(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:.]+\])(?::\d{1,5})?(?:;[^\s;?]+)*$/i;
const MAX_SIP_URI = 256;

/**
 * The number in E.164, or null when it is not one.
 *
 * @example
 *   normalizeE164('14155550100') // null: E.164 starts with +
 */
export function normalizeE164(value: string): string | null {
  const compact = value.trim().replace(SEPARATORS, '');
  return E164.test(compact) ? compact : null;
}

/**
 * A SIP URI as given (trimmed), or null when it is not one paytone can dial.
 *
 * @example
 *   sipUri('sip:+15551230001@127.0.0.1:5090;transport=udp') // 'sip:+15551230001@127.0.0.1:5090;transport=udp'
 */
export function sipUri(value: string): string | null {
  const trimmed = value.trim();
  return trimmed.length <= MAX_SIP_URI && SIP_URI.test(trimmed) ? trimmed : null;
}

/**
 * The endpoint a call's `To` (or a `<Dial>` noun) names, or null when it is neither a number nor a SIP URI.
 *
 * @example
 *   callEndpoint('hello') // null
 */
export function callEndpoint(value: string): CallEndpoint | null {
  if (/^sips?:/i.test(value.trim())) {
    const uri = sipUri(value);
    return uri === null ? null : { kind: 'sip', uri };
  }
  const number = normalizeE164(value);
  return number === null ? null : { kind: 'number', number };
}

/**
 * North American numbers read `(415) 555-0100`, as Twilio formats them; anything else stays as given.
 *
 * @example
 *   formatPhoneNumber('+14155550100') // '(415) 555-0100'
 */
export function formatPhoneNumber(number: string): string {
  const nanp = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(number);
  return nanp ? `(${nanp[1]}) ${nanp[2]}-${nanp[3]}` : number;
}
