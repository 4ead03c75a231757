/**
 * `<Prompt>` nouns of `<Pay>`, and which one is spoken when. A prompt names its step (`for`) and may narrow itself to
 * some tries (`attempt="2 3"`), some errors (`errorType="timeout invalid-card-number"`), some card types, or to the
 * second entry of a field typed twice (`requireMatchingInputs="true"`). The prompt that fits the moment and narrows
 * most is spoken (the first in the document among equals). When an error has no prompt of its own, paytone's
 * sentence for the error comes first, then the field's own prompt; a step with no prompt at all gets paytone's
 * sentence for it in the `<Pay>` language (defaultPrompts.ts).
 *
 * @example
 *   const nouns = promptNouns(prompts, { step: 'expiration-date', attempt: 2, errorType: 'invalid-date', cardType: 'visa', matching: false }, 'en-US');
 *   // [<Say>That expiration date is not valid.</Say>, <Say>Please enter the expiration date, ...</Say>]
 */
import { CARD_TYPES, type CardType } from '../../domain/types.js';
import { shownValue } from '../../domain/form.js';
import type { TwimlElement } from '../document.js';
import { readSpokenNouns, type SayNoun, type SpokenNoun } from '../speech.js';
import { parsed, problem, type Parsed, type VerbScope } from '../verb.js';
import { defaultWords, PROMPT_ERROR_TYPES, PROMPT_STEPS, type PayLanguage, type PromptErrorType, type PromptStep } from './defaultPrompts.js';

export interface PayPrompt {
  for: PromptStep;
  errorTypes: PromptErrorType[];
  cardTypes: CardType[];
  attempts: number[];
  requireMatchingInputs: boolean;
  /** `<Say>`, `<Play>` and `<Pause>`, in order. */
  nouns: SpokenNoun[];
}

/** The voice paytone's own sentences are said in: `<Say>`'s default. */
const BUILT_IN_VOICE = 'man';

/** Where the flow stands when it speaks. */
export interface PromptMoment {
  step: PromptStep;
  /** 1 for the first try of the step. */
  attempt: number;
  /** Why the step is asked again, in `<Prompt errorType>` words; null on a first try. */
  errorType: PromptErrorType | null;
  /** The card type of the card number typed, once there is one. */
  cardType: CardType | null;
  /** The second entry of a field typed twice. */
  matching: boolean;
}

const MAX_ATTEMPT = 10;

export function payPrompts(children: TwimlElement[], scope: VerbScope): Parsed<PayPrompt[]> {
  const prompts: PayPrompt[] = [];
  for (const child of children) {
    if (child.name === 'Parameter') continue;
    if (child.name !== 'Prompt') return problem(12200, `<Pay> holds <Prompt> and <Parameter> nouns; <${child.name}> is not one of them.`);
    const prompt = payPrompt(child, scope);
    if (!prompt.ok) return prompt;
    prompts.push(prompt.value);
  }
  return parsed(prompts);
}

function payPrompt(element: TwimlElement, scope: VerbScope): Parsed<PayPrompt> {
  const a = element.attributes;
  const step = PROMPT_STEPS.find((s) => s === a.for);
  if (step === undefined) return problem(64020, `<Prompt for=${shownValue(a.for ?? '')}> must be one of ${PROMPT_STEPS.join(', ')}.`);
  const errorTypes = listOf(a.errorType, 'errorType', PROMPT_ERROR_TYPES, { 'input-timeout': 'timeout' });
  if (!errorTypes.ok) return errorTypes;
  const cardTypes = listOf(a.cardType, 'cardType', CARD_TYPES, {});
  if (!cardTypes.ok) return cardTypes;
  const attempts = (a.attempt ?? '').split(/\s+/).filter((n) => n !== '');
  if (attempts.some((n) => !/^\d+$/.test(n) || Number(n) < 1 || Number(n) > MAX_ATTEMPT)) {
    return problem(64020, `<Prompt attempt=${shownValue(a.attempt!)}> must be whole numbers from 1 to ${MAX_ATTEMPT}, separated by spaces.`);
  }
  const matching = (a.requireMatchingInputs ?? 'false').toLowerCase();
  if (matching !== 'true' && matching !== 'false') return problem(64020, `<Prompt requireMatchingInputs=${shownValue(a.requireMatchingInputs!)}> must be true or false.`);
  const nouns = readSpokenNouns(element.children, 'Prompt', scope);
  if (!nouns.ok) return nouns;
  return parsed({ for: step, errorTypes: errorTypes.value, cardTypes: cardTypes.value, attempts: attempts.map(Number), requireMatchingInputs: matching === 'true', nouns: nouns.value });
}

function listOf<T extends string>(given: string | undefined, attribute: string, allowed: readonly T[], aliases: Record<string, T>): Parsed<T[]> {
  const names = (given ?? '').split(/\s+/).filter((n) => n !== '').map((n) => aliases[n] ?? n);
  const unknown = names.find((n) => !(allowed as readonly string[]).includes(n));
  if (unknown !== undefined) return problem(64020, `<Prompt ${attribute}>: ${shownValue(unknown)} is not one of ${allowed.join(', ')}.`);
  return parsed(names as T[]);
}

/** What to say at this moment: the best fitting prompt's nouns, with paytone's sentences where none fits. */
export function promptNouns(prompts: PayPrompt[], moment: PromptMoment, language: PayLanguage): SpokenNoun[] {
  const words = defaultWords(language);
  const say = (text: string): SayNoun => ({ kind: 'say', text, voice: BUILT_IN_VOICE, language, loop: 1 });
  const forError = moment.errorType === null ? null : bestPrompt(prompts, moment, true);
  if (forError !== null) return forError.nouns;
  const own = bestPrompt(prompts, moment, false);
  const asked = own?.nouns ?? [say(moment.matching ? words.again : words.ask[moment.step])];
  return moment.errorType === null ? asked : [say(words.error[moment.errorType]), ...asked];
}

/** The fitting prompt that narrows most; `forError`: only prompts naming the moment's error, otherwise only prompts naming none. */
function bestPrompt(prompts: PayPrompt[], moment: PromptMoment, forError: boolean): PayPrompt | null {
  let best: PayPrompt | null = null;
  let bestScore = -1;
  for (const p of prompts) {
    if (p.for !== moment.step || p.requireMatchingInputs !== moment.matching) continue;
    if (forError ? !p.errorTypes.includes(moment.errorType!) : p.errorTypes.length > 0) continue;
    if (p.attempts.length > 0 && !p.attempts.includes(moment.attempt)) continue;
    if (p.cardTypes.length > 0 && (moment.cardType === null || !p.cardTypes.includes(moment.cardType))) continue;
    const score = (p.attempts.length > 0 ? 1 : 0) + (p.cardTypes.length > 0 ? 1 : 0);
    if (score > bestScore) {
      best = p;
      bestScore = score;
    }
  }
  return best;
}
