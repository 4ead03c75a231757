/**
 * A real call's voice: `<Say>` rendered (a text-to-speech service, or eSpeak NG; kept once rendered) and `<Play>`
 * files (fetched once) are played to the caller as G.711 on the call's own RTP stream, one 20 ms frame per beat of
 * the media clock, as any other audio paytone sends. Stopping (a key pressed: barge-in; a hang-up; a redirect) cuts
 * the prompt off at the next frame.
 *
 * @example
 *   const voice = new CallerVoice(() => media?.leg ?? null, { prompts, files, log });
 *   await voice.say({ kind: 'say', text: 'Welcome', voice: 'man', language: 'en-US', loop: 1 }, signal);
 */
import type { Logger } from '../../log.js';
import type { TwimlProblem } from '../../twiml/problems.js';
import type { CallVoice, SayNoun } from '../../twiml/speech.js';
import { FRAME_SAMPLES } from '../media/g711.js';
import type { FrameSource, MediaLeg } from '../media/mediaLeg.js';
import type { Synthesizer } from './espeakSynthesizer.js';
import type { PlayFiles } from './playFiles.js';

export class CallerVoice implements CallVoice {
  constructor(
    private readonly media: () => MediaLeg | null,
    private readonly deps: { prompts: Synthesizer; files: PlayFiles; log: Logger },
  ) {}

  prepare(say: SayNoun): void {
    // A failure is reported when the prompt's turn comes and it is asked for again.
    this.deps.prompts.render(say).catch(() => undefined);
  }

  async say(say: SayNoun, signal: AbortSignal): Promise<void> {
    let samples: Int16Array;
    try {
      samples = await this.deps.prompts.render(say);
    } catch (err) {
      this.deps.log.error({ err: (err as Error).message, language: say.language, voice: say.voice }, '<Say> could not be rendered; the caller hears nothing for it');
      return;
    }
    await this.toCaller(samples, signal);
  }

  async play(url: string, signal: AbortSignal): Promise<TwimlProblem | null> {
    const file = await this.deps.files.get(url);
    if (!file.ok) return file.problem;
    await this.toCaller(file.samples, signal);
    return null;
  }

  /** Resolves when the samples have been sent, or as soon as `signal` fires (the rest is never sent). */
  private toCaller(samples: Int16Array, signal: AbortSignal): Promise<void> {
    const leg = this.media();
    if (leg === null || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const frame = new Int16Array(FRAME_SAMPLES);
      let at = 0;
      const source: FrameSource = {
        next: () => {
          if (signal.aborted || at >= samples.length) {
            setImmediate(finish);
            return null;
          }
          frame.fill(0);
          frame.set(samples.subarray(at, at + FRAME_SAMPLES));
          at += FRAME_SAMPLES;
          return frame;
        },
      };
      const finish = () => {
        if (leg.prompt === source) leg.prompt = null;
        signal.removeEventListener('abort', finish);
        resolve();
      };
      signal.addEventListener('abort', finish, { once: true });
      leg.prompt = source;
    });
  }
}
