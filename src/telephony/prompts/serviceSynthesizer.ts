/**
 * `<Say>` by an outside text-to-speech service over HTTP (`PAYTONE_TTS_URL`), for production voices. paytone POSTs
 * JSON in the shape OpenAI-compatible speech servers take (`/v1/audio/speech`), plus the language:
 * `{"input": text, "voice": Twilio's voice as given, "language": "en-US", "response_format": "wav", "model": …}`
 * with `Authorization: Bearer PAYTONE_TTS_TOKEN` when set, and reads a WAV or µ-law answer (any rate).
 *
 * @example
 *   const service = new ServiceSynthesizer({ url: 'https://tts.internal/v1/audio/speech', token: null, model: null }, 15_000);
 *   const samples = await service.render({ text: 'Welcome', voice: 'Polly.Joanna', language: 'en-US' });
 */
import { undiciPackage } from '../../ops/onFirstUse.js';
import { bodyBytesUpTo } from '../../callbacks/voiceWebhook.js';
import { readAudioFile } from './audioFiles.js';
import type { Synthesizer, Utterance } from './espeakSynthesizer.js';
import type { SpeechSettings } from './speechSettings.js';

/** Ten minutes of 16 kHz 16-bit speech: far more than the longest `<Say>`. */
const MAX_ANSWER_BYTES = 20 * 1024 * 1024;

export class ServiceSynthesizer implements Synthesizer {
  constructor(
    private readonly settings: SpeechSettings,
    private readonly timeoutMs: number,
  ) {}

  async render(utterance: Utterance): Promise<Int16Array> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'audio/wav, audio/basic;q=0.5' };
    if (this.settings.token !== null) headers.authorization = `Bearer ${this.settings.token}`;
    const body = { input: utterance.text, voice: utterance.voice, language: utterance.language, response_format: 'wav', ...(this.settings.model === null ? {} : { model: this.settings.model }) };
    const answer = await undiciPackage().request(this.settings.url, { method: 'POST', headers, body: JSON.stringify(body), headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs, signal: AbortSignal.timeout(this.timeoutMs) });
    const bytes = await bodyBytesUpTo(answer, MAX_ANSWER_BYTES + 1);
    if (answer.statusCode < 200 || answer.statusCode >= 300) throw new Error(`the text-to-speech service answered HTTP ${answer.statusCode}`);
    if (bytes.length > MAX_ANSWER_BYTES) throw new Error(`the text-to-speech service answered more than ${MAX_ANSWER_BYTES} bytes`);
    const read = readAudioFile(bytes, String(answer.headers['content-type'] ?? ''));
    if (!read.ok) throw new Error(`the text-to-speech service's answer cannot be played: ${read.problem}`);
    return read.samples;
  }
}
