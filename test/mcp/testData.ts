/**
 * What the sandbox caller types in the MCP tests, and the leak search for it: public test numbers (the sandbox
 * gateway's), searched in every form they could take in a result, an error, a log line or the audit trail.
 */
import assert from 'node:assert/strict';

export const CARD = '4242424242424242';
export const DECLINED_CARD = '4000000000000002';
/** Unusual on purpose, and searched as a JSON string or form value: a bare 737 turns up inside sids and times. */
export const CVC = '737';
export const POSTAL = '94107';
export const ROUTING = '110000000';
export const BANK_ACCOUNT = '000123456789';

const NEEDLES = [CARD, DECLINED_CARD, `"${CVC}"`, `=${CVC}`, `${CVC}#`, BANK_ACCOUNT];

/** Fails naming the first test number found in `texts` (each with where it was seen). */
export function assertNoCardData(texts: Array<[where: string, text: string]>): void {
  assert.ok(texts.length > 0, 'there is something to search');
  for (const [where, text] of texts) {
    for (const needle of NEEDLES) assert.ok(!text.includes(needle), `${needle} found in ${where}: …${text.slice(Math.max(0, text.indexOf(needle) - 80), text.indexOf(needle) + 80)}…`);
  }
}
