#!/usr/bin/env node
/**
 * A whole sandbox pay session driven by the official `twilio` npm client, exactly as an app written for
 * Twilio would do it; only the client's base URL changes. It also plays the caller (sandbox keypad) and
 * the app's StatusCallback endpoint, and checks each callback's signature with `twilio.validateRequest`.
 *
 *   PAYTONE_ACCOUNT_SID=AC... PAYTONE_AUTH_TOKEN=... node examples/twilio-walkthrough.mjs [http://127.0.0.1:8080]
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import twilio from 'twilio';

const baseUrl = process.argv[2] ?? 'http://127.0.0.1:8080';
const accountSid = process.env.PAYTONE_ACCOUNT_SID;
const authToken = process.env.PAYTONE_AUTH_TOKEN;
if (!accountSid || !authToken) {
  console.error('Set PAYTONE_ACCOUNT_SID and PAYTONE_AUTH_TOKEN to the credentials paytone printed at its first start.');
  process.exit(2);
}

// The app's StatusCallback endpoint.
const callbacks = [];
const waiters = [];
const receiver = http.createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    const url = `http://127.0.0.1:${receiver.address().port}${req.url}`;
    const params = Object.fromEntries(new URLSearchParams(body));
    const valid = twilio.validateRequest(authToken, req.headers['x-twilio-signature'] ?? '', url, params);
    callbacks.push({ params, valid });
    res.end();
    for (const w of [...waiters]) if (w.test(params)) waiters.splice(waiters.indexOf(w), 1) && w.resolve(params);
  });
});
await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const appUrl = `http://127.0.0.1:${receiver.address().port}`;
const callbackFor = (test) =>
  new Promise((resolve, reject) => {
    const seen = callbacks.find((c) => test(c.params));
    if (seen) return resolve(seen.params);
    const timer = setTimeout(() => reject(new Error('no callback within 20 s')), 20_000);
    waiters.push({ test, resolve: (p) => (clearTimeout(timer), resolve(p)) });
  });

const client = twilio(accountSid, authToken);
client.api.baseUrl = baseUrl;

// The caller's keypad (a paytone sandbox extension).
async function press(callSid, digits) {
  const response = await fetch(`${baseUrl}/sandbox/Accounts/${accountSid}/Calls/${callSid}/Dtmf.json`, {
    method: 'POST',
    headers: { authorization: 'Basic ' + Buffer.from(`${accountSid}:${authToken}`).toString('base64') },
    body: new URLSearchParams({ Digits: digits }),
  });
  if (response.status !== 202) throw new Error(`keypad refused: ${await response.text()}`);
}

const call = await client.calls.create({ to: '+15551230001', from: '+15559870002', url: `${appUrl}/voice` });
console.log(`call      ${call.sid} ${call.status}`);

const payment = await client.calls(call.sid).payments.create({
  idempotencyKey: randomUUID(),
  statusCallback: '/pay', // relative: resolved against the call's Url
  chargeAmount: 25,
  currency: 'usd',
  description: 'Order 1001',
});
console.log(`payment   ${payment.sid} started`);

const fields = [
  ['payment-card-number', '4242424242424242#', 'PaymentCardNumber'],
  ['expiration-date', '1230', 'ExpirationDate'],
  ['security-code', '123', 'SecurityCode'],
  ['postal-code', '94107#', 'PaymentCardPostalCode'],
];
for (const [capture, digits, shown] of fields) {
  await client.calls(call.sid).payments(payment.sid).update({ idempotencyKey: randomUUID(), statusCallback: '/pay', capture });
  await press(call.sid, digits);
  const done = await callbackFor((p) => p.Capture === capture && p.PartialResult === 'false');
  const type = done.PaymentCardType ? ` (${done.PaymentCardType})` : '';
  console.log(`captured  ${capture.padEnd(20)} ${done[shown]}${type}  Required: ${done.Required || '(none)'}`);
}

await client.calls(call.sid).payments(payment.sid).update({ idempotencyKey: randomUUID(), statusCallback: '/pay', status: 'complete' });
const final = await callbackFor((p) => p.Result !== undefined);
console.log(`result    ${final.Result}  PaymentConfirmationCode=${final.PaymentConfirmationCode}`);

await client.calls(call.sid).update({ status: 'completed' });
const invalid = callbacks.filter((c) => !c.valid).length;
console.log(`callbacks ${callbacks.length} received, ${invalid === 0 ? 'all signatures valid' : `${invalid} with a bad signature`}`);
receiver.close();
process.exit(invalid === 0 && final.Result === 'success' ? 0 : 1);
