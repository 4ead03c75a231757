#!/usr/bin/env node
/**
 * An AI voice agent taking a card payment through paytone's MCP server, scripted so it needs no model: it connects
 * with the official MCP client over Streamable HTTP, finds the caller's call by their number, starts a payment,
 * asks for each field and waits while the caller types, then completes. The caller is paytone's sandbox keypad,
 * played here the way a person would type once the agent asks. Everything the agent prints is what a model would
 * see: masks, never digits.
 *
 *   PAYTONE_ACCOUNT_SID=AC... PAYTONE_AUTH_TOKEN=... node examples/ai-agent-mcp.mjs [http://127.0.0.1:8080]
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const baseUrl = process.argv[2] ?? 'http://127.0.0.1:8080';
const accountSid = process.env.PAYTONE_ACCOUNT_SID;
const authToken = process.env.PAYTONE_AUTH_TOKEN;
if (!accountSid || !authToken) {
  console.error('Set PAYTONE_ACCOUNT_SID and PAYTONE_AUTH_TOKEN to the credentials paytone printed at its first start.');
  process.exit(2);
}
const authorization = 'Basic ' + Buffer.from(`${accountSid}:${authToken}`).toString('base64');

// --- The caller: a sandbox call, and the keys they type when asked (public test data). -----------------------
const CALLER_NUMBER = '+15551230777';
const nextYear = (new Date().getUTCFullYear() + 2) % 100;
const TYPED = {
  'payment-card-number': '4242424242424242#',
  'expiration-date': `12${String(nextYear).padStart(2, '0')}#`,
  'security-code': '123#',
  'postal-code': '94107#',
};

async function rest(method, path, form) {
  const response = await fetch(baseUrl + path, { method, headers: { authorization }, body: form ? new URLSearchParams(form) : undefined });
  const body = await response.json();
  if (!response.ok) throw new Error(`${method} ${path}: ${body.message}`);
  return body;
}

const call = await rest('POST', `/2010-04-01/Accounts/${accountSid}/Calls.json`, {
  To: '+15559870002',
  From: CALLER_NUMBER,
  Twiml: '<Response><Pause length="120"/></Response>',
});
const keypad = `/sandbox/Accounts/${accountSid}/Calls/${call.sid}/Dtmf.json`;
async function callerTypes(digits) {
  await rest('POST', keypad, { Digits: digits });
  while ((await rest('GET', keypad)).queued > 0) await new Promise((resolve) => setTimeout(resolve, 20));
}

// --- The agent: only MCP tools from here on. -----------------------------------------------------------------
const agent = new Client({ name: 'scripted-voice-agent', version: '1.0.0' });
await agent.connect(new StreamableHTTPClientTransport(new URL('/mcp', baseUrl), { requestInit: { headers: { authorization } } }));

async function tool(name, args) {
  const result = await agent.callTool({ name, arguments: args });
  if (result.isError) throw new Error(`${name}: ${result.content[0].text}`);
  return result.structuredContent;
}

const found = await tool('find_call', { number: CALLER_NUMBER });
console.log(`call      ${found.call_sid} ${found.status}`);
let payment = await tool('start_payment', { call_sid: found.call_sid, action: 'charge', amount: '24.90', currency: 'USD' });
console.log(`payment   ${payment.payment_sid} required: ${payment.required.join(',')}`);

while (payment.status === 'in-progress' && payment.required.length > 0) {
  const asked = await tool('ask_caller', { payment_sid: payment.payment_sid });
  console.log(`agent     "${asked.say}"`);
  await callerTypes(TYPED[asked.asked_for]);
  payment = asked;
  while (payment.asking_for !== null) {
    const waited = await tool('wait_for_update', { payment_sid: payment.payment_sid, after_event_count: payment.event_count, timeout_seconds: 10 });
    if (!waited.changed) console.log('agent     "Take your time."');
    payment = waited.payment;
  }
  if (payment.last_error) console.log(`agent     "${payment.last_error.say}"`);
  else console.log(`captured  ${asked.asked_for}  ${payment.captured[asked.asked_for]}`);
}

payment = await tool('complete_payment', { payment_sid: payment.payment_sid });
while (!['completed', 'failed', 'canceled'].includes(payment.status)) {
  payment = (await tool('wait_for_update', { payment_sid: payment.payment_sid, after_event_count: payment.event_count, timeout_seconds: 10 })).payment;
}
console.log(`result    ${payment.result}  confirmation ${payment.payment_confirmation_code}`);
console.log(`agent     "${payment.result === 'success' ? 'Thank you, your payment went through.' : payment.last_error.say}"`);

await agent.close();
await rest('POST', `/2010-04-01/Accounts/${accountSid}/Calls/${call.sid}.json`, { Status: 'completed' });
