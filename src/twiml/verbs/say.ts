/**
 * `<Say voice="…" language="…" loop="N">text</Say>`: says the text to the caller, answering the call first. A real
 * call hears it synthesized (docs/voice.md, "Prompts"); every call shows it in its live feed as "paytone said: …".
 * `voice` is Twilio's (`man`, `woman`, `alice`, `Polly.*`, `Google.*`), `language` a tag such as `en-US` (the
 * default), `loop` how many times (0: until the call moves on, at most 1000).
 *
 * @example
 *   <Response><Say voice="woman" language="en-GB" loop="2">Welcome to Example Utilities.</Say></Response>
 */
import { spokenVerb } from '../speech.js';

export const say = spokenVerb('Say');
