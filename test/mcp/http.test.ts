/**
 * The MCP server at /mcp, driven by the SDK's own client over Streamable HTTP against a running paytone, as an AI
 * voice agent would: whole sandbox payments (card charge with the account's token, tokenize with an API key, ACH, a
 * declined card, `*` from the caller, a cancel), each tool's refusals as tool errors with Twilio's codes, the
 * audit trail, the REST API seeing what the tools did, and the transport's own refusals.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ACCOUNT_SID, AUTH_TOKEN } from '../support/paytone.js';
import { createApiKey } from '../support/apiKey.js';
import { McpAgent, sandboxCaller } from '../support/mcpAgent.js';
import { openPaytone, paymentsPath, type PaytoneUnderTest } from '../e2e/flows.js';
import { CARD, assertNoCardData } from './testData.js';
import { describePayments } from './scenarios.js';

let pay: PaytoneUnderTest;
let agent: McpAgent;
let keyAgent: McpAgent;
let keySid = '';

before(async () => {
  pay = await openPaytone();
  agent = await McpAgent.overHttp(pay.paytone.baseUrl, [ACCOUNT_SID, AUTH_TOKEN]);
  const [sid, secret] = await createApiKey(pay.paytone);
  keySid = sid;
  keyAgent = await McpAgent.overHttp(pay.paytone.baseUrl, [sid, secret]);
});

after(async () => {
  await agent?.close();
  await keyAgent?.close();
  await pay?.close();
});

describePayments('whole payments through the MCP client over HTTP', () => ({ pay, agent, keyAgent, keySid }));

describe('a card typed twice', () => {
  it('typed_twice adds the matcher to required; a second entry that differs is said in words and asked again', async () => {
    const callSid = await pay.startCall();
    const caller = sandboxCaller(pay.paytone, callSid);
    const started = await agent.call('start_payment', {
      call_sid: callSid, action: 'tokenize', typed_twice: ['payment-card-number'], ask_security_code: false, ask_postal_code: false,
    });
    assert.deepEqual(started.required, ['payment-card-number', 'payment-card-number-matcher', 'expiration-date']);
    await agent.take(caller, started.payment_sid, `${CARD}#`);
    const asked = await agent.call('ask_caller', { payment_sid: started.payment_sid });
    assert.equal(asked.say, 'Please type your card number (again, to confirm it) on your keypad, then press pound.');
    await caller('5555555555554444#');
    const differs = await agent.waitPast(asked, (s) => s.asking_for === null);
    assert.deepEqual(differs.last_error, { field: 'payment-card-number-matcher', error_type: 'input-matching-failed', say: 'The card number typed the second time did not match the first.' });
    const same = await agent.take(caller, started.payment_sid, `${CARD}#`, 'payment-card-number-matcher');
    assert.equal(same.last_error, null);
    assert.deepEqual(same.required, ['expiration-date']);
    assert.equal((await agent.refused('start_payment', { call_sid: await pay.startCall(), action: 'tokenize', method: 'ach', typed_twice: ['payment-card-number'] })).code, 64020);
    await agent.call('cancel_payment', { payment_sid: started.payment_sid });
  });
});

describe('refusals an agent can act on: tool errors with Twilio codes, nothing changed', () => {
  it('an unknown call, by sid or by number', async () => {
    const unknown = 'CA' + 'f'.repeat(32);
    assert.equal((await agent.refused('find_call', { call_sid: unknown })).code, 20404);
    assert.equal((await agent.refused('find_call', { number: '+15559990000' })).code, 20404);
    assert.equal((await agent.refused('start_payment', { call_sid: unknown, action: 'tokenize' })).code, 20404);
    assert.equal((await agent.refused('find_call', {})).code, 64020);
  });

  it('a second payment while one runs, the security code before the card number, completing too early', async () => {
    const callSid = await pay.startCall();
    const started = await agent.call('start_payment', { call_sid: callSid, action: 'charge', amount: '5' });
    const running = await agent.refused('start_payment', { call_sid: callSid, action: 'charge', amount: '5' });
    assert.equal(running.code, 64021);
    assert.match(running.message, new RegExp(started.payment_sid));
    const early = await agent.refused('ask_caller', { payment_sid: started.payment_sid, field: 'security-code' });
    assert.equal(early.code, 64021);
    assert.match(early.message, /payment-card-number first/);
    const incomplete = await agent.refused('complete_payment', { payment_sid: started.payment_sid });
    assert.equal(incomplete.code, 64019);
    const now = await agent.call('get_payment', { payment_sid: started.payment_sid });
    assert.equal(now.event_count, started.event_count, 'the refusals changed nothing');
    assert.equal(now.asking_for, null);
    await agent.call('cancel_payment', { payment_sid: started.payment_sid });
    assert.equal((await agent.refused('cancel_payment', { payment_sid: started.payment_sid })).code, 64021);
  });

  it('charge and tokenize amounts, an unknown connector, a field of the other payment method', async () => {
    const callSid = await pay.startCall();
    assert.equal((await agent.refused('start_payment', { call_sid: callSid, action: 'charge' })).code, 64003);
    assert.equal((await agent.refused('start_payment', { call_sid: callSid, action: 'tokenize', amount: '3' })).code, 64003);
    assert.equal((await agent.refused('start_payment', { call_sid: callSid, action: 'charge', amount: '-1' })).code, 64003);
    assert.equal((await agent.refused('start_payment', { call_sid: callSid, action: 'charge', amount: '3', connector: 'NoSuchConnector' })).code, 64004);
    const started = await agent.call('start_payment', { call_sid: callSid, action: 'charge', amount: '3', method: 'ach' });
    assert.equal((await agent.refused('ask_caller', { payment_sid: started.payment_sid, field: 'payment-card-number' })).code, 64020);
    await agent.call('cancel_payment', { payment_sid: started.payment_sid });
  });

  it('arguments outside the schema: 64020 naming the argument, never its value, and audited', async () => {
    const callSid = await pay.startCall();
    const refusal = await agent.refused('start_payment', { call_sid: callSid, action: 'charge', amount: '5', card_number: CARD });
    assert.equal(refusal.code, 64020);
    assert.match(refusal.message, /"card_number" is not an argument of start_payment/);
    assert.doesNotMatch(JSON.stringify(agent.seen.at(-1)), new RegExp(CARD));
    assert.equal((await agent.call('find_call', { call_sid: callSid })).open_payment_sid, null, 'nothing was started');
    const { body } = await pay.paytone.get(`/v1/Accounts/${ACCOUNT_SID}/AuditLog.json?CallSid=${callSid}`);
    const entry = body.entries.find((e: { action: string }) => e.action === 'mcp.start_payment');
    assert.equal(entry.error_code, 64020);
    assert.deepEqual(entry.parameters, { call_sid: callSid, action: 'charge', amount: '5', card_number: '[not an argument]' });
    const late = await agent.refused('wait_for_update', { payment_sid: 'PK' + '0'.repeat(32), timeout_seconds: 600 });
    assert.equal(late.code, 64020);
    assert.match(late.message, /^timeout_seconds: Too big: expected number to be <=25\./);
  });

  it("a connector's refusal names what it cannot do, before the caller types anything", async () => {
    const made = await pay.paytone.post(`/v1/Accounts/${ACCOUNT_SID}/PayConnectors.json`, {
      UniqueName: 'CardsInUsdOnly', Type: 'sandbox', SupportsTokenize: 'false', PaymentMethods: 'credit-card', Currencies: 'USD',
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const callSid = await pay.startCall();
    for (const [args, code, words] of [
      [{ action: 'tokenize' }, 64005, /cannot tokenize/],
      [{ action: 'charge', amount: '5', method: 'ach' }, 64013, /does not take PaymentMethod=ach-debit/],
      [{ action: 'charge', amount: '5', currency: 'EUR' }, 64011, /does not take Currency=EUR; it takes USD/],
    ] as Array<[Record<string, unknown>, number, RegExp]>) {
      const refusal = await agent.refused('start_payment', { call_sid: callSid, connector: 'CardsInUsdOnly', ...args });
      assert.equal(refusal.code, code, JSON.stringify(args));
      assert.match(refusal.message, words);
    }
    assert.equal((await agent.call('find_call', { call_sid: callSid })).open_payment_sid, null, 'nothing was started');
    const started = await agent.call('start_payment', { call_sid: callSid, connector: 'CardsInUsdOnly', action: 'charge', amount: '5' });
    assert.equal(started.connector, 'CardsInUsdOnly');
    await agent.call('cancel_payment', { payment_sid: started.payment_sid });
  });
});

describe('the HTTP transport', () => {
  const post = (body: string, headers: Record<string, string>) =>
    fetch(`${pay.paytone.baseUrl}/mcp`, { method: 'POST', headers: { accept: 'application/json, text/event-stream', 'content-type': 'application/json', ...headers }, body });
  const basic = (user: string, password: string) => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
  const listTools = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });

  it('refuses missing and wrong credentials as the REST API does (20003)', async () => {
    for (const headers of [{}, { authorization: basic(ACCOUNT_SID, 'f'.repeat(32)) }] as Array<Record<string, string>>) {
      const response = await post(listTools, headers);
      assert.equal(response.status, 401);
      assert.equal((await response.json()).code, 20003);
    }
  });

  it("refuses what is no JSON-RPC message, and GET, with Twilio's envelope before anything runs", async () => {
    const auth = { authorization: basic(ACCOUNT_SID, AUTH_TOKEN) };
    for (const [body, headers, code] of [
      ['{"jsonrpc":', auth, 20001],
      ['{"IdempotencyKey":"k"}', auth, 20001],
      ['Capture=payment-card-number', { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, 20415],
    ] as Array<[string, Record<string, string>, number]>) {
      const response = await post(body, headers);
      assert.equal(response.status, code === 20415 ? 415 : 400, body);
      const envelope = await response.json();
      assert.deepEqual(Object.keys(envelope).sort(), ['code', 'message', 'more_info', 'status']);
      assert.equal(envelope.code, code);
    }
    const get = await fetch(`${pay.paytone.baseUrl}/mcp`, { headers: { ...auth, accept: 'text/event-stream' } });
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    assert.equal((await get.json()).code, 20004);
  });

  it('serves a plain JSON-RPC request without a session, whatever the client accepts', async () => {
    for (const accept of ['application/json, text/event-stream', '*/*']) {
      const response = await post(listTools, { authorization: basic(ACCOUNT_SID, AUTH_TOKEN), accept });
      assert.equal(response.status, 200, accept);
      const body = await response.json();
      assert.equal(body.id, 1);
      assert.deepEqual(body.result.tools.map((t: { name: string }) => t.name).sort(), ['ask_caller', 'cancel_payment', 'complete_payment', 'find_call', 'get_payment', 'start_payment', 'wait_for_update']);
    }
  });

  it('the REST API still answers its own paths beside it', async () => {
    const callSid = await pay.startCall();
    const { status } = await pay.paytone.get(paymentsPath(callSid));
    assert.equal(status, 200);
  });
});

describe('what crossed the model boundary', () => {
  it('no tool result, error or resource, no log line and no audit entry holds a card number, security code or bank account', async () => {
    assert.ok(agent.seen.length > 50, `the agent saw ${agent.seen.length} results`);
    const { body } = await pay.paytone.get(`/v1/Accounts/${ACCOUNT_SID}/AuditLog.json?PageSize=1000`);
    assert.ok(body.entries.some((e: { action: string }) => e.action.startsWith('mcp.')));
    assertNoCardData([
      ...agent.seen.map((text, i) => [`agent result ${i}`, text] as [string, string]),
      ...keyAgent.seen.map((text, i) => [`API key agent result ${i}`, text] as [string, string]),
      ['the server log', pay.paytone.output()],
      ['the audit trail', JSON.stringify(body)],
    ]);
  });
});
