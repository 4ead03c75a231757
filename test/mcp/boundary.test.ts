/**
 * The MCP server's boundaries, through the SDK's client over HTTP: the tools it lists and their schemas (none takes
 * a card, account or security-code value), the prompt, one account's calls and payments invisible to another's
 * credentials, and the wait tool: back with no change when its timeout passes, back at once when a key is taken.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ACCOUNT_SID, AUTH_TOKEN, paytoneCli } from '../support/paytone.js';
import { McpAgent, sandboxCaller } from '../support/mcpAgent.js';
import { openPaytone, type PaytoneUnderTest } from '../e2e/flows.js';
import { CARD, assertNoCardData } from './testData.js';

let pay: PaytoneUnderTest;
let agent: McpAgent;
let other: McpAgent;

before(async () => {
  pay = await openPaytone();
  agent = await McpAgent.overHttp(pay.paytone.baseUrl, [ACCOUNT_SID, AUTH_TOKEN]);
  const account = paytoneCli(pay.paytone, 'accounts', 'create', '--friendly-name', 'another business');
  other = await McpAgent.overHttp(pay.paytone.baseUrl, [account.sid, account.auth_token]);
});

after(async () => {
  await agent?.close();
  await other?.close();
  await pay?.close();
});

/** Each tool's arguments: a new one must be added here, after checking it can carry no cardholder data. */
const ARGUMENTS: Record<string, string[]> = {
  find_call: ['call_sid', 'number'],
  start_payment: [
    'call_sid', 'action', 'amount', 'currency', 'method', 'token_type', 'connector', 'description',
    'ask_security_code', 'ask_postal_code', 'typed_twice', 'confirmation', 'timeout_seconds', 'status_callback',
  ],
  ask_caller: ['payment_sid', 'field'],
  wait_for_update: ['payment_sid', 'after_event_count', 'timeout_seconds'],
  get_payment: ['payment_sid'],
  complete_payment: ['payment_sid'],
  cancel_payment: ['payment_sid'],
};

describe('what the server offers', () => {
  it('lists the tools with schemas that take no card, account or security-code value', async () => {
    const { tools } = await agent.client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), Object.keys(ARGUMENTS).sort());
    for (const tool of tools) {
      const schema = tool.inputSchema as { type: string; properties?: Record<string, { type?: string; enum?: string[] }>; required?: string[]; additionalProperties?: boolean };
      assert.equal(schema.type, 'object', tool.name);
      assert.equal(schema.additionalProperties, false, `${tool.name} refuses arguments it does not declare`);
      assert.deepEqual(Object.keys(schema.properties ?? {}).sort(), [...ARGUMENTS[tool.name]!].sort(), tool.name);
      for (const name of Object.keys(schema.properties ?? {})) assert.doesNotMatch(name, /card_number|cvv|cvc|^security_code|account_number|routing|digits|pan$|expir/, `${tool.name}.${name}`);
      assert.ok((tool.description ?? '').length > 60, `${tool.name} is described for a model`);
      assert.ok(tool.title, `${tool.name} has a title`);
    }
    const ask = tools.find((t) => t.name === 'ask_caller')!;
    const field = (ask.inputSchema as any).properties.field;
    assert.ok(field.enum.includes('payment-card-number') && field.enum.includes('bank-account-number'), 'fields are named, never typed in');
    const read = tools.filter((t) => t.annotations?.readOnlyHint).map((t) => t.name).sort();
    assert.deepEqual(read, ['find_call', 'get_payment', 'wait_for_update']);
    assert.deepEqual((tools.find((t) => t.name === 'start_payment')!.inputSchema as any).required.sort(), ['action', 'call_sid']);
  });

  it('offers the collect_payment prompt and the payment resource template', async () => {
    const { prompts } = await agent.client.listPrompts();
    assert.deepEqual(prompts.map((p) => p.name), ['collect_payment']);
    const prompt = await agent.client.getPrompt({ name: 'collect_payment', arguments: { amount: '20.00', currency: 'EUR' } });
    const text = (prompt.messages[0]!.content as { text: string }).text;
    assert.match(text, /Never ask the caller to say a card number/);
    assert.match(text, /20\.00 EUR/);
    const { resourceTemplates } = await agent.client.listResourceTemplates();
    assert.deepEqual(resourceTemplates.map((r) => r.uriTemplate), ['paytone://payments/{payment_sid}']);
    assert.match(agent.client.getInstructions() ?? '', /keypad/);
  });
});

describe('one account sees nothing of another', () => {
  it("another account's credentials find none of these calls and payments, by number, sid or resource", async () => {
    const callSid = await pay.startCall({ to: '+15551230300' });
    const started = await agent.call('start_payment', { call_sid: callSid, action: 'charge', amount: '5' });
    const sid = started.payment_sid;
    assert.equal((await agent.call('find_call', { number: '15551230300' })).call_sid, callSid, 'the number without its +');
    assert.equal((await other.refused('find_call', { number: '+15551230300' })).code, 20404);
    assert.equal((await other.refused('find_call', { number: '15551230300' })).code, 20404);
    assert.equal((await other.refused('find_call', { call_sid: callSid })).code, 20404);
    for (const tool of ['get_payment', 'wait_for_update', 'ask_caller', 'complete_payment', 'cancel_payment']) {
      assert.equal((await other.refused(tool, { payment_sid: sid })).code, 20404, tool);
    }
    assert.equal((await other.refused('start_payment', { call_sid: callSid, action: 'tokenize' })).code, 20404);
    await assert.rejects(other.resource(`paytone://payments/${sid}`), /not found/);
    const still = await agent.call('get_payment', { payment_sid: sid });
    assert.equal(still.status, 'in-progress', "the other account's attempts changed nothing");
    assert.equal(still.event_count, started.event_count);
    const { body } = await pay.paytone.get(`/v1/Accounts/${ACCOUNT_SID}/AuditLog.json?PaymentSid=${sid}`);
    assert.ok(body.entries.every((e: { credential_sid: string }) => e.credential_sid === ACCOUNT_SID), 'the other account left nothing in this one');
    await agent.call('cancel_payment', { payment_sid: sid });
  });
});

