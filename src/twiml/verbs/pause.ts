/**
 * `<Pause length="N">`: waits N seconds (1 by default), answering the call first. The wait ends early when the
 * caller hangs up or the call is redirected.
 *
 * @example
 *   <Response><Pause length="5"/><Redirect>/poll</Redirect></Response>
 */
import { NEXT, parsed, problem, type Verb } from '../verb.js';

/** Twilio takes up to an hour. */
const MAX_PAUSE_SECONDS = 3600;

export const pause: Verb<number> = {
  name: 'Pause',
  parse({ attributes }) {
    const given = attributes.length;
    if (given === undefined) return parsed(1);
    const seconds = /^\d+$/.test(given.trim()) ? Number(given) : NaN;
    if (!Number.isSafeInteger(seconds) || seconds > MAX_PAUSE_SECONDS) {
      return problem(13910, `<Pause length="${given.slice(0, 40)}"> must be a whole number of seconds from 0 to ${MAX_PAUSE_SECONDS}.`);
    }
    return parsed(seconds);
  },
  answers: () => true,
  async run(seconds, { clock, stop }) {
    await clock.sleep(seconds * 1000, stop);
    return NEXT;
  },
};
