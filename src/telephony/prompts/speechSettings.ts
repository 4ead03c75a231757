/**
 * The text-to-speech settings, read at start-up like every other setting (src/config.ts):
 *
 * | variable | default | |
 * |---|---|---|
 * | `PAYTONE_TTS_URL` | unset | an http(s) URL of a text-to-speech service for production voices; unset, `<Say>` is eSpeak NG's |
 * | `PAYTONE_TTS_TOKEN` | unset | sent as `Authorization: Bearer <token>` (a secret: never shown) |
 * | `PAYTONE_TTS_MODEL` | unset | sent as `model`, for services that want one |
 *
 * @example
 *   const tts = readSpeechSettings((name) => env[name] || undefined, problems);
 */
export interface SpeechSettings {
  url: string;
  token: string | null;
  model: string | null;
}

/** Null when no service is set (the built-in eSpeak NG speaks); what is wrong goes to `problems`. */
export function readSpeechSettings(text: (name: string) => string | undefined, problems: string[]): SpeechSettings | null {
  const url = text('PAYTONE_TTS_URL');
  const token = text('PAYTONE_TTS_TOKEN') ?? null;
  const model = text('PAYTONE_TTS_MODEL') ?? null;
  if (url === undefined) {
    if (token !== null || model !== null) problems.push('PAYTONE_TTS_TOKEN and PAYTONE_TTS_MODEL need PAYTONE_TTS_URL: the text-to-speech service they are for.');
    return null;
  }
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    parsed = null;
  }
  if (parsed === null || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    problems.push(`PAYTONE_TTS_URL must be an absolute http(s) URL of a text-to-speech service, such as https://tts.internal/v1/audio/speech; got "${url.replace(/\/\/[^@/]*@/, '//…@').slice(0, 200)}".`);
    return null;
  }
  if (token !== null && /\s/.test(token)) problems.push('PAYTONE_TTS_TOKEN must have no spaces (the value is not shown: it is a secret).');
  if (model !== null && !/^[\w.:/-]{1,100}$/.test(model)) problems.push(`PAYTONE_TTS_MODEL must be a model name of letters, digits and . _ - : /; got "${model.slice(0, 100)}".`);
  return { url, token, model };
}
