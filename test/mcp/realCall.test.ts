/**
 * The MCP tools on a real call: SIPp calls one of the account's numbers from +15559870000 and types on its keypad
 * (RFC 4733 events), as a caller would once asked; the AI agent, through the SDK's client over HTTP, finds the call
 * by the caller's number (written with or without its `+`) and takes a card payment on it. The agent sees masks
 * only, and the card is in no tool result and no log line.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ACCOUNT_SID, AUTH_TOKEN, startPaytoneProcess, type PaytoneProcess } from '../support/paytone.js';
import { startTwimlApp, type TwimlApp } from '../support/twimlApp.js';
import { peersOrSkip, startSipp } from '../support/sipPeers.js';
import { CUE, typingCaller } from '../support/sippScenarios.js';
import { until } from '../support/poll.js';
import { McpAgent } from '../support/mcpAgent.js';
import { futureExpiry } from '../e2e/flows.js';
import { CARD, assertNoCardData } from './testData.js';

const skip = peersOrSkip();
const DIALED = '+15551230001';
/** The caller's number: SIPp's From. */
const CALLER = '+15559870000';
const KEY_MS = 200;

let paytone: PaytoneProcess;
let app: TwimlApp;
let agent: McpAgent;

before(async () => {
  if (skip) return;
  app = await startTwimlApp(AUTH_TOKEN, { '/voice': '<Response><Pause length="60"/></Response>' });
  paytone = await startPaytoneProcess();
  await paytone.client().incomingPhoneNumbers.create({ phoneNumber: DIALED, voiceUrl: `${app.url}/voice` });
  agent = await McpAgent.overHttp(paytone.baseUrl, [ACCOUNT_SID, AUTH_TOKEN]);
});

after(async () => {
  await agent?.close();
  await paytone?.stop();
  await app?.close();
});

test('an agent finds an inbound SIP call by the caller number and takes the card the caller types', { skip }, async () => {
  // SIPp types each field once the agent has asked for it (a cue), and hangs up when the payment has ended.
  const sipp = await startSipp(typingCaller([CUE, { rfc4733: `${CARD}#`, ms: KEY_MS }, CUE, { rfc4733: `${futureExpiry()}#`, ms: KEY_MS }, CUE]), {
    target: paytone.sipPort!,
    service: DIALED,
    media: true,
    seconds: 90,
  });
  const found = await until('the call to be answered', async () => {
    const result = await agent.client.callTool({ name: 'find_call', arguments: { number: CALLER } });
    agent.seen.push(JSON.stringify(result));
    return !result.isError && (result.structuredContent as Record<string, any>);
  });
  assert.equal(found.direction, 'inbound');
  assert.equal(found.from, CALLER);
  assert.equal(found.to, DIALED);
  assert.equal((await agent.call('find_call', { number: CALLER.slice(1) })).call_sid, found.call_sid, 'the number without its +');
  assert.equal((await agent.call('find_call', { number: DIALED })).call_sid, found.call_sid, 'the number the caller dialed');

  const started = await agent.call('start_payment', { call_sid: found.call_sid, action: 'charge', amount: '15.00', ask_security_code: false, ask_postal_code: false });
  assert.deepEqual(started.required, ['payment-card-number', 'expiration-date']);
  const keysArrive = () => sipp.cue();
  const card = await agent.take(keysArrive, started.payment_sid, '');
  assert.equal(card.last_error, null, JSON.stringify(card));
  assert.equal(card.captured['payment-card-number'], 'xxxx-xxxx-xxxx-4242');
  // The card ends at its 16th digit; its # is still on the way and must not end the next field.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const expiry = await agent.take(keysArrive, started.payment_sid, '');
  assert.equal(expiry.last_error, null, JSON.stringify(expiry));
  assert.deepEqual(expiry.required, []);
  const completing = await agent.call('complete_payment', { payment_sid: started.payment_sid });
  const ended = await agent.waitPast(completing, (s) => ['completed', 'failed', 'canceled'].includes(s.status));
  assert.equal(ended.result, 'success', JSON.stringify(ended));
  assert.match(ended.payment_confirmation_code, /\S/);

  await sipp.cue();
  const run = await sipp.done;
  assert.equal(run.code, 0, run.log);
  assertNoCardData([...agent.seen.map((text, i) => [`result ${i}`, text] as [string, string]), ['the server log', paytone.output()]]);
});
