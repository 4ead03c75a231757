/**
 * The tools that move a pay session: start it, ask the caller for a field, complete it, cancel it. Each one is the
 * Payments API request an agent desktop would send (same rules, same errors, same callbacks, same idempotency
 * records), made as the caller's account; none takes a card, account or security-code value: the caller's keypad
 * is the only way those come in.
 *
 * @example
 *   start_payment({ call_sid, action: 'charge', amount: '12.50' }) // { payment_sid: 'PK...', status: 'in-progress', next_step: 'ask_caller for payment-card-number ...' }
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { payError } from '../domain/errors.js';
import { maskDigitRuns, type FormValues } from '../domain/form.js';
import { CARD_FIELDS, TOKEN_TYPES, type CaptureName } from '../domain/types.js';
import type { ToolRunner } from './toolCall.js';
import { callSid, captureField, paymentSid } from './schemas.js';
import { fieldWords } from './paymentState.js';
import { readState } from './progressTools.js';

const startInput = z
  .object({
    call_sid: callSid,
    action: z.enum(['charge', 'tokenize']).describe('charge: take amount now; tokenize: save the card or account for later (no amount)'),
    amount: z
      .union([z.string().max(32), z.number()])
      .optional()
      .describe('The amount to charge, in the currency\'s units ("12.50"); required to charge, not given to tokenize'),
    currency: z.string().max(8).optional().describe('ISO 4217 code such as USD (the default) or EUR'),
    method: z.enum(['card', 'ach']).default('card').describe('card: a payment card; ach: a US bank account (routing and account number)'),
    token_type: z.enum(TOKEN_TYPES).optional().describe('For tokenize: one-time, reusable (the default) or payment-method'),
    connector: z.string().max(64).optional().describe("The account's payment connector to use (Default when not given)"),
    description: z
      .string()
      .max(255)
      .refine((text) => maskDigitRuns(text) === text, { message: 'must not hold a card or account number: the caller types those on the keypad, never you' })
      .optional()
      .describe('What the payment is for, passed to the connector (words, no card or account number)'),
    ask_security_code: z.boolean().optional().describe('Whether to ask for the card security code (default true)'),
    ask_postal_code: z.boolean().optional().describe('Whether to ask for the billing postal code (default true)'),
    typed_twice: z
      .array(z.enum(CARD_FIELDS))
      .max(CARD_FIELDS.length)
      .optional()
      .describe('Card fields the caller types a second time to confirm them (their -matcher fields join required); none by default'),
    confirmation: z.boolean().optional().describe('Whether the caller must press 1 to confirm before the payment is made (default false)'),
    timeout_seconds: z.number().int().min(1).max(600).optional().describe('Seconds after the last key before a field ends by itself (default 5)'),
    status_callback: z.string().max(2000).optional().describe("Where paytone posts the session's status callbacks (masked); paytone's own sink when not given"),
  })
  .strict();

const sessionInput = z.object({ payment_sid: paymentSid }).strict();

const askInput = z
  .object({
    payment_sid: paymentSid,
    field: captureField.optional().describe('The field to ask for; the next required one when not given'),
  })
  .strict();

function startForm(args: z.infer<typeof startInput>, statusCallback: string): FormValues {
  if (args.action === 'charge' && (args.amount === undefined || Number(args.amount) === 0)) {
    throw payError(64003, 'To charge, give the amount (such as "12.50"); to save the card for later without charging, use action tokenize.');
  }
  if (args.action === 'tokenize' && args.amount !== undefined && Number(args.amount) !== 0) {
    throw payError(64003, 'A tokenize takes no amount: leave amount out, or use action charge to take the amount now.');
  }
  const form: FormValues = {
    IdempotencyKey: `mcp-${randomUUID()}`,
    StatusCallback: statusCallback,
    PaymentMethod: args.method === 'ach' ? 'ach-debit' : 'credit-card',
  };
  const optional: Record<string, string | number | boolean | undefined> = {
    ChargeAmount: args.action === 'charge' ? args.amount : undefined,
    Currency: args.currency,
    TokenType: args.token_type,
    PaymentConnector: args.connector,
    Description: args.description,
    SecurityCode: args.method === 'card' ? args.ask_security_code : undefined,
    PostalCode: args.method === 'card' ? args.ask_postal_code : undefined,
    RequireMatchingInputs: args.typed_twice?.length ? args.typed_twice.join(',') : undefined,
    Confirmation: args.confirmation,
    Timeout: args.timeout_seconds,
  };
  for (const [name, value] of Object.entries(optional)) if (value !== undefined) form[name] = String(value);
  return form;
}

const paymentsPath = (accountSid: string, callSid: string, sid?: string) =>
  `/2010-04-01/Accounts/${accountSid}/Calls/${callSid}/Payments${sid ? `/${sid}` : ''}.json`;

/** Sends one update (a capture, complete or cancel) to the session, as the REST API would, and returns its new state. */
async function update(tools: ToolRunner, sid: string, change: FormValues) {
  const session = await tools.app.payments.ofAccount(tools.accountSid, sid);
  const form = { IdempotencyKey: `mcp-${randomUUID()}`, StatusCallback: session.callbackUrl, ...change };
  await tools.app.payments.update(tools.accountSid, session.callSid, sid, form, paymentsPath(tools.accountSid, session.callSid, sid));
  return { result: await readState(tools, sid), callSid: session.callSid, paymentSid: sid };
}

