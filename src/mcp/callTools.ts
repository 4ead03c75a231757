/**
 * Finding the caller's call: by its CallSid, or the newest call in progress to or from a phone number (what a voice
 * agent knows when its framework hands it the caller's number rather than the call's sid).
 *
 * @example
 *   find_call({ number: '+15551230200' }) // { call_sid: 'CA...', status: 'in-progress', open_payment_sid: null, ... }
 */
import { z } from 'zod';
import { payError } from '../domain/errors.js';
import type { CallRecord } from '../domain/callView.js';
import { formatRfc2822 } from '../domain/dates.js';
import { shownValue } from '../domain/form.js';
import type { ToolRunner } from './toolCall.js';
import { callSid } from './schemas.js';

const findCallInput = z
  .object({
    call_sid: callSid.optional(),
    number: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe("The caller's phone number (+15551230200), or the number they called: the newest call in progress to or from it"),
  })
  .strict();

/**
 * The number as given, and with its `+` added or taken away: a real call's From is the caller's SIP user part as
 * their carrier or PBX sent it (15551230200 as often as +15551230200), and a model may write it either way.
 */
function numberForms(number: string): string[] {
  if (/^\+\d+$/.test(number)) return [number, number.slice(1)];
  if (/^\d+$/.test(number)) return [number, `+${number}`];
  return [number];
}

async function newestInProgress(tools: ToolRunner, number: string): Promise<CallRecord | null> {
  const filter = { status: 'in-progress', limit: 1, offset: 0 };
  const found: CallRecord[] = [];
  for (const form of numberForms(number)) {
    for (const side of ['to', 'from'] as const) found.push(...(await tools.app.calls.list(tools.accountSid, { ...filter, [side]: form })));
  }
  return found.reduce<CallRecord | null>((newest, call) => (newest === null || call.dateCreated > newest.dateCreated ? call : newest), null);
}

export function registerCallTools(tools: ToolRunner): void {
  tools.register(
    'find_call',
    {
      title: "Find the caller's call",
      description:
        "Finds the phone call you are on, by its call_sid, or by the caller's phone number (the newest call in progress to or from it). " +
        'Give exactly one of call_sid or number. Returns the call_sid to start a payment on, and open_payment_sid when a payment is already running on the call.',
      input: findCallInput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (args) => {
      if ((args.call_sid === undefined) === (args.number === undefined)) {
        throw payError(64020, 'Give exactly one of call_sid (CA followed by 32 hex characters) or number (E.164, such as +15551230200).');
      }
      const call = args.call_sid !== undefined ? await tools.app.calls.get(tools.accountSid, args.call_sid) : await newestInProgress(tools, args.number!);
      if (!call) {
        throw args.call_sid !== undefined
          ? payError(20404, `Call ${args.call_sid} was not found in this account.`)
          : payError(20404, `No call is in progress to or from ${shownValue(args.number!)} in this account; check the number (E.164, such as +15551230200).`);
      }
      const openPayment = call.status === 'in-progress' ? await tools.app.payments.openSessionOf(call.sid) : null;
      return {
        result: {
          call_sid: call.sid,
          status: call.status,
          direction: call.direction,
          from: call.from,
          to: call.to,
          date_created: formatRfc2822(call.dateCreated),
          open_payment_sid: openPayment,
        },
        callSid: call.sid,
        paymentSid: openPayment,
      };
    },
  );
}
