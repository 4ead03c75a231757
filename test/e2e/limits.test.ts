/**
 * Size limits and timeouts against clients that send too much or too slowly, on the real server over bare
 * sockets: an oversized body gets 413 and oversized headers 431, a client that dribbles its headers or its body
 * is cut off with 408, an idle connection is closed, bytes that are not HTTP after a request are refused only once
 * that request is answered, and while all that goes on, other clients are served. Every refusal is Twilio's envelope.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { ACCOUNT_SID, AUTH_TOKEN, startPaytone, type PaytoneProcess } from '../support/paytone.js';
import { dribble, parseResponse, rawRequest } from '../support/rawHttp.js';
import { assertEnvelopeText } from '../support/envelope.js';
import { until } from '../support/poll.js';

const HEADERS_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 2000;
const KEEPALIVE_TIMEOUT_MS = 1000;
const AUTH = `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`;

let paytone: PaytoneProcess;

before(async () => {
  paytone = await startPaytone({
    env: {
      PAYTONE_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      PAYTONE_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      PAYTONE_KEEPALIVE_TIMEOUT_MS: String(KEEPALIVE_TIMEOUT_MS),
    },
  });
});

after(async () => paytone?.stop());

const callsPath = `/2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`;

function post(body: string, extraHeaders = ''): string {
  return (
    `POST ${callsPath} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${AUTH}\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n${extraHeaders}\r\n${body}`
  );
}

/** A socket that records what it received and whether the server closed it. */
function openSocket(): net.Socket & { closedByServer: boolean; received(): string } {
  const chunks: Buffer[] = [];
  const socket = Object.assign(net.connect(paytone.port, '127.0.0.1'), { closedByServer: false, received: () => Buffer.concat(chunks).toString() });
  socket.on('data', (chunk) => chunks.push(chunk));
  socket.on('error', () => undefined);
  socket.on('end', () => (socket.closedByServer = true));
  socket.on('close', () => (socket.closedByServer = true));
  return socket;
}

describe('size limits', () => {
  it('refuses a body over 64 KB with 413 and creates nothing', async () => {
    const before = await paytone.get(callsPath);
    const response = await rawRequest(paytone.port, post(`To=%2B15551230001&From=%2B15559870002&Twiml=${'a'.repeat(65 * 1024)}`));
    assert.equal(response.status, 413);
    assertEnvelopeText(413, response.headers, response.body, 'oversized body');
    assert.equal(JSON.parse(response.body).code, 20413);
    assert.equal((await paytone.get(callsPath)).body.calls.length, before.body.calls.length, 'no call was created');
  });

  it('accepts a body just under the limit', async () => {
    const response = await rawRequest(paytone.port, post(`To=%2B15551230001&From=%2B15559870002&Twiml=${'a'.repeat(60 * 1024)}`));
    assert.equal(response.status, 201, response.body.slice(0, 200));
  });

  it('refuses headers over 16 KB with 431 before reading the request', async () => {
    const response = await rawRequest(paytone.port, post('To=%2B15551230001&From=%2B15559870002', `X-Padding: ${'p'.repeat(17 * 1024)}\r\n`));
    assert.equal(response.status, 431);
    assertEnvelopeText(431, response.headers, response.body, 'oversized headers');
    assert.equal(JSON.parse(response.body).code, 20431);
    assert.equal(response.headers.connection, 'close', 'the connection is closed');
  });

  it('answers a request line that is not HTTP with a 400 envelope', async () => {
    const response = await rawRequest(paytone.port, 'HELLO\r\n\r\n');
    assert.equal(response.status, 400);
    assertEnvelopeText(400, response.headers, response.body, 'not HTTP');
  });
});