export function registerPaymentTools(tools: ToolRunner): void {
  tools.register(
    'start_payment',
    {
      title: 'Start a payment',
      description:
        'Starts taking a payment on the call: the caller will type the card (or bank account) on their keypad, and you never hear or see the digits. ' +
        'Then use ask_caller for each field in `required`, wait_for_update while the caller types, and complete_payment. ' +
        'Tell the caller what is happening ("please type your card number on your keypad, then press pound"). One payment at a time per call.',
      input: startInput,
      annotations: { destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    async (args) => {
      const form = startForm(args, args.status_callback ?? `${tools.caller.origin}/sandbox/StatusCallbacks`);
      const created = await tools.app.payments.create(tools.accountSid, args.call_sid, form, paymentsPath(tools.accountSid, args.call_sid));
      const sid = (JSON.parse(created.body) as { sid: string }).sid;
      return { result: await readState(tools, sid), callSid: args.call_sid, paymentSid: sid };
    },
  );

  tools.register(
    'ask_caller',
    {
      title: 'Ask the caller for a field',
      description:
        'Starts listening to the caller\'s keypad for one field: the next required one, or the field you name. Say it to the caller too ' +
        '("please type your card number, then press pound"). Then call wait_for_update until the field is no longer being typed. ' +
        'The security code can only be asked for after the card number.',
      input: askInput,
      annotations: { destructiveHint: false, openWorldHint: false },
    },
    async (args) => {
      const session = await tools.app.payments.ofAccount(tools.accountSid, args.payment_sid);
      const required = session.status === 'in-progress' ? (await readState(tools, args.payment_sid)).required as string[] : [];
      const field = (args.field ?? required[0]) as CaptureName | undefined;
      if (field === undefined) {
        throw payError(64021, `Nothing is left to ask for on payment ${args.payment_sid} (status ${session.status}): ${session.status === 'in-progress' ? 'call complete_payment' : 'it cannot take more fields'}.`);
      }
      if (field.startsWith('security-code') && session.values['payment-card-number'] === undefined) {
        throw payError(64021, 'The security code cannot be asked for yet: ask_caller for payment-card-number first, then the security code.');
      }
      const state = await update(tools, args.payment_sid, { Capture: field });
      return { ...state, result: { ...state.result, asked_for: field, say: `Please type your ${fieldWords(field)} on your keypad, then press pound.` } };
    },
  );

  tools.register(
    'complete_payment',
    {
      title: 'Complete the payment',
      description:
        'Charges (or tokenizes) once every required field is captured. The result comes back when the connector has answered: ' +
        'call wait_for_update while status is completing or awaiting-confirmation, then read result and last_error.',
      input: sessionInput,
      annotations: { destructiveHint: true, idempotentHint: false, openWorldHint: true },
    },
    ({ payment_sid }) => update(tools, payment_sid, { Status: 'complete' }),
  );

  tools.register(
    'cancel_payment',
    {
      title: 'Cancel the payment',
      description: 'Stops the payment: nothing is charged and everything the caller typed is erased. Use it when the caller changes their mind.',
      input: sessionInput,
      annotations: { destructiveHint: true, idempotentHint: false, openWorldHint: false },
    },
    ({ payment_sid }) => update(tools, payment_sid, { Status: 'cancel' }),
  );
}
