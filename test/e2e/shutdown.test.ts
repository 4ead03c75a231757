/**
 * Graceful shutdown on SIGTERM: the listening socket closes at once, a request already being received is
 * answered, a callback POST in flight and a gateway call in flight finish and are recorded, and the process
 * exits 0; nothing is lost or sent twice after a restart. A second signal, or an expired grace period, exits
 * at once and leaves the unfinished work durable.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { ACCOUNT_SID, AUTH_TOKEN, startPaytone, type PaytoneProcess } from '../support/paytone.js';
import { until } from '../support/poll.js';
import { futureExpiry, openPaytone } from './flows.js';

const SLOW_CARD = '4000000000000077';
const basicAuth = 'Basic ' + Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64');

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

async function start(env: Record<string, string> = {}): Promise<PaytoneProcess> {
  const paytone = await startPaytone({ env: { PAYTONE_SHUTDOWN_GRACE_MS: '60000', ...env } });
  cleanups.push(() => paytone.kill('SIGKILL'));
  return paytone;
}

function exitCodeOf(paytone: PaytoneProcess): Promise<number | null> {
  const { child } = paytone;
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function terminate(paytone: PaytoneProcess): Promise<void> {
  paytone.child.kill('SIGTERM');
  await until('the shutdown to begin', async () => paytone.output().includes('shutting down'));
}

/** The session's callback rows as the process left them in its database. */
function storedCallbacks(paytone: PaytoneProcess, sessionSid: string): Array<{ seq: number; kind: string; delivery_status: string; attempts: number; last_response_code: number | null }> {
  const db = new Database(path.join(paytone.dataDir, 'paytone.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT seq, kind, delivery_status, attempts, last_response_code FROM session_events WHERE session_sid = ? ORDER BY seq').all(sessionSid) as never;
  } finally {
    db.close();
  }
}

