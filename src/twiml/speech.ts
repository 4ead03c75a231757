/**
 * What paytone says to a caller: a list of `<Say>`, `<Play>` and `<Pause>` nouns, spoken in order, with their
 * loops. The same nouns serve `<Say>`/`<Play>`/`<Pause>` as verbs, inside `<Gather>`, and inside `<Pay>`'s
 * `<Prompt>`.
 *
 * Every call narrates: each `<Say>` becomes a `said` live event ("paytone said: …", on the console and the
 * caller's phone page), each `<Play>` a `played` one. How the words reach the caller is the call's `CallVoice`:
 * a real call synthesizes them and plays the audio to the caller; a sandbox call waits as long as they would take
 * to say. Speaking never throws: a `<Play>` that cannot be fetched is a notification and speech goes on.
 *
 * The handle can be stopped at any time, and with `{ bargeIn: true }` any key the caller presses stops it (a pay
 * session's keys too: speech is told that a key was pressed, never which). `done` resolves when every noun was
 * spoken or speech was stopped (or the call ended, or was redirected: `run.stop`).
 *
 * @example
 *   const read = readSpokenNouns(prompt.children, 'Prompt', scope);      // parse time
 *   const speech = speak(read.value, run, { bargeIn: true });            // run time: a key stops it
 *   const { stopped } = await speech.done;
 */
import type { TwimlElement } from './document.js';
import type { TwimlProblem } from './problems.js';
import { NEXT, parsed, problem, requestUrl, type Parsed, type Verb, type VerbRun, type VerbScope } from './verb.js';

/** A `<Say>`: its text, and the voice and language it is said in (Twilio's defaults: `man`, `en-US`). */
export interface SayNoun {
  kind: 'say';
  text: string;
  voice: string;
  language: string;
  /** How many times, at least 1 (Twilio's `loop="0"`, "until stopped", is read as `MAX_LOOPS`). */
  loop: number;
}

/** A `<Play>`: an absolute URL of a WAV or µ-law file, checked against the callback policy. */
export interface PlayNoun {
  kind: 'play';
  url: string;
  loop: number;
}

export interface PauseNoun {
  kind: 'pause';
  seconds: number;
}

export type SpokenNoun = SayNoun | PlayNoun | PauseNoun;

/**
 * How one call utters words and audio: the port a real call (audio to the caller) and a sandbox call (time
 * passing) implement. Each method resolves when done, or as soon as `signal` fires.
 */
export interface CallVoice {
  say(say: SayNoun, signal: AbortSignal): Promise<void>;
  /** Starts getting `say` ready (a real call renders it), so that it plays at once when its turn comes. */
  prepare?(say: SayNoun): void;
  /** Null when played; the problem (a fetch failure, an unknown format) when it could not be. */
  play(url: string, signal: AbortSignal): Promise<TwimlProblem | null>;
}

/** Speech in progress. */
export interface Speech {
  /** Stops speaking now (barge-in); the noun being spoken is cut short. */
  stop(): void;
  /** Resolves when speech ends: `stopped` when `stop()` (or the call's end or a redirect) cut it short. */
  readonly done: Promise<{ stopped: boolean }>;
}

/** Twilio repeats a `loop="0"` noun "until the call ends"; paytone stops after this many. */
export const MAX_LOOPS = 1000;
/** Twilio's `<Say>` text limit. */
const MAX_SAY_CHARACTERS = 4096;
const MAX_PAUSE_SECONDS = 3600;
const LANGUAGE_TAG = /^[a-z]{2,3}(-[a-z0-9]{2,8}){0,2}$/i;

/**
 * Speaks `nouns` in order on the call that `run` runs on. With `bargeIn`, any key the caller presses (a pay
 * session's too) stops it, as callers expect of a prompt that asks them to type.
 */
export function speak(nouns: readonly SpokenNoun[], run: Pick<VerbRun, 'control' | 'clock' | 'stop' | 'narrate' | 'notify' | 'keyPressed'>, options: { bargeIn?: boolean } = {}): Speech {
  const stopping = new AbortController();
  const signal = AbortSignal.any([stopping.signal, run.stop]);
  const stopOnKey = options.bargeIn === true ? run.keyPressed(() => stopping.abort()) : () => undefined;
  const done = (async () => {
    for (const noun of nouns) {
      const times = noun.kind === 'pause' ? 1 : noun.loop;
      for (let i = 0; i < times && !signal.aborted; i++) {
        if (noun.kind === 'pause') await run.clock.sleep(noun.seconds * 1000, signal);
        else if (noun.kind === 'say') {
          await run.narrate('said', { Text: noun.text, Voice: noun.voice, Language: noun.language });
          await run.control.voice.say(noun, signal);
        } else {
          await run.narrate('played', { Url: noun.url });
          const failed = await run.control.voice.play(noun.url, signal);
          // One notification for a file that cannot be played, not one per loop.
          if (failed !== null) {
            await run.notify(failed);
            break;
          }
        }
      }
      if (signal.aborted) break;
    }
    stopOnKey();
    return { stopped: signal.aborted };
  })();
  return { stop: () => stopping.abort(), done };
}

/**
 * Gets every `<Say>` of a document ready at once, verbs and those nested in `<Gather>` alike, in document order:
 * on a real call each sentence is rendered while the ones before it play, not when its turn comes.
 */
