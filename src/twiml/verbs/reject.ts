/**
 * `<Reject reason="rejected|busy">`: refuses an incoming call without answering it (603 Decline for `rejected`,
 * the default; 486 Busy Here for `busy`). The call ends `no-answer` or `busy`, as on Twilio. Only the first verb can
 * keep a call unanswered: after a verb that answered, `<Reject>` hangs up.
 *
 * @example
 *   <Response><Reject reason="busy"/></Response>
 */
import { ENDED, parsed, problem, type Verb } from '../verb.js';

type Reason = 'busy' | 'rejected';

export const reject: Verb<Reason> = {
  name: 'Reject',
  parse({ attributes }) {
    const reason = attributes.reason ?? 'rejected';
    if (reason === 'busy' || reason === 'rejected') return parsed(reason);
    return problem(12200, `<Reject reason="${reason.slice(0, 40)}"> must be rejected or busy.`);
  },
  answers: () => false,
  async run(reason, { control, answered }) {
    if (answered) await control.hangUp();
    else await control.reject(reason);
    return ENDED;
  },
};
