/**
 * `<Gather>` for keys (DTMF), as Twilio runs it: its nested `<Say>`, `<Play>` and `<Pause>` are spoken while the
 * keypad is read, and the first key stops them (barge-in). Input ends on `finishOnKey` (`#` by default; `""` for
 * none; the key itself is not part of `Digits`), on the `numDigits`th key, or `timeout` seconds (5 by default) after
 * the prompts ended or the last key was pressed. Then `action` (the document's own URL by default) is requested by
 * `method` (POST) with `Digits` and `FinishedOnKey`, and its TwiML runs instead of the rest of the document. With no
 * key, the document goes on after `<Gather>`, unless `actionOnEmptyResult="true"` (then `Digits` is empty).
 * Keys come from the call's keypad: the sandbox keypad, or a real caller's RFC 4733, SIP INFO and in-band keys.
 *
 * @example
 *   <Response>
 *     <Gather numDigits="1" action="/menu" timeout="7"><Say>For billing press 1. To pay by card press 2.</Say></Gather>
 *     <Say>We did not hear from you. Goodbye.</Say>
 *   </Response>
 */
import { readSpokenNouns, speak, type SpokenNoun } from '../speech.js';
import { NEXT, parsed, problem, requestMethod, requestUrl, type NextRequest, type Parsed, type Verb, type VerbRun, type VerbScope } from '../verb.js';

interface GatherInstruction {
  nouns: SpokenNoun[];
  /** The key that ends input, or '' for none. */
  finishOnKey: string;
  /** Input ends on this many keys; null: any number. */
  numDigits: number | null;
  timeoutSeconds: number;
  /** Where the keys go; null: nowhere to send them (a document given as `Twiml` with no `action`), the document goes on. */
  action: Pick<NextRequest, 'url' | 'method'> | null;
  actionOnEmptyResult: boolean;
}

const DEFAULT_TIMEOUT = 5;
const MAX_TIMEOUT = 600;
/** Twilio's `<Gather>` attributes; those for speech input change nothing when keys are read. */
const KNOWN_ATTRIBUTES = ['speechTimeout', 'speechModel', 'hints', 'profanityFilter', 'enhanced', 'partialResultCallback', 'partialResultCallbackMethod', 'language', 'bargeIn', 'debug', 'actionOnEmptyResult', 'input', 'numDigits', 'finishOnKey', 'timeout', 'action', 'method'];

export const gather: Verb<GatherInstruction> = {
  name: 'Gather',
  parse(element, scope) {
    const a = element.attributes;
    const unknown = Object.keys(a).find((name) => !KNOWN_ATTRIBUTES.includes(name));
    if (unknown !== undefined) return problem(12200, `<Gather ${unknown.slice(0, 40)}> is not an attribute paytone knows; remove it.`);
    const input = (a.input ?? 'dtmf').trim();
    if (input !== 'dtmf') return problem(12200, `<Gather input="${input.slice(0, 40)}">: paytone reads keys only (input="dtmf"); speech is not recognized.`);
    const finishOnKey = a.finishOnKey ?? '#';
    if (!/^[0-9#*]?$/.test(finishOnKey)) return problem(13310, `<Gather finishOnKey="${finishOnKey.slice(0, 40)}"> must be one key (0-9, # or *), or empty for none.`);
    const numDigits = wholeNumber(a.numDigits, 1, 100);
    if (numDigits === undefined) return problem(13314, `<Gather numDigits="${String(a.numDigits).slice(0, 40)}"> must be a whole number from 1 to 100.`);
    const timeout = wholeNumber(a.timeout, 1, MAX_TIMEOUT);
    if (timeout === undefined) return problem(13313, `<Gather timeout="${String(a.timeout).slice(0, 40)}"> must be a whole number of seconds from 1 to ${MAX_TIMEOUT}.`);
    const action = gatherAction(a, scope);
    if (!action.ok) return action;
    const nouns = readSpokenNouns(element.children, 'Gather', scope, 13320);
    if (!nouns.ok) return nouns;
    return parsed({
      nouns: nouns.value,
      finishOnKey,
      numDigits,
      timeoutSeconds: timeout ?? DEFAULT_TIMEOUT,
      action: action.value,
      actionOnEmptyResult: a.actionOnEmptyResult === 'true',
    });
  },
  answers: () => true,
  async run(instruction, run) {
    const { digits, finishedOnKey } = await readKeys(instruction, run);
    if (run.stop.aborted || instruction.action === null) return NEXT;
    if (digits === '' && !instruction.actionOnEmptyResult) return NEXT;
    return { kind: 'request', request: { ...instruction.action, params: { Digits: digits, FinishedOnKey: finishedOnKey }, evenIfHungUp: false } };
  },
};

/** Speaks the prompts and reads keys until input ends; what was typed and the key that ended it ('' if none did). */
async function readKeys(g: GatherInstruction, run: VerbRun): Promise<{ digits: string; finishedOnKey: string }> {
  let digits = '';
  let finishedOnKey = '';
  let finished = false;
  // Aborted to start the timeout again (a key) or to end the wait (input complete).
  let waiting = new AbortController();
  const speech = speak(g.nouns, run, { bargeIn: true });
  const stopKeys = run.keys((key) => {
    if (finished) return;
    if (g.finishOnKey !== '' && key === g.finishOnKey) {
      finishedOnKey = key;
      finished = true;
    } else {
      digits += key;
      finished = g.numDigits !== null && digits.length >= g.numDigits;
    }
    waiting.abort();
  });
  try {
    await speech.done;
    while (!finished && !run.stop.aborted) {
      waiting = new AbortController();
      await run.clock.sleep(g.timeoutSeconds * 1000, AbortSignal.any([waiting.signal, run.stop]));
      if (!waiting.signal.aborted) break;
    }
  } finally {
    stopKeys();
  }
  return { digits, finishedOnKey };
}

function gatherAction(a: Record<string, string>, scope: VerbScope): Parsed<GatherInstruction['action']> {
  const method = requestMethod(a, 'Gather');
  if (!method.ok) return method;
  if (a.action === undefined || a.action === '') return parsed(scope.documentUrl === null ? null : { url: scope.documentUrl, method: method.value });
  const url = requestUrl(a.action, 'action', 'Gather', scope);
  if (!url.ok) return url;
  return parsed({ url: url.value, method: method.value });
}

/** A whole number from `min` to `max`; null when absent, undefined when invalid. */
function wholeNumber(given: string | undefined, min: number, max: number): number | null | undefined {
  if (given === undefined || given === '') return null;
  const n = /^\d+$/.test(given.trim()) ? Number(given) : NaN;
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
}
