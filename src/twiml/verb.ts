/**
 * The one lifecycle every TwiML verb module follows (src/twiml/verbs/, one file per verb): `parse` reads the
 * element into an instruction, or a problem naming what is wrong, without doing anything; `answers` says whether
 * the call must be answered before it runs; `run` carries it out over the call's `CallControl` and says what the
 * document does next. Adding a verb (`<Pay>`, `<Say>`, `<Gather>`) is adding one file and one line to the registry.
 *
 * @example
 *   const parsed = pause.parse(element, scope);
 *   if (parsed.ok) outcome = await pause.run(parsed.value, run);
 */
import type { CallRecord } from '../domain/callView.js';
import type { CallbackPolicy } from '../domain/callbackPolicy.js';
import { PaytoneError } from '../domain/errors.js';
import { webhookUrl } from '../domain/webhookParams.js';
import type { CallControl } from './callControl.js';
import type { Clock } from './clock.js';
import type { TwimlElement } from './document.js';
import type { TwimlProblem } from './problems.js';
import type { PayServices } from './pay/payPorts.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: TwimlProblem };

/** What a verb's attributes are read against. */
export interface VerbScope {
  /** The URL the document came from: relative URLs resolve against it; null for a document given as `Twiml`. */
  documentUrl: string | null;
  /** Where paytone may send requests (an `action`, a `<Redirect>`). */
  policy: CallbackPolicy;
}

/** What a running verb works with. */
export interface VerbRun {
  call: CallRecord;
  control: CallControl;
  clock: Clock;
  /** Whether the call has been answered, by this document or before it; a verb that answers it says so here. */
  answered: boolean;
  /** Fires when the verb must stop: the caller hung up, or the API redirected the call to other TwiML. */
  stop: AbortSignal;
  /** Tells the call's live feed what paytone says (`said`, with Text, Voice, Language) or plays (`played`, with Url). */
  narrate(kind: 'said' | 'played', params: Record<string, string>): Promise<void>;
  /** Records a problem that does not end the call (a `<Play>` that cannot be fetched): a notification and a log line. */
  notify(problem: TwimlProblem): Promise<void>;
  /** The caller's keys that no pay session takes, from now on; the returned function stops them. */
  keys(listener: (key: string) => void): () => void;
  /** Told each time the caller presses a key, a pay session's included (never which key); the returned function stops it. */
  keyPressed(listener: () => void): () => void;
  /** What `<Pay>` takes payments with; null where the interpreter was built without them. */
  pay: PayServices | null;
}

/** A request for the next document: a `<Redirect>`, or a `<Dial>`'s action with the dial's outcome. */
export interface NextRequest {
  url: string;
  method: 'GET' | 'POST';
  /** Parameters sent besides the call's own (`DialCallStatus` ...). */
  params: Record<string, string>;
  /** Made even when the caller has hung up meanwhile (a `<Dial>` action); the TwiML it returns is then not run. */
  evenIfHungUp: boolean;
}

export type VerbOutcome = { kind: 'next' } | { kind: 'ended' } | { kind: 'request'; request: NextRequest };

export interface Verb<T> {
  readonly name: string;
  parse(element: TwimlElement, scope: VerbScope): Parsed<T>;
  answers(instruction: T): boolean;
  run(instruction: T, run: VerbRun): Promise<VerbOutcome>;
}

export const NEXT: VerbOutcome = { kind: 'next' };
export const ENDED: VerbOutcome = { kind: 'ended' };

export function parsed<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

export function problem(code: TwimlProblem['code'], message: string): Parsed<never> {
  return { ok: false, problem: { code, message } };
}

/**
 * An attribute's URL resolved against the document's, checked as every URL paytone requests is (absolute http(s),
 * allowed by the callback policy); 11100 otherwise.
 *
 * @example
 *   requestUrl('/after-dial', 'action', 'Dial', scope) // { ok: true, value: 'https://app.example/after-dial' }
 */
export function requestUrl(value: string, attribute: string, verb: string, scope: VerbScope): Parsed<string> {
  let absolute: string;
  try {
    absolute = new URL(value, scope.documentUrl ?? undefined).toString();
  } catch {
    const why = scope.documentUrl === null ? 'a document given as Twiml has no URL to resolve a relative one against' : 'it is not a URL';
    return problem(11100, `<${verb} ${attribute}="${value.slice(0, 200)}"> cannot be requested: ${why}.`);
  }
  try {
    return parsed(webhookUrl(`<${verb}> ${attribute}`, absolute, scope.policy));
  } catch (err) {
    if (err instanceof PaytoneError) return problem(11100, err.message);
    throw err;
  }
}

/**
 * GET or POST (any letter case), POST when absent; 12200 naming the verb otherwise.
 *
 * @example
 *   requestMethod({ method: 'get' }, 'Redirect') // { ok: true, value: 'GET' }
 */
export function requestMethod(attributes: Record<string, string>, verb: string, attribute = 'method'): Parsed<'GET' | 'POST'> {
  const value = attributes[attribute];
  if (value === undefined || value === '') return parsed('POST');
  const upper = value.toUpperCase();
  if (upper === 'GET' || upper === 'POST') return parsed(upper);
  return problem(12200, `<${verb} ${attribute}="${value.slice(0, 40)}"> must be GET or POST.`);
}
