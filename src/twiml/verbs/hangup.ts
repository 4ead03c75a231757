/**
 * `<Hangup>`: ends the call. The verbs after it are never reached.
 *
 * @example
 *   <Response><Hangup/></Response>
 */
import { ENDED, parsed, type Verb } from '../verb.js';

export const hangup: Verb<null> = {
  name: 'Hangup',
  parse: () => parsed(null),
  // Hanging up an unanswered call refuses it; nothing needs answering first.
  answers: () => false,
  async run(_instruction, { control }) {
    await control.hangUp();
    return ENDED;
  },
};
