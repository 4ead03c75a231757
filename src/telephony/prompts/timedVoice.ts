/**
 * The sandbox's voice: nobody listens, so a `<Say>` lasts as long as it would take to say (eSpeak's pace, see
 * `sayingMs`) and a `<Play>` as long as its file (8 kHz samples; fetched, so a file that cannot be played is reported as on a real
 * call). What is said reaches the console through the call's live feed (src/twiml/speech.ts narrates it).
 *
 * @example
 *   const voice = new TimedVoice({ clock: systemClock, files });
 *   await voice.say({ kind: 'say', text: 'Welcome', voice: 'man', language: 'en-US', loop: 1 }, signal);
 */
import type { Clock } from '../../twiml/clock.js';
import type { TwimlProblem } from '../../twiml/problems.js';
import { sayingMs, type CallVoice, type SayNoun } from '../../twiml/speech.js';
import type { PlayFiles } from './playFiles.js';

export class TimedVoice implements CallVoice {
  constructor(private readonly deps: { clock: Clock; files: PlayFiles }) {}

  async say(say: SayNoun, signal: AbortSignal): Promise<void> {
    await this.deps.clock.sleep(sayingMs(say.text), signal);
  }

  async play(url: string, signal: AbortSignal): Promise<TwimlProblem | null> {
    const file = await this.deps.files.get(url);
    if (!file.ok) return file.problem;
    await this.deps.clock.sleep(Math.round(file.samples.length / 8), signal);
    return null;
  }
}
