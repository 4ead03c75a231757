/**
 * The argument shapes the tools share. Sids are checked for their form here, so a malformed one is refused before
 * anything is looked up; no argument anywhere takes a card, account or security-code value.
 */
import { z } from 'zod';
import { CAPTURE_NAMES } from '../domain/types.js';

const SID_FORM = /^[0-9a-f]{32}$/;

const sidOf = (prefix: 'CA' | 'PK', what: string) =>
  z
    .string()
    .refine((value) => value.startsWith(prefix) && SID_FORM.test(value.slice(2)), { message: `must be ${prefix} followed by 32 hex characters` })
    .describe(what);

export const callSid = sidOf('CA', 'The call sid (CA followed by 32 hex characters), as find_call returns it');
export const paymentSid = sidOf('PK', 'The payment sid (PK followed by 32 hex characters), as start_payment returns it');

export const captureField = z
  .enum(CAPTURE_NAMES as [string, ...string[]])
  .describe('The field to ask the caller for; a -matcher field asks the caller to type that field again to confirm it');
