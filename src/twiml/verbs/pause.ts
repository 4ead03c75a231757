/**
 * `<Pause length="N">`: waits N seconds (1 by default), answering the call first. The wait ends early when the
 * caller hangs up or the call is redirected.
 *
 * @example
 *   <Response><Pause length="5"/><Redirect>/poll</Redirect></Response>
 */
import { spokenVerb } from '../speech.js';

export const pause = spokenVerb('Pause');