export function prepareSpeech(verbs: readonly TwimlElement[], scope: VerbScope, voice: CallVoice): void {
  if (voice.prepare === undefined) return;
  for (const verb of verbs) {
    for (const element of verb.name === 'Gather' ? verb.children : [verb]) {
      const noun = element.name === 'Say' ? readSpokenNoun(element, scope) : null;
      if (noun?.ok && noun.value.kind === 'say') voice.prepare(noun.value);
    }
  }
}

/**
 * The `<Say>`, `<Play>` and `<Pause>` nouns nested in `parent` (`Gather`, `Prompt`), in order; anything else
 * nested is refused with `nestedCode` (Twilio's "invalid nested verb" code of the parent).
 */
export function readSpokenNouns(children: readonly TwimlElement[], parent: string, scope: VerbScope, nestedCode: TwimlProblem['code'] = 12200): Parsed<SpokenNoun[]> {
  const nouns: SpokenNoun[] = [];
  for (const child of children) {
    const read = readSpokenNoun(child, scope, parent);
    if (read === null) return problem(nestedCode, `<${parent}> may hold <Say>, <Play> and <Pause>; <${child.name}> is not allowed inside it.`);
    if (!read.ok) return read;
    nouns.push(read.value);
  }
  return parsed(nouns);
}

/** One `<Say>`, `<Play>` or `<Pause>` (a verb, or nested in `parent`); null for any other element. */
export function readSpokenNoun(element: TwimlElement, scope: VerbScope, parent?: string): Parsed<SpokenNoun> | null {
  const where = parent === undefined ? element.name : `${parent}><${element.name}`;
  const a = element.attributes;
  if (element.name === 'Say') {
    // SSML children (<prosody>, <break> ...) are read for their text: the words are said, the markup is not.
    const text = (element.allText ?? element.text).replace(/\s+/g, ' ').replace(/ ([.,;:!?])/g, '$1');
    if (text === '') return problem(13520, `<${where}> has no text to say.`);
    if (text.length > MAX_SAY_CHARACTERS) return problem(13520, `<${where}> holds ${text.length} characters; Twilio says at most ${MAX_SAY_CHARACTERS}.`);
    const language = a.language === undefined || a.language === '' ? 'en-US' : a.language;
    if (!LANGUAGE_TAG.test(language)) return problem(13511, `<${where} language="${language.slice(0, 40)}"> is not a language tag such as en-US or fr-FR.`);
    const voice = a.voice === undefined || a.voice === '' ? 'man' : a.voice;
    if (!/^[A-Za-z0-9._-]{1,80}$/.test(voice)) return problem(12200, `<${where} voice="${voice.slice(0, 40)}"> is not a voice name such as man, woman, alice or Polly.Joanna.`);
    const loop = loops(a.loop, 13510, where);
    if (!loop.ok) return loop;
    return parsed({ kind: 'say', text, voice, language, loop: loop.value });
  }
  if (element.name === 'Play') {
    if (a.digits !== undefined) return problem(12200, `paytone does not play digits (<${where} digits>): it never sends tones to a caller.`);
    if (element.text === '') return problem(11100, `<${where}> needs the URL of a WAV or µ-law file as its text.`);
    const url = requestUrl(element.text, 'URL', element.name, scope);
    if (!url.ok) return url;
    const loop = loops(a.loop, 13610, where);
    if (!loop.ok) return loop;
    return parsed({ kind: 'play', url: url.value, loop: loop.value });
  }
  if (element.name === 'Pause') {
    const given = a.length;
    if (given === undefined) return parsed({ kind: 'pause', seconds: 1 });
    const seconds = /^\d+$/.test(given.trim()) ? Number(given) : NaN;
    if (!Number.isSafeInteger(seconds) || seconds > MAX_PAUSE_SECONDS) {
      return problem(13910, `<${where} length="${given.slice(0, 40)}"> must be a whole number of seconds from 0 to ${MAX_PAUSE_SECONDS}.`);
    }
    return parsed({ kind: 'pause', seconds });
  }
  return null;
}

/** How long `text` takes to say at eSpeak's default pace (175 words a minute), with a beat after it. */
export function sayingMs(text: string): number {
  const words = text.split(/\s+/).filter((w) => w !== '').length;
  return Math.round((words * 60_000) / 175) + 250;
}

function loops(given: string | undefined, code: TwimlProblem['code'], where: string): Parsed<number> {
  if (given === undefined || given === '') return parsed(1);
  const n = /^\d+$/.test(given.trim()) ? Number(given) : NaN;
  if (!Number.isSafeInteger(n)) return problem(code, `<${where} loop="${given.slice(0, 40)}"> must be a whole number, 0 (repeat) or more.`);
  return parsed(n === 0 ? MAX_LOOPS : Math.min(n, MAX_LOOPS));
}

/**
 * `<Say>`, `<Play>` or `<Pause>` as a verb: the noun read as above, the call answered first, spoken, then the
 * document goes on. One lifecycle for the three (src/twiml/verbs/say.ts, play.ts, pause.ts).
 */
export function spokenVerb(name: 'Say' | 'Play' | 'Pause'): Verb<SpokenNoun> {
  return {
    name,
    parse: (element, scope) => readSpokenNoun(element, scope) ?? problem(12200, `<${element.name}> is not <${name}>.`),
    answers: () => true,
    async run(noun, run) {
      await speak([noun], run).done;
      return NEXT;
    },
  };
}
