/**
 * The nouns of `<Dial>` paytone dials: `<Sip>` (a SIP URI) and `<Number>` (an E.164 number, through the SIP trunk),
 * or a number as `<Dial>`'s own text. Each may carry its leg's own status callback (`statusCallback`,
 * `statusCallbackEvent`, `statusCallbackMethod`).
 *
 * @example
 *   dialTargets(element, scope) // { ok: true, value: [{ kind: 'sip', uri: 'sip:agent@10.0.0.5', statusCallback: null }] }
 */
import { CALL_EVENTS, type CallEvent } from '../../domain/callView.js';
import { normalizeE164, sipUri } from '../../domain/endpoints.js';
import type { ChildStatusCallback } from '../../telephony/callPorts.js';
import type { DialTarget } from '../callControl.js';
import type { TwimlElement } from '../document.js';
import { parsed, problem, requestMethod, requestUrl, type Parsed, type VerbScope } from '../verb.js';

/** Twilio dials at most ten nouns at once. */
const MAX_NOUNS = 10;
/** Attributes that would change what the leg does, which paytone does not do yet: refused rather than ignored. */
const NOT_YET: Record<string, string[]> = {
  Sip: ['username', 'password', 'url'],
  Number: ['sendDigits', 'url', 'byoc', 'machineDetection', 'amdStatusCallback'],
};

export function dialTargets(dial: TwimlElement, scope: VerbScope): Parsed<DialTarget[]> {
  if (dial.children.length === 0) {
    if (dial.text === '') return problem(12200, '<Dial> needs something to dial: a number as its text, or <Sip> or <Number> nouns.');
    return number(dial.text, null);
  }
  if (dial.children.length > MAX_NOUNS) return problem(12200, `<Dial> may dial at most ${MAX_NOUNS} nouns at once; it has ${dial.children.length}.`);
  const targets: DialTarget[] = [];
  for (const noun of dial.children) {
    if (noun.name !== 'Sip' && noun.name !== 'Number') {
      return problem(12200, `paytone does not dial <${noun.name}> yet; it dials <Sip> and <Number>.`);
    }
    const refused = NOT_YET[noun.name]!.find((a) => noun.attributes[a] !== undefined);
    if (refused !== undefined) return problem(12200, `paytone does not support <${noun.name} ${refused}> yet; remove the attribute.`);
    const callback = statusCallback(noun, scope);
    if (!callback.ok) return callback;
    const target = noun.name === 'Sip' ? sip(noun.text, callback.value) : number(noun.text, callback.value);
    if (!target.ok) return target;
    targets.push(...target.value);
  }
  return parsed(targets);
}

function sip(text: string, statusCallback: ChildStatusCallback | null): Parsed<DialTarget[]> {
  const uri = sipUri(text);
  if (uri === null) return problem(13224, `<Sip>${text.slice(0, 100)}</Sip> is not a SIP URI such as sip:agent@pbx.example.com:5060.`);
  return parsed([{ kind: 'sip', uri, statusCallback }]);
}

function number(text: string, statusCallback: ChildStatusCallback | null): Parsed<DialTarget[]> {
  const e164 = normalizeE164(text);
  if (e164 === null) return problem(13224, `<Number>${text.slice(0, 40)}</Number> is not an E.164 number such as +14155550100.`);
  return parsed([{ kind: 'number', number: e164, statusCallback }]);
}

function statusCallback(noun: TwimlElement, scope: VerbScope): Parsed<ChildStatusCallback | null> {
  const given = noun.attributes.statusCallback;
  if (given === undefined || given === '') return parsed(null);
  const url = requestUrl(given, 'statusCallback', noun.name, scope);
  if (!url.ok) return url;
  const method = requestMethod(noun.attributes, noun.name, 'statusCallbackMethod');
  if (!method.ok) return method;
  const named = (noun.attributes.statusCallbackEvent ?? '').split(/[\s,]+/).filter((e) => e !== '');
  const unknown = named.find((e) => !(CALL_EVENTS as readonly string[]).includes(e));
  if (unknown !== undefined) return problem(12200, `<${noun.name} statusCallbackEvent> may name ${CALL_EVENTS.join(', ')}; got "${unknown.slice(0, 40)}".`);
  const events: CallEvent[] = named.length === 0 ? ['completed'] : CALL_EVENTS.filter((e) => named.includes(e));
  return parsed({ url: url.value, method: method.value, events });
}
