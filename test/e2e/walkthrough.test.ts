/**
 * The README's walk-through must work as written: run examples/twilio-walkthrough.mjs against a fresh server.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { ACCOUNT_SID, AUTH_TOKEN, startPaytone, type PaytoneProcess } from '../support/paytone.js';

const script = fileURLToPath(new URL('../../../examples/twilio-walkthrough.mjs', import.meta.url));
let paytone: PaytoneProcess;

before(async () => {
  paytone = await startPaytone();
});
after(async () => {
  await paytone.stop();
});

test('the README walk-through runs a whole session with the official client and valid signatures', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [script, paytone.baseUrl], {
    env: { ...process.env, PAYTONE_ACCOUNT_SID: ACCOUNT_SID, PAYTONE_AUTH_TOKEN: AUTH_TOKEN },
  });
  assert.match(stdout, /^call {6}CA[0-9a-f]{32} in-progress$/m);
  assert.match(stdout, /^captured {2}payment-card-number {2}xxxx-xxxx-xxxx-4242 \(visa\) {2}Required: expiration-date,security-code,postal-code$/m);
  assert.match(stdout, /^captured {2}security-code {8}xxx {2}Required: postal-code$/m);
  assert.match(stdout, /^result {4}success {2}PaymentConfirmationCode=ch_\w+$/m);
  assert.match(stdout, /^callbacks \d+ received, all signatures valid$/m);
  assert.doesNotMatch(stdout, /4242424242424242/);
});
