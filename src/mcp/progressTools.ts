/**
 * Reading a pay session: `get_payment` (now), `wait_for_update` (a long poll: back as soon as the session moves on,
 * or when its timeout is over, so the agent can say "take your time" and listen again) and the resource
 * `paytone://payments/{payment_sid}`. All three return the masked state of paymentState.ts.
 *
 * The wait listens to the account's live events (the twins of the status callbacks, committed before they are
 * heard) and starts listening before it reads the session, so a key taken in between is never missed: given the
 * `event_count` the agent last saw, it returns at once when the session has moved on since.
 *
 * @example
 *   wait_for_update({ payment_sid, after_event_count: 3, timeout_seconds: 10 }) // { changed: true, payment: { ... } }
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { FINAL_STATUSES, type SessionStatus } from '../domain/types.js';
import { isSid } from '../domain/sids.js';
import { payError } from '../domain/errors.js';
import type { ToolRunner } from './toolCall.js';
import { paymentState } from './paymentState.js';
import { paymentSid } from './schemas.js';

/** The longest wait one call may ask for: well inside every HTTP timeout between an agent and paytone. */
export const MAX_WAIT_SECONDS = 25;
const DEFAULT_WAIT_SECONDS = 10;

/** The session's masked state, with the last error read from its (masked) callbacks. */
export async function readState(tools: ToolRunner, sid: string): Promise<Record<string, unknown>> {
  const session = await tools.app.payments.ofAccount(tools.accountSid, sid);
  const callbacks = await tools.app.payments.events(tools.accountSid, session.callSid, sid);
  return paymentState(session, callbacks);
}

const waitInput = z
  .object({
    payment_sid: paymentSid,
    after_event_count: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('The event_count of the state you last read: returns at once if the session has moved on since. Without it, waits for the next change'),
    timeout_seconds: z.number().int().min(1).max(MAX_WAIT_SECONDS).default(DEFAULT_WAIT_SECONDS).describe(`How long to wait for a change, 1 to ${MAX_WAIT_SECONDS} seconds (default ${DEFAULT_WAIT_SECONDS})`),
  })
  .strict();

/** Resolves true at the session's next live event, false when `ms` pass or `signal` aborts first. */
function nextEvent(tools: ToolRunner, sid: string, ms: number, signal: AbortSignal): { heard: Promise<boolean>; stop: () => void } {
  let stop = () => {};
  const heard = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => finish(false), ms);
    const onAbort = () => finish(false);
    const unsubscribe = tools.app.liveEvents.bus.subscribe(tools.accountSid, (events) => {
      if (events.some((event) => event.paymentSid === sid)) finish(true);
    });
    function finish(value: boolean) {
      clearTimeout(timer);
      unsubscribe();
      signal.removeEventListener('abort', onAbort);
      resolve(value);
    }
    stop = () => finish(false);
    if (signal.aborted) finish(false);
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return { heard, stop };
}

export function registerProgressTools(mcp: McpServer, tools: ToolRunner): void {
  tools.register(
    'get_payment',
    {
      title: 'Read the payment',
      description:
        'The payment as it is now: status, what is captured (masked: you never get the digits), what is still required, the field the caller is typing, ' +
        'last_error in words you can read to the caller (for example "The card number was not valid."), the result, and next_step.',
      input: z.object({ payment_sid: paymentSid }).strict(),
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ payment_sid }) => {
      const result = await readState(tools, payment_sid);
      return { result, callSid: result.call_sid as string, paymentSid: payment_sid };
    },
  );

  tools.register(
    'wait_for_update',
    {
      title: 'Wait for the caller',
      description:
        'Waits until the payment changes (the caller pressed a key, a field ended, the payment finished) or timeout_seconds pass, then returns the payment. ' +
        'changed is false when nothing happened: tell the caller to take their time and wait again. Pass after_event_count from the state you last read so no change is missed.',
      input: waitInput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ payment_sid, after_event_count, timeout_seconds }, signal) => {
      const wait = nextEvent(tools, payment_sid, timeout_seconds * 1000, signal);
      try {
        const before = await readState(tools, payment_sid);
        const seen = after_event_count ?? (before.event_count as number);
        const final = FINAL_STATUSES.includes(before.status as SessionStatus);
        if ((before.event_count as number) > seen || final) {
          return { result: { changed: (before.event_count as number) > seen, payment: before }, callSid: before.call_sid as string, paymentSid: payment_sid };
        }
        const changed = await wait.heard;
        const after = await readState(tools, payment_sid);
        return { result: { changed: changed || (after.event_count as number) > seen, payment: after }, callSid: after.call_sid as string, paymentSid: payment_sid };
      } finally {
        wait.stop();
      }
    },
  );

  mcp.registerResource(
    'payment',
    new ResourceTemplate('paytone://payments/{payment_sid}', { list: undefined }),
    {
      title: 'A payment (masked)',
      description: "A pay session's masked state, as get_payment returns it.",
      mimeType: 'application/json',
    },
    async (uri, variables) => {
      const sid = String(variables.payment_sid ?? '');
      if (!isSid('PK', sid)) throw payError(64020, 'The resource is paytone://payments/{payment_sid}, with PK followed by 32 hex characters.');
      const state = await readState(tools, sid);
      return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(state) }] };
    },
  );
}
