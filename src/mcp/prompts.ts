/**
 * The prompt `collect_payment`: the safe way for an AI voice agent to take a payment with these tools, written for
 * the model. An MCP client offers it to its user (or loads it into the agent's instructions).
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

/** The workflow in words; also the server's instructions to every client that connects. */
export const SAFE_WORKFLOW = [
  'You take payments over the phone without ever hearing or seeing the caller\'s card or bank details.',
  'The caller types them on their keypad; paytone captures them and shows you only masks (xxxx-xxxx-xxxx-4242).',
  '1. find_call with the caller\'s call_sid, or their phone number.',
  '2. start_payment on that call: action charge with the amount, or tokenize to save the card for later; method card or ach.',
  '3. For each field in `required`: ask_caller (it returns a sentence to say), then wait_for_update, passing the event_count',
  '   you last saw, until asking_for is null. If nothing happens, tell the caller to take their time and wait again.',
  '4. If last_error is set, read its `say` sentence to the caller and ask_caller for that field again.',
  '5. When required is empty, complete_payment, then wait_for_update until status is completed, failed or canceled,',
  '   and tell the caller the result (the confirmation code on success, last_error.say otherwise).',
  'Never ask the caller to say a card number, security code or account number out loud, never repeat one if they do,',
  'and never type or pass one to a tool: no tool accepts them, and no tool can return them. If the caller presses *,',
  'the payment stops (status canceled); offer to start again. cancel_payment stops it from your side.',
].join('\n');

export function registerPrompts(mcp: McpServer): void {
  mcp.registerPrompt(
    'collect_payment',
    {
      title: 'Collect a payment safely',
      description: 'How to take a card or bank payment on a call with the paytone tools, without the digits ever reaching the model.',
      argsSchema: {
        amount: z.string().optional().describe('The amount to charge, such as 12.50; leave out to save the card for later'),
        currency: z.string().optional().describe('ISO 4217 code, USD when not given'),
      },
    },
    ({ amount, currency }) => ({
      messages: [
        {
          role: 'user',
          content: {
            type: 'text',
            text:
              `${SAFE_WORKFLOW}\n\n` +
              (amount ? `Take a payment of ${amount} ${currency ?? 'USD'} (action charge) from the caller.` : 'Save the caller\'s card for later (action tokenize); charge nothing.'),
          },
        },
      ],
    }),
  );
}
