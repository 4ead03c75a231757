/**
 * `<Play loop="N">URL</Play>`: plays an MP3, WAV or µ-law file to the caller, answering the call first. The file is
 * fetched once (GET, within the callback policy) and kept for later calls; one that cannot be fetched or read is a
 * notification (11200, 11205, 13617) and the document goes on. `loop` as `<Say>`'s; `digits` is refused: paytone
 * never sends tones to a caller.
 *
 * @example
 *   <Response><Play loop="2">https://app.example/prompts/welcome.wav</Play></Response>
 */
import { spokenVerb } from '../speech.js';

export const play = spokenVerb('Play');