/** A StatusCallback endpoint that holds every POST until the test releases it. */
async function holdingReceiver() {
  const held: Array<{ token: string; params: Record<string, string>; release: () => void }> = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      held.push({
        token: String(req.headers['i-twilio-idempotency-token']),
        params: Object.fromEntries(new URLSearchParams(raw)),
        release: () => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'),
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/pay`, held };
}

/** Starts a call and a charging session whose callbacks go to `statusCallback`. */
async function startSession(paytone: PaytoneProcess, statusCallback: string): Promise<{ callSid: string; sid: string }> {
  const client = paytone.client();
  const call = await client.calls.create({ to: '+14155550100', from: '+14155550199', twiml: '<Response><Pause length="60"/></Response>' });
  const payment = await client.calls(call.sid).payments.create({ idempotencyKey: `start-${call.sid}`, statusCallback, chargeAmount: 10 });
  return { callSid: call.sid, sid: payment.sid };
}

// Graceful shutdown is the lifecycle of one process: the cluster pass of the e2e suite (PAYTONE_TEST_CLUSTER)
// starts clusters behind a balancer, where "the process" and its port are not one thing.
const clusterPass = Number(process.env.PAYTONE_TEST_CLUSTER ?? '1') > 1;

describe('SIGTERM', { skip: clusterPass ? 'graceful shutdown of one process is checked in the single-process run' : false }, () => {
  it('stops listening at once but answers the request it is receiving, then exits 0; the request\'s effect survives', async () => {
    const paytone = await start();
    const body = new URLSearchParams({ To: '+14155550100', From: '+14155550199', Twiml: '<Response/>' }).toString();
    const socket = net.connect(paytone.port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(
      `POST /2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${basicAuth}\r\n` +
        `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\n\r\n`,
    );
    // The server has read the request's head once it invites the body.
    await until('the server to invite the body', async () => answer.startsWith('HTTP/1.1 100 Continue'));
    const exited = exitCodeOf(paytone);

    await terminate(paytone);
    await until('new connections to be refused', async () => fetch(`${paytone.baseUrl}/healthz`).then(() => false, () => true));
    assert.equal(paytone.child.exitCode, null, 'the process waits for the request it is receiving');
    // The body without a FIN: a client that half-closes gets no answer from Node's HTTP server once the handler
    // has anything to wait for (here the database's fsync), shutting down or not.
    socket.write(body);
    await closed;

    const response = answer.slice(answer.indexOf('\r\n\r\n') + 4);
    assert.match(response, /^HTTP\/1\.1 201 Created\r\n/);
    assert.match(response, /\r\nconnection: close\r\n/i);
    const call = JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4));
    assert.match(call.sid, /^CA[0-9a-f]{32}$/);
    assert.equal(await exited, 0);
    assert.match(paytone.output(), /"msg":"shut down cleanly"/);

    const again = await startPaytone({ dataDir: paytone.dataDir });
    cleanups.push(() => again.kill('SIGKILL'));
    const fetched = await again.get(`/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${call.sid}.json`);
    assert.equal(fetched.status, 200);
    assert.equal(fetched.body.sid, call.sid);
  });

  it('lets a callback POST in flight finish and records it as delivered before exiting 0', async () => {
    const receiver = await holdingReceiver();
    const paytone = await start();
    const { sid } = await startSession(paytone, receiver.url);
    await until('the start callback to be in flight', async () => receiver.held.length === 1);

    const exited = exitCodeOf(paytone);
    await terminate(paytone);
    await until('new connections to be refused', async () => fetch(`${paytone.baseUrl}/healthz`).then(() => false, () => true));
    assert.equal(paytone.child.exitCode, null, 'the process waits for the callback in flight');
    receiver.held[0]!.release();
    assert.equal(await exited, 0);

    assert.deepEqual(storedCallbacks(paytone, sid), [{ seq: 1, kind: 'started', delivery_status: 'delivered', attempts: 1, last_response_code: 200 }]);
    assert.equal(receiver.held.length, 1, 'sent once');
  });

  it('waits for the gateway\'s answer to a completion in flight: one charge, one final callback', async () => {
    const pay = await openPaytone({ PAYTONE_SANDBOX_SLOW_MS: '1500', PAYTONE_SHUTDOWN_GRACE_MS: '60000' });
    cleanups.push(() => pay.close());
    const { callSid, sid } = await pay.startSession({ chargeAmount: 10, postalCode: false });
    const view = () => pay.session(callSid, sid);
    await pay.captureShown(callSid, sid, 'payment-card-number', `${SLOW_CARD}#`, (v) => v.payment_card_number === 'xxxx-xxxx-xxxx-0077');
    await pay.captureShown(callSid, sid, 'expiration-date', futureExpiry(), (v) => v.expiration_date === futureExpiry());
    await pay.captureShown(callSid, sid, 'security-code', '123', (v) => v.security_code === 'xxx');
    await pay.requestFinish(callSid, sid);
    assert.equal((await view()).status, 'completing', 'the slow gateway is still answering');

    const exited = exitCodeOf(pay.paytone);
    await terminate(pay.paytone);
    assert.equal(await exited, 0);
    const transactions = await pay.gatewayTransactions(sid);
    assert.equal(transactions.length, 1, 'the answer was recorded before exiting');

    await pay.restart();
    await until('the final callback', async () => pay.receiver.forSession(sid).some((r) => r.params.Result !== undefined));
    await pay.deliveredEvents(callSid, sid);
    const finals = pay.receiver.forSession(sid).filter((r) => r.params.Result !== undefined);
    assert.equal(finals.length, 1);
    assert.equal(finals[0]!.params.Result, 'success');
    assert.equal(JSON.parse(transactions[0]!.outcome).confirmationCode, finals[0]!.params.PaymentConfirmationCode);
    assert.equal((await pay.gatewayTransactions(sid)).length, 1, 'no second charge after the restart');
  });

  it('a second signal exits at once; the callback that was cut off goes again after a restart, with the same token', async () => {
    const receiver = await holdingReceiver();
    const paytone = await start();
    const { sid } = await startSession(paytone, receiver.url);
    await until('the start callback to be in flight', async () => receiver.held.length === 1);

    const exited = exitCodeOf(paytone);
    await terminate(paytone);
    paytone.child.kill('SIGTERM');
    assert.equal(await exited, 128 + 15);
    assert.match(paytone.output(), /second signal: exiting at once/);
    assert.equal(storedCallbacks(paytone, sid)[0]!.delivery_status, 'pending');

    const again = await startPaytone({ dataDir: paytone.dataDir });
    cleanups.push(() => again.kill('SIGKILL'));
    await until('the callback to be sent again', async () => receiver.held.length === 2);
    assert.equal(receiver.held[1]!.token, receiver.held[0]!.token);
    assert.deepEqual(receiver.held[1]!.params, receiver.held[0]!.params);
  });

  it('exits 1 when the grace period runs out, leaving the unfinished callback pending', async () => {
    const receiver = await holdingReceiver();
    const paytone = await start({ PAYTONE_SHUTDOWN_GRACE_MS: '1000' });
    const { sid } = await startSession(paytone, receiver.url);
    await until('the start callback to be in flight', async () => receiver.held.length === 1);
    const exited = exitCodeOf(paytone);
    await terminate(paytone);
    assert.equal(await exited, 1);
    assert.match(paytone.output(), /shutdown grace period expired/);
    assert.equal(storedCallbacks(paytone, sid)[0]!.delivery_status, 'pending');
  });
});
