/**
 * Whole sandbox payments as an AI voice agent drives them through the MCP tools, the sandbox keypad playing the
 * caller: a card charge found by the caller's number (with the account's token), a tokenize (with an API key), ACH,
 * a declined card, `*` from the caller, a cancel, an invalid card number typed again, the resource. The same
 * scenarios run over Streamable HTTP and over stdio; each also checks what the REST API and the audit trail show.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ACCOUNT_SID } from '../support/paytone.js';
import { sandboxCaller, type McpAgent } from '../support/mcpAgent.js';
import { futureExpiry, type PaytoneUnderTest } from '../e2e/flows.js';
import { BANK_ACCOUNT, CARD, CVC, DECLINED_CARD, POSTAL, ROUTING } from './testData.js';

export interface ScenarioContext {
  pay: PaytoneUnderTest;
  /** An agent with the account's own sid and token. */
  agent: McpAgent;
  /** An agent with an API key of the account, and that key's sid. */
  keyAgent: McpAgent;
  keySid: string;
}

export const CARD_ENTRIES = [`${CARD}#`, `${futureExpiry()}#`, `${CVC}#`, `${POSTAL}#`];

export function describePayments(title: string, context: () => ScenarioContext): void {
  describe(title, () => {
    let pay: PaytoneUnderTest;
    let agent: McpAgent;
    let keyAgent: McpAgent;
    let keySid: string;
    const auditOf = async (paymentSid: string): Promise<Array<Record<string, any>>> =>
      (await pay.paytone.get(`/v1/Accounts/${ACCOUNT_SID}/AuditLog.json?PaymentSid=${paymentSid}`)).body.entries;

    it('has a running paytone and agents', () => {
      ({ pay, agent, keyAgent, keySid } = context());
      assert.ok(pay && agent && keyAgent && keySid);
    });

    it('charges a card found by the caller number, with masks only, and the REST API and audit trail agree', async () => {
      const callSid = await pay.startCall({ to: '+15551230201' });
      const found = await agent.call('find_call', { number: '+15551230201' });
      assert.equal(found.call_sid, callSid);
      assert.equal(found.open_payment_sid, null);
      const { started, captured, ended } = await agent.pay(sandboxCaller(pay.paytone, callSid), { call_sid: callSid, action: 'charge', amount: '12.50' }, CARD_ENTRIES);
      assert.deepEqual(started.required, ['payment-card-number', 'expiration-date', 'security-code', 'postal-code']);
      assert.equal(started.next_step, 'ask_caller for payment-card-number (card number)');
      assert.equal(captured.captured['payment-card-number'], 'xxxx-xxxx-xxxx-4242');
      assert.equal(captured.captured['security-code'], 'xxx');
      assert.equal(captured.card_type, 'visa');
      assert.equal(ended.status, 'completed');
      assert.equal(ended.result, 'success');
      assert.match(ended.payment_confirmation_code, /\S/);
      assert.equal(ended.charge_amount, '12.50');
      const rest = await pay.session(callSid, started.payment_sid);
      assert.equal(rest.status, 'completed');
      assert.equal(rest.payment_confirmation_code, ended.payment_confirmation_code);
      const entries = await auditOf(started.payment_sid);
      const actions = entries.map((e) => e.action);
      for (const action of ['mcp.start_payment', 'mcp.ask_caller', 'mcp.wait_for_update', 'mcp.complete_payment']) assert.ok(actions.includes(action), `${action} in ${actions}`);
      const start = entries.find((e) => e.action === 'mcp.start_payment')!;
      assert.equal(start.credential_sid, ACCOUNT_SID);
      assert.equal(start.method, 'POST');
      assert.equal(start.path, '/mcp');
      assert.equal(start.call_sid, callSid);
      assert.equal(start.parameters.amount, '12.50');
    });

    it('tokenizes with an API key, and the audit names the key', async () => {
      const callSid = await pay.startCall();
      const { started, ended } = await keyAgent.pay(sandboxCaller(pay.paytone, callSid), { call_sid: callSid, action: 'tokenize', token_type: 'reusable' }, CARD_ENTRIES);
      assert.equal(started.action, 'tokenize');
      assert.equal(ended.status, 'completed');
      assert.match(ended.payment_token, /\S/);
      const entries = await auditOf(started.payment_sid);
      assert.ok(entries.length >= 5);
      assert.ok(entries.every((e) => e.credential_sid === keySid), JSON.stringify(entries.map((e) => e.credential_sid)));
    });

    it('debits a bank account (ACH)', async () => {
      const callSid = await pay.startCall();
      const { started, captured, ended } = await agent.pay(sandboxCaller(pay.paytone, callSid), { call_sid: callSid, action: 'charge', amount: 40, method: 'ach' }, [`${ROUTING}#`, `${BANK_ACCOUNT}#`]);
      assert.deepEqual(started.required, ['bank-routing-number', 'bank-account-number']);
      assert.equal(captured.captured['bank-account-number'], '**********89');
      assert.equal(ended.status, 'completed');
      assert.equal(ended.payment_method, 'ach-debit');
    });

    it('a declined card ends failed, with the decline in words to read to the caller', async () => {
      const callSid = await pay.startCall();
      const { ended } = await agent.pay(sandboxCaller(pay.paytone, callSid), { call_sid: callSid, action: 'charge', amount: '9.99' }, [`${DECLINED_CARD}#`, ...CARD_ENTRIES.slice(1)]);
      assert.equal(ended.status, 'failed');
      assert.equal(ended.result, 'payment-connector-error');
      assert.equal(ended.pay_error_code, 64012);
      assert.deepEqual(ended.last_error, { field: null, error_type: 'payment-connector-error', say: 'Your card was declined.' });
    });

    it('star from the caller stops the payment, and the agent is told so', async () => {
      const callSid = await pay.startCall();
      const caller = sandboxCaller(pay.paytone, callSid);
      const started = await agent.call('start_payment', { call_sid: callSid, action: 'charge', amount: '5' });
      const asked = await agent.call('ask_caller', { payment_sid: started.payment_sid });
      await caller('4242*');
      const ended = await agent.waitPast(asked, (s) => s.status === 'canceled');
      assert.equal(ended.result, 'caller-interrupted-with-star');
      assert.equal(ended.last_error.say, 'The caller pressed star to stop the payment.');
      assert.deepEqual(ended.captured, {}, 'nothing was accepted before the star');
    });

    it('cancel_payment stops a payment half taken, and the call can pay again', async () => {
      const callSid = await pay.startCall();
      const caller = sandboxCaller(pay.paytone, callSid);
      const started = await agent.call('start_payment', { call_sid: callSid, action: 'charge', amount: '5' });
      await agent.take(caller, started.payment_sid, `${CARD}#`);
      const canceling = await agent.call('cancel_payment', { payment_sid: started.payment_sid });
      const ended = await agent.waitPast(canceling, (s) => s.status === 'canceled');
      // The card is erased; what stays is its masked summary, as the callbacks showed it.
      assert.deepEqual(ended.captured, { 'payment-card-number': 'xxxx-xxxx-xxxx-4242' });
      assert.equal((await pay.session(callSid, started.payment_sid)).status, 'canceled');
      assert.equal((await agent.call('find_call', { call_sid: callSid })).open_payment_sid, null);
      const again = await agent.call('start_payment', { call_sid: callSid, action: 'charge', amount: '5' });
      assert.notEqual(again.payment_sid, started.payment_sid);
      assert.equal((await agent.call('find_call', { call_sid: callSid })).open_payment_sid, again.payment_sid);
      await agent.call('cancel_payment', { payment_sid: again.payment_sid });
    });

    it('an invalid card number is reported in words, and the field can be asked again', async () => {
      const callSid = await pay.startCall();
      const caller = sandboxCaller(pay.paytone, callSid);
      const started = await agent.call('start_payment', { call_sid: callSid, action: 'charge', amount: '5' });
      const bad = await agent.take(caller, started.payment_sid, '4242424242424241#');
      assert.deepEqual(bad.last_error, { field: 'payment-card-number', error_type: 'invalid-card-number', say: 'The card number was not valid.' });
      assert.equal(bad.next_step, 'ask_caller for payment-card-number (card number)');
      const good = await agent.take(caller, started.payment_sid, `${CARD}#`);
      assert.equal(good.last_error, null);
      assert.equal(good.captured['payment-card-number'], 'xxxx-xxxx-xxxx-4242');
      await agent.call('cancel_payment', { payment_sid: started.payment_sid });
    });

    it('reads a payment as a resource', async () => {
      const callSid = await pay.startCall();
      const started = await agent.call('start_payment', { call_sid: callSid, action: 'tokenize' });
      const read = await agent.resource(`paytone://payments/${started.payment_sid}`);
      const state = JSON.parse(read.contents[0].text);
      assert.equal(state.payment_sid, started.payment_sid);
      assert.equal(state.status, 'in-progress');
      await agent.call('cancel_payment', { payment_sid: started.payment_sid });
    });
  });
}
