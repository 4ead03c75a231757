/**
 * `<Say>` by eSpeak NG, offline, from the `espeak-ng` npm package (WebAssembly; nothing to install beyond `npm ci`).
 * Each utterance is rendered by a child process (`espeakRender.js`), one at a time, so synthesis never competes with
 * the media clock for the event loop and a fault in it cannot take paytone down. Why this engine and not Debian's
 * `espeak-ng` command: docs/design.md, "Speech on real calls".
 *
 * Twilio's voices map onto eSpeak's: the language picks the voice (`en-US` → `en-us`, `fr-CA` → `fr`, …, English
 * when eSpeak has none), `woman`, `alice` and `*-Female`/Polly women's names the female variant, anything else
 * the default (male).
 *
 * @example
 *   const samples = await new EspeakSynthesizer().render({ text: 'Welcome', voice: 'woman', language: 'en-GB' });
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readAudioFile } from './audioFiles.js';

export interface Utterance {
  text: string;
  voice: string;
  language: string;
}

/** Renders an utterance to 8 kHz samples; rejects when it cannot. */
export interface Synthesizer {
  render(utterance: Utterance): Promise<Int16Array>;
}

const RENDER_SCRIPT = fileURLToPath(new URL('./espeakRender.js', import.meta.url));
/** A render of the longest `<Say>` (4096 characters) takes a few seconds; one stuck for this long is ended. */
const RENDER_TIMEOUT_MS = 60_000;
/** eSpeak's own language tags where they are not the BCP 47 tag lower-cased. */
const ESPEAK_LANGUAGE: Record<string, string> = { 'es-mx': 'es-419', 'es-us': 'es-419', 'fr-ca': 'fr-fr', 'pt-br': 'pt-br', 'zh-cn': 'cmn', 'zh-tw': 'cmn' };
/** Amazon Polly's women's voices that Twilio offers most (`Polly.Joanna`, `Polly.Amy-Neural` ...). */
const WOMEN = /^(woman|alice|female)$|-female$|^polly\.(joanna|kendra|kimberly|salli|ivy|ruth|danielle|amy|emma|olivia|aria|ayanda|nicole|raveena|celine|lea|vicki|marlene|conchita|lucia|mia|lupe|penelope|carla|bianca|camila|vitoria|ines|chantal|gabrielle)/i;

export class EspeakSynthesizer implements Synthesizer {
  private queue: Promise<unknown> = Promise.resolve();

  render(utterance: Utterance): Promise<Int16Array> {
    const rendered = this.queue.then(() => this.renderNow(utterance));
    this.queue = rendered.catch(() => undefined);
    return rendered;
  }

  private renderNow(utterance: Utterance): Promise<Int16Array> {
    return new Promise((resolve, reject) => {
      const child = execFile(process.execPath, [RENDER_SCRIPT], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024, timeout: RENDER_TIMEOUT_MS }, (err, stdout) => {
        if (err) return reject(new Error(`eSpeak NG could not render the prompt (${(err as { code?: unknown }).code === 2 ? 'no voice for its language' : 'exit ' + String((err as { code?: unknown }).code ?? err.message)})`));
        const read = readAudioFile(stdout, 'audio/wav');
        if (read.ok) resolve(read.samples);
        else reject(new Error(`eSpeak NG rendered something unreadable: ${read.problem}`));
      });
      child.stdin!.end(JSON.stringify({ text: utterance.text, voices: espeakVoices(utterance.voice, utterance.language) }));
    });
  }
}

/** The eSpeak voices to try for a Twilio voice and language, best first. */
export function espeakVoices(voice: string, language: string): string[] {
  const tag = language.toLowerCase();
  const variant = WOMEN.test(voice) ? '+f3' : '';
  const names = [ESPEAK_LANGUAGE[tag] ?? tag, tag.split('-')[0]!, 'en-us'];
  return [...new Set(names)].map((name) => name + variant);
}
