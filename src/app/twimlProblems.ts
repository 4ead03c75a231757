/**
 * Where TwiML problems go: a notification on the call (Twilio's Notifications resource) and a warning in the log
 * naming the call, the code and what went wrong. A notification that cannot be stored is logged, never thrown at
 * the call.
 *
 * @example
 *   const notify = twimlProblemReporter({ notifications, log, now: Date.now });
 *   await notify(call, { code: 12200, message: 'paytone does not run <Say> yet; ...' }, null);
 */
import { newNotification } from '../domain/notifications.js';
import { newSid } from '../domain/sids.js';
import type { NotificationStore } from '../store/notifications.js';
import type { InterpreterDeps } from '../twiml/interpreter.js';
import type { Logger } from '../log.js';

export function twimlProblemReporter(deps: { notifications: NotificationStore; log: Logger; now: () => number }): InterpreterDeps['notify'] {
  return async (call, problem, request) => {
    deps.log.warn({ callSid: call.sid, code: problem.code, url: request?.url }, `TwiML problem ${problem.code}: ${problem.message}`);
    try {
      await deps.notifications.insert(newNotification({ sid: newSid('NO'), call, problem, request, now: deps.now() }));
    } catch (err) {
      deps.log.error({ callSid: call.sid, code: problem.code, error: (err as Error).message }, 'notification not stored');
    }
  };
}
