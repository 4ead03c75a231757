import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import twilio from 'twilio';
import { CallbackSender, type CallbackToSend } from '../../src/callbacks/callbackSender.js';
import type { DeliveryResult } from '../../src/callbacks/deliver.js';
import { parseCallbackPolicy, portableCallbackPolicy, ANY_CALLBACK } from '../../src/domain/callbackPolicy.js';
import { until } from '../support/poll.js';

const AUTH_TOKEN = 'f'.repeat(32);

interface Seen {
  path: string;
  headers: http.IncomingHttpHeaders;
  params: Record<string, string>;
}

const seen: Seen[] = [];
/** Requests to `/hang` are held here, unanswered, until the test lets them go. */
const held: http.ServerResponse[] = [];
const receiver = http.createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    const path = (req.url ?? '').split('?')[0]!;
    seen.push({ path, headers: req.headers, params: Object.fromEntries(new URLSearchParams(body)) });
    if (path === '/hang') held.push(res);
    else if (path === '/slow') setTimeout(() => res.writeHead(200).end(), 200);
    else if (path === '/fail') res.writeHead(500).end();
    else res.writeHead(204).end();
  });
});
let port = 0;
const senders: CallbackSender[] = [];

before(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  port = (receiver.address() as AddressInfo).port;
});
after(async () => {
  await Promise.all(senders.map((s) => s.close(false)));
  for (const res of held) res.destroy();
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
});

function sender(options: { mode?: string; allow?: string; threadModule?: URL } = {}): CallbackSender {
  const policy = options.mode === undefined ? ANY_CALLBACK : parseCallbackPolicy(options.mode, options.allow ?? '').policy!;
  const created = new CallbackSender(
    { policy: portableCallbackPolicy(policy), connectionsPerOrigin: 4, timeoutMs: 5000, userAgent: 'TwilioProxy/1.1' },
    { warn() {} },
    options.threadModule,
  );
  senders.push(created);
  return created;
}

/** One callback alone: a sequence of one, and what came of it. */
async function sendOne(to: CallbackSender, sent: CallbackToSend): Promise<DeliveryResult> {
  let answer: DeliveryResult | undefined;
  await to.sendInOrder([sent], (result) => (answer = result));
  assert.ok(answer, 'a sequence is answered at least once');
  return answer;
}

function callback(path: string, host = '127.0.0.1'): CallbackToSend {
  return {
    url: `http://${host}:${port}${path}?account=a%20b`,
    params: { Sid: 'PK01', Capture: 'payment-card-number', PaymentCardNumber: 'xxxx-xxxx-xxxx-4242' },
    method: 'POST',
    signingKey: AUTH_TOKEN,
    idempotencyToken: 'PK01-3',
  };
}

test('the thread sends each callback signed as the official client checks it, with its token and user agent', async () => {
  seen.length = 0;
  const sent = callback('/status');
  assert.deepEqual(await sendOne(sender(), sent), { kind: 'response', status: 204 });
  const [request] = seen;
  assert.ok(request);
  assert.deepEqual(request.params, sent.params);
  assert.equal(twilio.validateRequest(AUTH_TOKEN, String(request.headers['x-twilio-signature']), sent.url, request.params), true);
  assert.equal(request.headers['i-twilio-idempotency-token'], 'PK01-3');
  assert.equal(request.headers['user-agent'], 'TwilioProxy/1.1');
  assert.equal(request.headers['content-type'], 'application/x-www-form-urlencoded');
});

test('callbacks started together go out together and each gets its own answer', async () => {
  seen.length = 0;
  const one = sender();
  const results = await Promise.all([sendOne(one, callback('/a')), sendOne(one, callback('/slow')), sendOne(one, callback('/b'))]);
  assert.deepEqual(results, [
    { kind: 'response', status: 204 },
    { kind: 'response', status: 200 },
    { kind: 'response', status: 204 },
  ]);
  assert.deepEqual(seen.map((s) => s.path).sort(), ['/a', '/b', '/slow']);
});

test('a sequence goes one callback at a time and stops at the first not delivered', async () => {
  seen.length = 0;
  const answers: Array<{ status: number | undefined; at: number }> = [];
  await sender().sendInOrder([callback('/a'), callback('/slow'), callback('/fail'), callback('/b')], (result) =>
    answers.push({ status: result.kind === 'response' ? result.status : undefined, at: Date.now() }),
  );
  assert.deepEqual(
    answers.map((a) => a.status),
    [204, 200, 500],
  );
  assert.deepEqual(
    seen.map((s) => s.path),
    ['/a', '/slow', '/fail'],
    'in order, and nothing after the 500',
  );
  // Each answer is heard as it comes: the first before the slow one's 200 ms had passed.
  assert.ok(answers[1]!.at - answers[0]!.at >= 150, `the first answer was heard ${answers[1]!.at - answers[0]!.at} ms before the second`);
});

test('the thread keeps the callback policy, allowed networks included', async () => {
  seen.length = 0;
  assert.deepEqual(await sendOne(sender({ mode: 'public' }), callback('/status', 'localhost')), {
    kind: 'unsendable',
    error: 'refused by the callback policy: the host resolves to a loopback address',
  });
  assert.equal(seen.length, 0, 'nothing reached the receiver');
  assert.deepEqual(await sendOne(sender({ mode: 'public', allow: '127.0.0.0/8,::1' }), callback('/status', 'localhost')), { kind: 'response', status: 204 });
});

test('a thread that dies answers its attempts as unanswered, and the next attempt starts a new one', async () => {
  const dying = sender({ threadModule: new URL('../support/failingSenderThread.js', import.meta.url) });
  assert.deepEqual(await sendOne(dying, callback('/die')), { kind: 'no-response', error: 'callback sender stopped' });
  assert.deepEqual(await sendOne(dying, callback('/status')), { kind: 'response', status: 204 });
});

test('a graceful close lets an attempt in flight finish; a hard one cuts it off; after either, nothing is sent', async () => {
  seen.length = 0;
  const gentle = sender();
  const finishing = sendOne(gentle, callback('/slow'));
  await until('the slow callback to arrive', async () => seen.length === 1);
  await gentle.close(true);
  assert.deepEqual(await finishing, { kind: 'response', status: 200 });

  const hard = sender();
  const hanging = sendOne(hard, callback('/hang'));
  await until('the hanging callback to arrive', async () => held.length === 1);
  await hard.close(false);
  assert.equal((await hanging).kind, 'no-response');

  const before = seen.length;
  assert.deepEqual(await sendOne(hard, callback('/status')), { kind: 'no-response', error: 'callback sender stopped' });
  assert.equal(seen.length, before);
});
