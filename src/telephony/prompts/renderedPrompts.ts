/**
 * Rendered `<Say>` prompts, kept: an IVR says the same few sentences on every call, so each (text, voice,
 * language) is synthesized once and played from memory after that (up to 64 MB of 8 kHz audio, about 70 minutes,
 * least recently used first out). Calls asking for the same prompt at once share one render. With a text-to-speech
 * service set, it renders; when it fails, eSpeak NG does, so the caller still hears the prompt (and the log says
 * why the service failed).
 *
 * @example
 *   const prompts = new RenderedPrompts({ primary: service, fallback: new EspeakSynthesizer(), log });
 *   const samples = await prompts.render({ text: 'Welcome', voice: 'man', language: 'en-US' });
 */
import type { Logger } from '../../log.js';
import type { Synthesizer, Utterance } from './espeakSynthesizer.js';

const CACHE_BYTES = 64 * 1024 * 1024;

interface KeptPrompt {
  samples: Promise<Int16Array>;
  /** Its size once rendered; 0 while it renders (a render in progress is never forgotten). */
  bytes: number;
}

export class RenderedPrompts implements Synthesizer {
  /** Most recently used last. */
  private readonly kept = new Map<string, KeptPrompt>();
  private keptBytes = 0;

  constructor(private readonly deps: { primary: Synthesizer; fallback: Synthesizer | null; log: Logger }) {}

  render(utterance: Utterance): Promise<Int16Array> {
    const key = JSON.stringify([utterance.voice, utterance.language.toLowerCase(), utterance.text]);
    const kept = this.kept.get(key);
    if (kept !== undefined) {
      this.kept.delete(key);
      this.kept.set(key, kept);
      return kept.samples;
    }
    const prompt: KeptPrompt = { samples: this.renderNew(utterance), bytes: 0 };
    this.kept.set(key, prompt);
    prompt.samples.then(
      (samples) => {
        prompt.bytes = samples.byteLength;
        this.keptBytes += prompt.bytes;
        this.forgetOldest();
      },
      // A failed render is tried again next time.
      () => this.kept.delete(key),
    );
    return prompt.samples;
  }

  private async renderNew(utterance: Utterance): Promise<Int16Array> {
    try {
      return await this.deps.primary.render(utterance);
    } catch (err) {
      if (this.deps.fallback === null) throw err;
      this.deps.log.warn({ err: (err as Error).message }, 'the text-to-speech service failed; eSpeak NG says the prompt instead');
      return this.deps.fallback.render(utterance);
    }
  }

  private forgetOldest(): void {
    for (const [key, prompt] of this.kept) {
      if (this.keptBytes <= CACHE_BYTES) return;
      if (prompt.bytes === 0) continue;
      this.kept.delete(key);
      this.keptBytes -= prompt.bytes;
    }
  }
}
