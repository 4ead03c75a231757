/**
 * The AI voice agent example must work as the docs say: run examples/ai-agent-mcp.mjs against a fresh server, and
 * see it pay through the MCP tools with only masks in what it printed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { ACCOUNT_SID, AUTH_TOKEN, startPaytone, type PaytoneProcess } from '../support/paytone.js';
import { assertNoCardData } from './testData.js';

const script = fileURLToPath(new URL('../../../examples/ai-agent-mcp.mjs', import.meta.url));
let paytone: PaytoneProcess;

before(async () => {
  paytone = await startPaytone();
});
after(async () => {
  await paytone.stop();
});

test('the scripted agent pays a sandbox call end to end through the MCP tools', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [script, paytone.baseUrl], {
    env: { ...process.env, PAYTONE_ACCOUNT_SID: ACCOUNT_SID, PAYTONE_AUTH_TOKEN: AUTH_TOKEN },
  });
  assert.match(stdout, /^call {6}CA[0-9a-f]{32} in-progress$/m);
  assert.match(stdout, /^payment {3}PK[0-9a-f]{32} required: payment-card-number,expiration-date,security-code,postal-code$/m);
  assert.match(stdout, /^agent {5}"Please type your card number on your keypad, then press pound\."$/m);
  assert.match(stdout, /^captured {2}payment-card-number {2}xxxx-xxxx-xxxx-4242$/m);
  assert.match(stdout, /^captured {2}security-code {2}xxx$/m);
  assert.match(stdout, /^result {4}success {2}confirmation \S+$/m);
  assert.match(stdout, /^agent {5}"Thank you, your payment went through\."$/m);
  assertNoCardData([['what the agent printed', stdout], ['the server log', paytone.output()]]);
  const { body } = await paytone.get(`/v1/Accounts/${ACCOUNT_SID}/AuditLog.json?PageSize=1000`);
  const actions = body.entries.map((e: { action: string }) => e.action);
  for (const action of ['mcp.find_call', 'mcp.start_payment', 'mcp.ask_caller', 'mcp.wait_for_update', 'mcp.complete_payment']) assert.ok(actions.includes(action), action);
});
