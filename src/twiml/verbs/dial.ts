/**
 * `<Dial>`: rings one or more `<Sip>` / `<Number>` legs (the first to answer is bridged to the caller), and when the
 * bridge ends requests `action` with `DialCallStatus`, `DialCallSid` and `DialCallDuration`, whose TwiML then runs.
 * Without `action` the document goes on after `<Dial>`. Attributes: `action`, `method`, `timeout` (seconds of
 * ringing, 30 by default), `callerId`, `answerOnBridge`, `timeLimit`, and `record="do-not-record"` (paytone records
 * nothing; any other value is refused).
 *
 * @example
 *   <Response><Dial action="/after-agent" timeout="20"><Sip>sip:agent@10.0.0.5:5060</Sip></Dial></Response>
 */
import type { DialOptions, DialTarget } from '../callControl.js';
import { NEXT, parsed, problem, requestMethod, requestUrl, type NextRequest, type Parsed, type Verb, type VerbScope } from '../verb.js';
import { dialTargets } from './dialNouns.js';

interface DialInstruction {
  targets: DialTarget[];
  options: DialOptions;
  /** Where the outcome goes, or null: the document goes on. */
  action: Pick<NextRequest, 'url' | 'method'> | null;
}

const DEFAULT_TIMEOUT = 30;
const MAX_TIMEOUT = 600;
const DEFAULT_TIME_LIMIT = 14_400;
const MAX_CALLER_ID = 128;
const NOT_RECORDING = new Set(['do-not-record', 'false']);

export const dial: Verb<DialInstruction> = {
  name: 'Dial',
  parse(element, scope) {
    const a = element.attributes;
    if (a.record !== undefined && !NOT_RECORDING.has(a.record)) {
      return problem(12200, `paytone does not record calls: <Dial record="${a.record.slice(0, 40)}"> is refused; use do-not-record or leave it out.`);
    }
    if (a.hangupOnStar === 'true') return problem(12200, 'paytone does not support <Dial hangupOnStar="true"> yet: * is a pay session\'s key.');
    const timeout = seconds(a.timeout, DEFAULT_TIMEOUT, MAX_TIMEOUT);
    if (timeout === null) return problem(13212, `<Dial timeout="${String(a.timeout).slice(0, 40)}"> must be a whole number of seconds from 1 to ${MAX_TIMEOUT}.`);
    const timeLimit = seconds(a.timeLimit, DEFAULT_TIME_LIMIT, DEFAULT_TIME_LIMIT);
    if (timeLimit === null) return problem(12200, `<Dial timeLimit="${String(a.timeLimit).slice(0, 40)}"> must be a whole number of seconds from 1 to ${DEFAULT_TIME_LIMIT}.`);
    const callerId = a.callerId === undefined || a.callerId === '' ? null : a.callerId;
    if (callerId !== null && (callerId.length > MAX_CALLER_ID || /[\s<>"]/.test(callerId))) {
      return problem(13214, `<Dial callerId> must be a number or SIP user of at most ${MAX_CALLER_ID} characters with no spaces or quotes.`);
    }
    const answerOnBridge = a.answerOnBridge === 'true';
    const action = dialAction(a, scope);
    if (!action.ok) return action;
    const targets = dialTargets(element, scope);
    if (!targets.ok) return targets;
    return parsed({ targets: targets.value, options: { timeoutSeconds: timeout, callerId, answerOnBridge, timeLimitSeconds: timeLimit }, action: action.value });
  },
  answers: (instruction) => !instruction.options.answerOnBridge,
  async run(instruction, run) {
    const outcome = await run.control.dial(instruction.targets, { ...instruction.options, signal: run.stop });
    // With answerOnBridge the caller was answered when the leg was.
    if (outcome.status === 'completed') run.answered = true;
    if (instruction.action === null) return NEXT;
    const params: Record<string, string> = { DialCallStatus: outcome.status, DialBridged: String(outcome.status === 'completed') };
    if (outcome.childCallSid !== null) params.DialCallSid = outcome.childCallSid;
    if (outcome.status === 'completed') params.DialCallDuration = String(outcome.durationSeconds);
    return { kind: 'request', request: { ...instruction.action, params, evenIfHungUp: true } };
  },
};

function dialAction(a: Record<string, string>, scope: VerbScope): Parsed<DialInstruction['action']> {
  if (a.action === undefined || a.action === '') return parsed(null);
  const url = requestUrl(a.action, 'action', 'Dial', scope);
  if (!url.ok) return url;
  const method = requestMethod(a, 'Dial');
  if (!method.ok) return method;
  return parsed({ url: url.value, method: method.value });
}

/** A whole number of seconds from 1 to `max`, `fallback` when absent, null when invalid. */
function seconds(given: string | undefined, fallback: number, max: number): number | null {
  if (given === undefined || given === '') return fallback;
  const n = /^\d+$/.test(given.trim()) ? Number(given) : NaN;
  return Number.isSafeInteger(n) && n >= 1 && n <= max ? n : null;
}
