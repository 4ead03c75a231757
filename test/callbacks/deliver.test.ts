import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { Agent } from 'undici';
import { postCallback, type CallbackPost } from '../../src/callbacks/deliver.js';

interface Seen {
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const seen: Seen[] = [];
let answer: (res: http.ServerResponse) => void = (res) => res.writeHead(204).end();
const receiver = http.createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    seen.push({ url: req.url ?? '', headers: req.headers, body });
    answer(res);
  });
});
const agent = new Agent();
let base = '';

before(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
after(async () => {
  await agent.destroy();
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
});

function post(overrides: Partial<CallbackPost> = {}): CallbackPost {
  return {
    url: `${base}/status`,
    params: { Sid: 'PK1', Capture: 'payment-card-number' },
    signature: 'c2lnbmF0dXJl',
    idempotencyToken: 'PK1-1',
    userAgent: 'TwilioProxy/1.1',
    timeoutMs: 1000,
    ...overrides,
  };
}

test('sends a form-encoded POST with the callback headers and reports the status', async () => {
  seen.length = 0;
  answer = (res) => res.writeHead(204).end();
  const result = await postCallback(agent, post({ params: { Description: 'a b&c=d', Sid: 'PK1' } }));
  assert.deepEqual(result, { kind: 'response', status: 204 });
  const [request] = seen;
  assert.ok(request);
  assert.equal(request.url, '/status');
  assert.equal(request.headers['content-type'], 'application/x-www-form-urlencoded');
  assert.equal(request.headers['x-twilio-signature'], 'c2lnbmF0dXJl');
  assert.equal(request.headers['i-twilio-idempotency-token'], 'PK1-1');
  assert.equal(request.headers['user-agent'], 'TwilioProxy/1.1');
  assert.deepEqual(Object.fromEntries(new URLSearchParams(request.body)), { Description: 'a b&c=d', Sid: 'PK1' });
});

test('credentials in the URL go as Basic auth, not in the request line', async () => {
  seen.length = 0;
  answer = (res) => res.writeHead(200).end('ok');
  const url = `${base.replace('http://', 'http://pay%40app:s3cret@')}/status?x=1`;
  assert.deepEqual(await postCallback(agent, post({ url })), { kind: 'response', status: 200 });
  assert.equal(seen[0]?.url, '/status?x=1');
  assert.equal(seen[0]?.headers.authorization, `Basic ${Buffer.from('pay@app:s3cret').toString('base64')}`);
});

test('an error status is a response, not a delivery', async () => {
  answer = (res) => res.writeHead(503).end('busy');
  assert.deepEqual(await postCallback(agent, post()), { kind: 'response', status: 503 });
});

test('a receiver slower than the timeout is reported as a timeout', async () => {
  answer = (res) => setTimeout(() => res.writeHead(200).end(), 300);
  assert.deepEqual(await postCallback(agent, post({ timeoutMs: 50 })), { kind: 'no-response', error: 'timeout' });
});

test('a closed port is reported by its error code', async () => {
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  assert.deepEqual(await postCallback(agent, post({ url: `http://127.0.0.1:${port}/x` })), { kind: 'no-response', error: 'ECONNREFUSED' });
});

test('a URL that cannot be posted to is unsendable', async () => {
  assert.deepEqual(await postCallback(agent, post({ url: 'not a url' })), { kind: 'unsendable', error: 'invalid url' });
  assert.deepEqual(await postCallback(agent, post({ url: 'ftp://example.com/x' })), { kind: 'unsendable', error: 'unsupported url scheme' });
});

test('the status is the answer: a body that never ends does not hold it back', async () => {
  answer = (res) => {
    res.writeHead(200, { 'content-length': '1000' });
    res.write('partial');
  };
  assert.deepEqual(await postCallback(agent, post({ timeoutMs: 500 })), { kind: 'response', status: 200 });
});

test('a large response body is cut off, and the next callback still goes out', async () => {
  answer = (res) => res.writeHead(200).end(Buffer.alloc(1024 * 1024, 'x'));
  assert.deepEqual(await postCallback(agent, post()), { kind: 'response', status: 200 });
  answer = (res) => res.writeHead(204).end();
  assert.deepEqual(await postCallback(agent, post()), { kind: 'response', status: 204 });
});

test('a callback whose limit passes while it waits for a connection is not sent late', async () => {
  const oneConnection = new Agent({ connections: 1 });
  try {
    seen.length = 0;
    answer = (res) => setTimeout(() => res.writeHead(204).end(), 200);
    const first = postCallback(oneConnection, post({ idempotencyToken: 'PK1-1', timeoutMs: 2000 }));
    const second = postCallback(oneConnection, post({ idempotencyToken: 'PK1-2', timeoutMs: 50 }));
    assert.deepEqual(await second, { kind: 'no-response', error: 'timeout' });
    assert.deepEqual(await first, { kind: 'response', status: 204 });
    // One connection, requests in order: had the second gone out late, it would arrive before this third one.
    answer = (res) => res.writeHead(204).end();
    assert.deepEqual(await postCallback(oneConnection, post({ idempotencyToken: 'PK1-3' })), { kind: 'response', status: 204 });
    assert.deepEqual(
      seen.map((s) => s.headers['i-twilio-idempotency-token']),
      ['PK1-1', 'PK1-3'],
    );
  } finally {
    await oneConnection.destroy();
  }
});