describe('wait_for_update', () => {
  it('returns with no change once its timeout passes when nothing happens', async () => {
    const callSid = await pay.startCall();
    const started = await agent.call('start_payment', { call_sid: callSid, action: 'charge', amount: '5' });
    const waited = await agent.call('wait_for_update', { payment_sid: started.payment_sid, timeout_seconds: 1 });
    assert.equal(waited.changed, false);
    assert.equal(waited.payment.event_count, started.event_count);
    await agent.call('cancel_payment', { payment_sid: started.payment_sid });
  });

  it('returns at once when a key is taken: before a one-second wait on a quiet payment started with it', async () => {
    const quietCall = await pay.startCall();
    const quiet = await agent.call('start_payment', { call_sid: quietCall, action: 'charge', amount: '5' });
    const callSid = await pay.startCall();
    const started = await agent.call('start_payment', { call_sid: callSid, action: 'charge', amount: '5' });
    const asked = await agent.call('ask_caller', { payment_sid: started.payment_sid });
    const order: string[] = [];
    const keyWait = agent.call('wait_for_update', { payment_sid: started.payment_sid, after_event_count: asked.event_count, timeout_seconds: 25 }).then((r) => {
      order.push('key');
      return r;
    });
    const quietWait = agent.call('wait_for_update', { payment_sid: quiet.payment_sid, after_event_count: quiet.event_count, timeout_seconds: 3 }).then((r) => {
      order.push('quiet');
      return r;
    });
    await pay.paytone.press(callSid, '4');
    const [woken, idle] = await Promise.all([keyWait, quietWait]);
    assert.deepEqual(order, ['key', 'quiet'], 'the key woke its wait before a 3-second quiet wait ran out, far inside its own 25 seconds');
    assert.equal(woken.changed, true);
    assert.ok(woken.payment.event_count > asked.event_count);
    assert.equal(woken.payment.asking_for, 'payment-card-number');
    assert.equal(woken.payment.captured['payment-card-number'], undefined, 'nothing is shown while the caller types');
    assert.equal(idle.changed, false);
    await agent.call('cancel_payment', { payment_sid: started.payment_sid });
    await agent.call('cancel_payment', { payment_sid: quiet.payment_sid });
  });

  it('returns at once when the payment moved on since the event_count given', async () => {
    const callSid = await pay.startCall();
    const started = await agent.call('start_payment', { call_sid: callSid, action: 'charge', amount: '5' });
    const asked = await agent.call('ask_caller', { payment_sid: started.payment_sid });
    await sandboxCaller(pay.paytone, callSid)(`${CARD}#`);
    const order: string[] = [];
    const stale = agent.call('wait_for_update', { payment_sid: started.payment_sid, after_event_count: asked.event_count, timeout_seconds: 25 }).then((r) => (order.push('stale'), r));
    const quiet = agent.call('wait_for_update', { payment_sid: started.payment_sid, timeout_seconds: 2 }).then((r) => (order.push('quiet'), r));
    const [caughtUp] = await Promise.all([stale, quiet]);
    assert.deepEqual(order, ['stale', 'quiet']);
    assert.equal(caughtUp.changed, true);
    assert.equal(caughtUp.payment.captured['payment-card-number'], 'xxxx-xxxx-xxxx-4242');
    await agent.call('cancel_payment', { payment_sid: started.payment_sid });
  });

  it('wakes when the caller hangs up mid-field, and the ended call takes no new payment (21220)', async () => {
    const callSid = await pay.startCall();
    const started = await agent.call('start_payment', { call_sid: callSid, action: 'charge', amount: '5' });
    const asked = await agent.call('ask_caller', { payment_sid: started.payment_sid });
    const waiting = agent.call('wait_for_update', { payment_sid: started.payment_sid, after_event_count: asked.event_count, timeout_seconds: 25 });
    await pay.paytone.post(`/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${callSid}.json`, { Status: 'completed' });
    const ended = await agent.waitPast((await waiting).payment, (s) => s.status === 'canceled');
    assert.equal(ended.result, 'caller-hung-up');
    assert.equal(ended.last_error.say, 'The caller hung up.');
    assert.equal(ended.next_step, 'none: the session has ended; start_payment again if the caller wants to retry');
    const found = await agent.call('find_call', { call_sid: callSid });
    assert.equal(found.status, 'completed');
    assert.equal(found.open_payment_sid, null);
    assert.equal((await agent.refused('start_payment', { call_sid: callSid, action: 'charge', amount: '5' })).code, 21220);
  });

  it('left nothing of the card in what the agents saw or the log', () => {
    assertNoCardData([
      ...[...agent.seen, ...other.seen].map((text, i) => [`result ${i}`, text] as [string, string]),
      ['the server log', pay.paytone.output()],
    ]);
  });
});
