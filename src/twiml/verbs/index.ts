/**
 * The verbs paytone runs, by element name, and the TwiML verbs it knows but does not run yet (a document that
 * reaches one of those ends the call cleanly and says which verb, in the call's notifications and the log).
 */
import type { Verb } from '../verb.js';
import { dial } from './dial.js';
import { gather } from './gather.js';
import { hangup } from './hangup.js';
import { pause } from './pause.js';
import { pay } from './pay.js';
import { play } from './play.js';
import { redirect } from './redirect.js';
import { reject } from './reject.js';
import { say } from './say.js';

export const VERBS: ReadonlyMap<string, Verb<any>> = new Map<string, Verb<any>>([dial, gather, hangup, pause, pay, play, redirect, reject, say].map((verb) => [verb.name, verb]));

/** Twilio's other voice verbs: valid TwiML that paytone does not run yet. */
export const NOT_YET_RUN = new Set(['Record', 'Enqueue', 'Leave', 'Connect', 'Refer', 'Start', 'Stop', 'Prompt', 'Sms', 'Echo', 'Queue']);