describe('bytes after a request', () => {
  // A change is answered only after its fsync, so bytes after it are refused while its answer is still pending.
  const created = (text: string) => /^HTTP\/1\.1 201 [^]*"sid":"CA[0-9a-f]{32}"/.test(text);

  it('answers a request first when bytes that are not HTTP follow it, then closes', async () => {
    const socket = openSocket();
    socket.write(`${post('To=%2B15551230001&From=%2B15559870002')}NOT HTTP\r\n\r\n`);
    await until('the server to close the connection', async () => socket.closedByServer, 10_000);
    assert.ok(created(socket.received()), socket.received().slice(0, 300));
    assert.doesNotMatch(paytone.output(), /unhandled error|ERR_HTTP_HEADERS_SENT/);
  });

  it('on a kept-alive connection, answers the request, then refuses the bytes after it, in that order', async () => {
    const socket = openSocket();
    const keptAlive = post('To=%2B15551230001&From=%2B15559870002').replace('Connection: close', 'Connection: keep-alive');
    socket.write(`${keptAlive}NOT HTTP\r\n\r\n`);
    await until('the server to close the connection', async () => socket.closedByServer, 10_000);
    const [first = '', second = ''] = socket.received().split(/(?=HTTP\/1\.1 )/);
    assert.ok(created(first), first.slice(0, 300));
    const refusal = parseResponse(Buffer.from(second), true);
    assert.equal(refusal.status, 400, second.slice(0, 300));
    assertEnvelopeText(400, refusal.headers, refusal.body, 'bytes after a request');
    assert.doesNotMatch(paytone.output(), /unhandled error|ERR_HTTP_HEADERS_SENT/);
  });
});

describe('slow clients', () => {
  it('cuts off a client that dribbles its headers (408) long before it would finish', async () => {
    const request = post('To=%2B15551230001&From=%2B15559870002', `X-Slow: ${'s'.repeat(200)}\r\n`);
    const response = await dribble(paytone.port, request, { everyMs: 100, giveUpMs: 30_000 });
    assert.equal(response.status, 408, `server said: ${response.status} ${response.body}`);
    assertEnvelopeText(408, response.headers, response.body, 'dribbled headers');
    assert.equal(JSON.parse(response.body).code, 20408);
    assert.ok(response.closed, 'the server closed the connection');
    assert.ok(response.sentBytes < request.length / 2, `the client sent ${response.sentBytes} of ${request.length} bytes before being cut off`);
  });

  it('cuts off a client that sends its headers at once and then dribbles the body (408)', async () => {
    const body = `To=%2B15551230001&From=%2B15559870002&Twiml=${'b'.repeat(400)}`;
    const request = post(body);
    const response = await dribble(paytone.port, request, { atOnce: request.length - body.length, everyMs: 100, giveUpMs: 30_000 });
    assert.equal(response.status, 408, `server said: ${response.status} ${response.body}`);
    assertEnvelopeText(408, response.headers, response.body, 'dribbled body');
    assert.ok(response.sentBytes < request.length, 'the body was still being sent when the server gave up');
  });

  it('closes a connection that never sends anything', async () => {
    const socket = openSocket();
    await until('the server to close the idle connection', async () => socket.closedByServer, 30_000);
  });

  it('closes an idle kept-alive connection after its request was answered', async () => {
    const socket = openSocket();
    socket.write(`GET ${callsPath} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${AUTH}\r\n\r\n`);
    await until('the response', async () => socket.received().includes('"calls"'));
    assert.match(socket.received(), /keep-alive/i, 'the connection was kept alive');
    await until('the server to close the idle connection', async () => socket.closedByServer, 30_000);
  });

  it('keeps serving other clients while many slow ones hang on', async () => {
    const slow = Array.from({ length: 50 }, () => dribble(paytone.port, post('To=%2B1555'), { everyMs: 200, giveUpMs: 30_000 }));
    const served = await paytone.get(callsPath);
    assert.equal(served.status, 200);
    const cut = await Promise.all(slow);
    assert.ok(cut.every((r) => r.status === 408), `statuses: ${cut.map((r) => r.status).join(',')}`);
    assert.equal(paytone.child.exitCode, null);
  });
});
