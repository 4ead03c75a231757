import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import twilio from 'twilio';
import { CallbackOutbox, type CommittedCallback, type OutboxOptions } from '../../src/callbacks/outbox.js';
import { verifyCallback } from '../../src/callbacks/signature.js';
import { parseCallbackPolicy } from '../../src/domain/callbackPolicy.js';
import { type Db, openDatabase } from '../../src/store/database.js';

const ACCOUNT = 'AC00000000000000000000000000000001';
const AUTH_TOKEN = 'account-auth-token';
const FAST_RETRY = { baseDelayMs: 20, maxDelayMs: 100, timeoutMs: 1000 };

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  params: Record<string, string>;
  receivedAt: number;
  answeredAt: number;
}

interface Answer {
  status: number;
  afterMs?: number;
}

interface Receiver {
  url(pathname: string): string;
  received: Received[];
  /** Requests being answered right now, and the most there ever were at once. */
  open: number;
  maxOpen: number;
  close(): Promise<void>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startReceiver(answer: (request: Received, index: number) => Answer = () => ({ status: 200 }), port = 0): Promise<Receiver> {
  const receiver: Receiver = {
    url: () => '',
    received: [],
    open: 0,
    maxOpen: 0,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const server = http.createServer((req, res) => {
    let body = '';
    receiver.open += 1;
    receiver.maxOpen = Math.max(receiver.maxOpen, receiver.open);
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const request: Received = {
        path: req.url ?? '',
        headers: req.headers,
        body,
        params: Object.fromEntries(new URLSearchParams(body)),
        receivedAt: Date.now(),
        answeredAt: 0,
      };
      const index = receiver.received.push(request) - 1;
      const { status, afterMs = 0 } = answer(request, index);
      // Unref: an answer still held back must not keep the test process alive once the test is over.
      setTimeout(() => {
        request.answeredAt = Date.now();
        receiver.open -= 1;
        res.writeHead(status).end();
      }, afterMs).unref();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  receiver.url = (pathname) => base + pathname;
  cleanups.push(receiver.close);
  return receiver;
}

async function freshDataDir(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paytone-outbox-'));
  cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function open(dataDir: string): Promise<Db> {
  const db = await openDatabase({ dataDir });
  cleanups.push(() => db.destroy());
  return db;
}

function startOutbox(db: Db, options: Partial<OutboxOptions> = {}): CallbackOutbox {
  const outbox = new CallbackOutbox({
    db,
    authTokenFor: async () => AUTH_TOKEN,
    pollIntervalMs: 50,
    ...options,
    retry: { ...FAST_RETRY, ...options.retry },
  });
  cleanups.push(() => outbox.stop());
  outbox.start();
  return outbox;
}

/** Writes a pending callback as a commit does; returns it as that commit knows it. */
async function insertCallback(db: Db, sessionSid: string, seq: number, url: string, params: Record<string, string> = {}, account = ACCOUNT): Promise<CommittedCallback> {
  const at = Date.now();
  const callback = { seq, kind: 'capture', params: { AccountSid: ACCOUNT, Sid: sessionSid, Seq: String(seq), ...params }, url, at };
  await db
    .insertInto('session_events')
    .values({
      session_sid: sessionSid,
      seq,
      account_sid: account,
      call_sid: 'CA00000000000000000000000000000001',
      kind: callback.kind,
      params: JSON.stringify(callback.params),
      url,
      at,
      delivery_status: 'pending',
      attempts: 0,
      next_attempt_at: at,
      last_attempt_at: null,
      last_response_code: null,
      last_error: null,
    })
    .execute();
  return callback;
}

async function rows(db: Db) {
  return db.selectFrom('session_events').selectAll().orderBy('session_sid').orderBy('seq').execute();
}

/** Waits until no callback is pending any more (retries included), for at most `limitMs`. */
async function settled(outbox: CallbackOutbox, db: Db, limitMs = 4000): Promise<void> {
  const giveUpAt = Date.now() + limitMs;
  for (;;) {
    await outbox.idle();
    const pending = await db.selectFrom('session_events').select('seq').where('delivery_status', '=', 'pending').execute();
    if (pending.length === 0) return;
    assert.ok(Date.now() < giveUpAt, `${pending.length} callbacks still pending`);
    await delay(5);
  }
}

test('a callback is signed so that the official client and verifyCallback accept it', async () => {
  const db = await open(await freshDataDir());
  const app = await startReceiver();
  const url = app.url('/pay/status?tenant=acme');
  await insertCallback(db, 'PK01', 1, url, { Capture: 'payment-card-number', PaymentCardNumber: 'xxxx-xxxx-xxxx-4242', Description: 'Café & co, 100%' });
  const outbox = startOutbox(db);
  await outbox.idle();

  const [request] = app.received;
  assert.ok(request);
  const signature = String(request.headers['x-twilio-signature']);
  assert.equal(twilio.validateRequest(AUTH_TOKEN, signature, url, request.params), true);
  assert.equal(verifyCallback(AUTH_TOKEN, signature, url, request.params), true);
  assert.equal(request.path, '/pay/status?tenant=acme');
  assert.equal(request.headers['content-type'], 'application/x-www-form-urlencoded');
  assert.equal(request.headers['user-agent'], 'TwilioProxy/1.1');
  assert.equal(request.headers['i-twilio-idempotency-token'], 'PK01-1');
  assert.equal(request.params['Description'], 'Café & co, 100%');

  const [row] = await rows(db);
  assert.equal(row?.delivery_status, 'delivered');
  assert.equal(row?.attempts, 1);
  assert.equal(row?.last_response_code, 200);
  assert.equal(row?.last_error, null);
  assert.equal(row?.next_attempt_at, null);
});

test('each parameter appears once in the body, exactly as stored', async () => {
  const db = await open(await freshDataDir());
  const app = await startReceiver();
  const params = { Capture: 'security-code', SecurityCode: 'xxx', Required: 'postal-code', PartialResult: 'false', Note: 'a=b&c d+e' };
  await insertCallback(db, 'PK01', 1, app.url('/status'), params);
  const outbox = startOutbox(db);
  await outbox.idle();

  const body = app.received[0]?.body ?? '';
  const names = [...new URLSearchParams(body).keys()];
  assert.deepEqual(names.length, new Set(names).size);
  assert.deepEqual(app.received[0]?.params, { AccountSid: ACCOUNT, Sid: 'PK01', Seq: '1', ...params });
});

test("a session's callbacks arrive in order, each after the previous one was answered", async () => {
  const db = await open(await freshDataDir());
  const app = await startReceiver((_request, index) => ({ status: 200, afterMs: index === 0 ? 300 : 0 }));
  for (const seq of [1, 2, 3]) await insertCallback(db, 'PK01', seq, app.url('/status'));
  const outbox = startOutbox(db);
  await settled(outbox, db);

  assert.deepEqual(app.received.map((r) => r.params['Seq']), ['1', '2', '3']);
  const [first, second, third] = app.received;
  assert.ok(first && second && third);
  assert.ok(second.receivedAt >= first.answeredAt, 'seq 2 was sent before seq 1 was answered');
  assert.ok(third.receivedAt >= second.answeredAt, 'seq 3 was sent before seq 2 was answered');
  assert.equal(app.maxOpen, 1);
});

test('a 500 is retried with backoff and the same idempotency token until it is accepted', async () => {
  const db = await open(await freshDataDir());
  const app = await startReceiver((_request, index) => ({ status: index < 2 ? 500 : 204 }));
  await insertCallback(db, 'PK01', 1, app.url('/status'));
  const outbox = startOutbox(db);
  await settled(outbox, db);

  assert.equal(app.received.length, 3);
  assert.deepEqual(new Set(app.received.map((r) => r.headers['i-twilio-idempotency-token'])), new Set(['PK01-1']));
  const [first, second] = app.received;
  assert.ok(first && second);
  assert.ok(second.receivedAt - first.answeredAt >= FAST_RETRY.baseDelayMs / 2 - 2, 'retried without waiting');
  const [row] = await rows(db);
  assert.equal(row?.delivery_status, 'delivered');
  assert.equal(row?.attempts, 3);
  assert.equal(row?.last_response_code, 204);
  assert.equal(row?.last_error, null);
});

test('after maxAttempts the callback is given up and the next one of the session goes', async () => {
  const db = await open(await freshDataDir());
  const app = await startReceiver((request) => ({ status: request.params['Seq'] === '1' ? 503 : 200 }));
  await insertCallback(db, 'PK01', 1, app.url('/status'));
  await insertCallback(db, 'PK01', 2, app.url('/status'));
  const outbox = startOutbox(db, { retry: { maxAttempts: 3 } });
  await settled(outbox, db);

  assert.deepEqual(app.received.map((r) => r.params['Seq']), ['1', '1', '1', '2']);
  const [first, second] = await rows(db);
  assert.equal(first?.delivery_status, 'failed');
  assert.equal(first?.attempts, 3);
  assert.equal(first?.last_response_code, 503);
  assert.equal(first?.last_error, 'HTTP 503');
  assert.equal(first?.next_attempt_at, null);
  assert.equal(second?.delivery_status, 'delivered');
});

test('a refusal (404) is given up at once, without retries', async () => {
  const db = await open(await freshDataDir());
  const app = await startReceiver((request) => ({ status: request.params['Seq'] === '1' ? 404 : 200 }));
  await insertCallback(db, 'PK01', 1, app.url('/status'));
  await insertCallback(db, 'PK01', 2, app.url('/status'));
  const outbox = startOutbox(db);
  await settled(outbox, db);

  assert.deepEqual(app.received.map((r) => r.params['Seq']), ['1', '2']);
  const [first] = await rows(db);
  assert.equal(first?.delivery_status, 'failed');
  assert.equal(first?.attempts, 1);
  assert.equal(first?.last_error, 'HTTP 404');
});

test('a receiver that is down is retried until it comes up', async () => {
  const db = await open(await freshDataDir());
  const placeholder = await startReceiver();
  const url = placeholder.url('/status');
  const port = Number(new URL(url).port);
  await placeholder.close();
  await insertCallback(db, 'PK01', 1, url);
  const outbox = startOutbox(db);

  for (let waited = 0; ; waited += 5) {
    const [row] = await rows(db);
    if ((row?.attempts ?? 0) >= 1) {
      assert.equal(row?.delivery_status, 'pending');
      assert.equal(row?.last_error, 'ECONNREFUSED');
      assert.equal(row?.last_response_code, null);
      assert.ok((row?.next_attempt_at ?? 0) > (row?.last_attempt_at ?? 0));
      break;
    }
    assert.ok(waited < 2000, 'no attempt was made');
    await delay(5);
  }
  const app = await startReceiver(() => ({ status: 200 }), port);
  await settled(outbox, db);

  assert.equal(app.received.length, 1);
  const [row] = await rows(db);
  assert.equal(row?.delivery_status, 'delivered');
  assert.ok((row?.attempts ?? 0) >= 2);
});

test('a receiver slower than the timeout is retried, and a timeout is recorded', async () => {
  const db = await open(await freshDataDir());
  const app = await startReceiver((_request, index) => ({ status: 200, afterMs: index === 0 ? 1500 : 0 }));
  await insertCallback(db, 'PK01', 1, app.url('/status'));
  // Generous against a loaded machine: only the first answer, 1.5 s late, may overrun it.
  const outbox = startOutbox(db, { retry: { timeoutMs: 500 } });
  await settled(outbox, db);

  assert.equal(app.received.length, 2);
  const [row] = await rows(db);
  assert.equal(row?.delivery_status, 'delivered');
  assert.equal(row?.attempts, 2);
});

test("a slow receiver does not delay other sessions' callbacks to a fast one", async () => {
  const db = await open(await freshDataDir());
  const slow = await startReceiver(() => ({ status: 200, afterMs: 600 }));
  const fast = await startReceiver();
  for (let i = 0; i < 80; i += 1) await insertCallback(db, `PKslow${String(i).padStart(2, '0')}`, 1, slow.url('/status'));
  await insertCallback(db, 'PKfast', 1, fast.url('/status'));
  await insertCallback(db, 'PKfast', 2, fast.url('/status'));
  // Far above the slow answer: on a loaded machine a 600 ms answer can overrun 1 s, and its retry would count twice.
  const outbox = startOutbox(db, { retry: { timeoutMs: 5_000 } });
  await settled(outbox, db);

  const firstSlowAnswer = Math.min(...slow.received.map((r) => r.answeredAt));
  assert.equal(fast.received.length, 2);
  for (const request of fast.received) assert.ok(request.answeredAt < firstSlowAnswer, 'the fast receiver waited for the slow one');
  assert.equal(slow.received.length, 80);
  assert.equal(slow.maxOpen, 64, 'one origin is limited to 64 callbacks at once');
});

test('a slot that comes free goes to the session waiting for one, before a busy session sends its next callback', async () => {
  const db = await open(await freshDataDir());
  // Answers come one at a time, so slots come free one at a time.
  const app = await startReceiver((_request, index) => ({ status: 200, afterMs: 200 + 10 * (index % 64) }));
  // No full pass meanwhile (it reads every head again): only what a freed slot does is seen.
  const outbox = startOutbox(db, { retry: { timeoutMs: 5_000 }, pollIntervalMs: 60_000 });
  const busy = Array.from({ length: 64 }, (_, i) => `PKbusy${String(i).padStart(2, '0')}`);
  const commit = async (sessionSid: string, seq: number) => outbox.committed(sessionSid, ACCOUNT, [await insertCallback(db, sessionSid, seq, app.url('/status'))], false);
  // 64 sessions fill the origin's slots; one more waits for a slot; meanwhile the 64 commit two callbacks more each.
  for (const sessionSid of busy) await commit(sessionSid, 1);
  await commit('PKwaiting', 1);
  for (const sessionSid of busy) for (const seq of [2, 3]) await commit(sessionSid, seq);
  await settled(outbox, db, 10_000);

  assert.equal(app.received.length, 64 * 3 + 1);
  assert.equal(app.maxOpen, 64);
  const waited = app.received.find((r) => r.params.Sid === 'PKwaiting')!;
  const thirds = app.received.filter((r) => r.params.Seq === '3');
  // It got the first slot that came free: before any busy session's third callback left.
  assert.ok(thirds.every((r) => r.receivedAt > waited.receivedAt), 'the waiting session went before every third callback');
});

test("a receiver that hangs, with more sessions waiting than one pass reads, does not hold up another account's callbacks", async () => {
  const db = await open(await freshDataDir());
  const hung = await startReceiver(() => ({ status: 200, afterMs: 60_000 }));
  const fast = await startReceiver();
  // Older than the other account's callback, so they all come first in due order.
  for (let i = 0; i < 700; i += 1) await insertCallback(db, `PKhung${String(i).padStart(3, '0')}`, 1, hung.url('/status'));
  await insertCallback(db, 'PKother', 1, fast.url('/status'), {}, 'AC00000000000000000000000000000002');
  const outbox = startOutbox(db, { retry: { timeoutMs: 5_000 } });
  const deadline = Date.now() + 4_000;
  while (fast.received.length === 0 && Date.now() < deadline) await delay(20);
  const hungAttemptsFinished = await db.selectFrom('session_events').select('seq').where('session_sid', 'like', 'PKhung%').where('attempts', '>', 0).execute();
  assert.equal(fast.received.length, 1, "the other account's callback went while the hung receiver held its 64 connections");
  assert.equal(hungAttemptsFinished.length, 0, 'no attempt at the hung receiver had ended yet');
  while (hung.maxOpen < 64 && Date.now() < deadline + 4_000) await delay(20);
  assert.equal(hung.maxOpen, 64, 'the hung receiver holds as many connections as one origin may have');
  await hung.close();
  await outbox.stop();
});

test('a new outbox over the same database sends what the previous process left pending', async () => {
  const dataDir = await freshDataDir();
  const app = await startReceiver((_request, index) => ({ status: index === 0 ? 500 : 200 }));
  const firstDb = await open(dataDir);
  await insertCallback(firstDb, 'PK01', 1, app.url('/status'));
  await insertCallback(firstDb, 'PK01', 2, app.url('/status'));
  const first = startOutbox(firstDb, { retry: { baseDelayMs: 400, maxDelayMs: 400 } });
  await first.idle();
  await first.stop();
  await insertCallback(firstDb, 'PK02', 1, app.url('/status'));
  assert.equal(app.received.length, 1);

  const restartedDb = await open(dataDir);
  const restarted = startOutbox(restartedDb);
  await settled(restarted, restartedDb);

  assert.deepEqual(
    app.received.map((r) => r.headers['i-twilio-idempotency-token']).sort(),
    ['PK01-1', 'PK01-1', 'PK01-2', 'PK02-1'],
  );
  const stored = await rows(restartedDb);
  assert.deepEqual(stored.map((r) => [r.session_sid, r.seq, r.delivery_status, r.attempts]), [
    ['PK01', 1, 'delivered', 2],
    ['PK01', 2, 'delivered', 1],
    ['PK02', 1, 'delivered', 1],
  ]);
});

test('kick() sends new rows at once, without waiting for the poll', async () => {
  const db = await open(await freshDataDir());
  const app = await startReceiver();
  const pollIntervalMs = 60_000;
  const outbox = startOutbox(db, { pollIntervalMs });
  await outbox.idle();
  await insertCallback(db, 'PK01', 1, app.url('/status'));
  await insertCallback(db, 'PK02', 1, app.url('/status'));
  const kickedAt = Date.now();
  for (let i = 0; i < 10; i += 1) outbox.kick();
  await outbox.idle();

  assert.equal(app.received.length, 2);
  // Sent by the kick, not by the next poll: however busy the machine, before the poll could have come.
  assert.ok(Math.max(...app.received.map((r) => r.receivedAt)) - kickedAt < pollIntervalMs);
});

test('stored times come from the injected clock', async () => {
  const db = await open(await freshDataDir());
  const app = await startReceiver(() => ({ status: 502 }));
  await insertCallback(db, 'PK01', 1, app.url('/status'));
  const clock = Date.now();
  const outbox = startOutbox(db, { now: () => clock, retry: { maxAttempts: 1 } });
  await outbox.idle();

  const [row] = await rows(db);
  assert.equal(row?.delivery_status, 'failed');
  assert.equal(row?.last_attempt_at, clock);
});

test('the callback policy is applied at each attempt: a refused URL is given up at once and the next callback goes', async () => {
  const db = await open(await freshDataDir());
  const app = await startReceiver();
  const publicOnly = parseCallbackPolicy('public', '').policy!;
  await insertCallback(db, 'PK01', 1, app.url('/status').replace('http:', 'https:'));
  await insertCallback(db, 'PK01', 2, app.url('/status'));
  const outbox = startOutbox(db, { callbackPolicy: publicOnly });
  await settled(outbox, db);
  const [loopback, plainHttp] = await rows(db);
  assert.deepEqual(
    [loopback, plainHttp].map((r) => [r?.delivery_status, r?.attempts, r?.last_error]),
    [
      ['failed', 1, 'refused by the callback policy: the URL points at a loopback address'],
      ['failed', 1, 'refused by the callback policy: the URL uses plain http'],
    ],
  );
  assert.equal(app.received.length, 0);
});

test('callbacks handed over by their commits go once each and in order, while full passes read the same rows', async () => {
  const db = await open(await freshDataDir());
  const app = await startReceiver((_request, index) => ({ status: 200, afterMs: index % 3 }));
  const outbox = startOutbox(db, { pollIntervalMs: 5 });
  const sessions = Array.from({ length: 30 }, (_, i) => `PK${String(i).padStart(2, '0')}`);
  const lastSeq = 4;
  for (let seq = 1; seq <= lastSeq; seq += 1) {
    for (const [i, sessionSid] of sessions.entries()) {
      const callback = await insertCallback(db, sessionSid, seq, app.url('/status'));
      // Every other commit is read by a full pass before it is handed over, as when a pass runs between the two.
      if (i % 2 === 0) {
        outbox.kick();
        await delay(1);
      }
      outbox.committed(sessionSid, ACCOUNT, [callback], seq === lastSeq);
    }
  }
  await settled(outbox, db);

  const tokens = app.received.map((r) => String(r.headers['i-twilio-idempotency-token']));
  assert.equal(tokens.length, sessions.length * lastSeq);
  assert.equal(new Set(tokens).size, tokens.length, 'a callback went twice');
  for (const sessionSid of sessions) {
    const seqs = app.received.filter((r) => r.params['Sid'] === sessionSid).map((r) => r.params['Seq']);
    assert.deepEqual(seqs, ['1', '2', '3', '4'], `${sessionSid} out of order`);
  }
  assert.ok((await rows(db)).every((row) => row.delivery_status === 'delivered' && row.attempts === 1));
});

test("a session's handed-over callbacks wait for the ones it left in the outbox before this process started", async () => {
  const db = await open(await freshDataDir());
  const app = await startReceiver((_request, index) => ({ status: 200, afterMs: index === 0 ? 200 : 0 }));
  await insertCallback(db, 'PK01', 1, app.url('/status'));
  await insertCallback(db, 'PK01', 2, app.url('/status'));
  const outbox = startOutbox(db, { pollIntervalMs: 60_000 });
  const third = await insertCallback(db, 'PK01', 3, app.url('/status'));
  outbox.committed('PK01', ACCOUNT, [third], true);
  await settled(outbox, db);

  assert.deepEqual(app.received.map((r) => r.params['Seq']), ['1', '2', '3']);
});

test("a handed-over callback that fails is retried with the same token before the session's next one goes", async () => {
  const db = await open(await freshDataDir());
  const app = await startReceiver((_request, index) => ({ status: index === 0 ? 500 : 200 }));
  const outbox = startOutbox(db);
  const first = await insertCallback(db, 'PK01', 1, app.url('/status'));
  outbox.committed('PK01', ACCOUNT, [first], false);
  const second = await insertCallback(db, 'PK01', 2, app.url('/status'));
  outbox.committed('PK01', ACCOUNT, [second], true);
  await settled(outbox, db);

  assert.deepEqual(app.received.map((r) => r.headers['i-twilio-idempotency-token']), ['PK01-1', 'PK01-1', 'PK01-2']);
  const stored = await rows(db);
  assert.deepEqual(stored.map((r) => [r.seq, r.delivery_status, r.attempts]), [
    [1, 'delivered', 2],
    [2, 'delivered', 1],
  ]);
});

test('callbacks committed together go as one sequence: in order, one at a time, and a failure holds the rest until its retry', async () => {
  const db = await open(await freshDataDir());
  const app = await startReceiver((_request, index) => ({ status: index === 2 ? 500 : 200, afterMs: 5 }));
  const outbox = startOutbox(db, { pollIntervalMs: 60_000 });
  // The first full pass has read the empty outbox: the burst goes from memory, as a commit hands it over.
  await outbox.idle();
  const burst: CommittedCallback[] = [];
  for (let seq = 1; seq <= 5; seq += 1) burst.push(await insertCallback(db, 'PK01', seq, app.url('/status')));
  outbox.committed('PK01', ACCOUNT, burst, true);
  await settled(outbox, db);

  assert.deepEqual(app.received.map((r) => r.headers['i-twilio-idempotency-token']), ['PK01-1', 'PK01-2', 'PK01-3', 'PK01-3', 'PK01-4', 'PK01-5']);
  assert.equal(app.maxOpen, 1, 'two callbacks of the session were open at once');
  for (const [i, request] of app.received.entries()) {
    if (i > 0) assert.ok(request.receivedAt >= app.received[i - 1]!.answeredAt, `request ${i} was sent before the one before it was answered`);
  }
  const stored = await rows(db);
  assert.deepEqual(stored.map((r) => [r.seq, r.delivery_status, r.attempts, r.last_response_code]), [
    [1, 'delivered', 1, 200],
    [2, 'delivered', 1, 200],
    [3, 'delivered', 2, 200],
    [4, 'delivered', 1, 200],
    [5, 'delivered', 1, 200],
  ]);
  // Each attempt is stored with the time it was made: the one after the answer to the one before.
  const attemptTimes = stored.map((r) => Number(r.last_attempt_at));
  assert.ok(attemptTimes[1]! >= attemptTimes[0]! + 4, `seq 2 is stored as attempted ${attemptTimes[1]! - attemptTimes[0]!} ms after seq 1`);
});
