/**
 * What can go wrong while a call's TwiML is fetched and run, by Twilio's error code. Each one becomes a
 * notification on the call (`GET .../Calls/{CallSid}/Notifications.json`) and a log line, never an exception.
 *
 * @example
 *   const problem: TwimlProblem = { code: 13910, message: '<Pause length="soon"> must be a whole number of seconds.' };
 */

/** Twilio's codes for webhook and TwiML problems, and what each is called in its error dictionary. */
export const TWIML_PROBLEM_CODES = {
  11100: 'Invalid URL format',
  11200: 'HTTP retrieval failure',
  11205: 'HTTP connection failure',
  11215: 'HTTP too many redirects',
  12100: 'Document parse failure',
  12200: 'Schema validation warning',
  12300: 'Invalid Content-Type',
  13212: 'Dial: Invalid timeout value',
  13214: 'Dial: Invalid callerId value',
  13224: 'Dial: Invalid phone number',
  13310: 'Gather: Invalid finishOnKey value',
  13313: 'Gather: Invalid timeout value',
  13314: 'Gather: Invalid numDigits value',
  13320: 'Gather: Invalid nested verb',
  13510: 'Say: Invalid loop value',
  13511: 'Say: Invalid language value',
  13520: 'Say: Invalid text',
  13610: 'Play: Invalid loop value',
  13617: 'Play: Invalid content type',
  13910: 'Pause: Invalid length value',
  64003: 'Pay: Invalid charge amount',
  64004: 'Pay: Payment connector not found',
  64016: 'Pay: Invalid action URL',
  64017: 'Pay: bankAccountType is not supported with credit-card',
  64020: 'Pay: Invalid attribute value',
} as const;

export type TwimlProblemCode = keyof typeof TWIML_PROBLEM_CODES;

export interface TwimlProblem {
  code: TwimlProblemCode;
  /** What went wrong and how to fix it; never a secret. */
  message: string;
}

/** The request a problem came from, when it came from one: kept on the notification, as Twilio shows it. */
export interface ProblemRequest {
  url: string;
  method: 'GET' | 'POST';
  params: Record<string, string>;
  /** What the app answered, when it answered. */
  response?: { status: number; headers: Record<string, string>; body: string };
}
