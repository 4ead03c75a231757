/**
 * Shared steps of the end-to-end suite, written as an agent desktop would drive paytone through the official
 * `twilio` client: place a call, start a pay session, ask for a field and let the sandbox caller type it,
 * complete. Each step waits for the callback that shows it happened, never for a fixed time.
 *
 * @example
 *   const pay = await openPaytone();
 *   const { callSid, sid } = await pay.startSession({ chargeAmount: 10 });
 *   await pay.capture(callSid, sid, 'payment-card-number', '4242424242424242#');
 *   await pay.close();
 */
import assert from 'node:assert/strict';
import type twilio from 'twilio';
import { ACCOUNT_SID, AUTH_TOKEN, startPaytone, type PaytoneProcess } from '../support/paytone.js';
import { until } from '../support/poll.js';
import { startReceiver, type CallbackReceiver, type ReceivedCallback } from '../support/receiver.js';

/** A card expiry (MMYY) a few years ahead, so the test never ages into `invalid-date`. */
export function futureExpiry(): string {
  const year = (new Date().getUTCFullYear() + 3) % 100;
  return `12${String(year).padStart(2, '0')}`;
}

let keyCounter = 0;

/** A fresh IdempotencyKey: each agent request is a new request unless a test means otherwise. */
export function newKey(): string {
  keyCounter += 1;
  return `key-${process.pid}-${keyCounter}`;
}

export interface PaytoneUnderTest {
  /** The server as it runs now: a new process, port and client after `restart()`. */
  paytone: PaytoneProcess;
  receiver: CallbackReceiver;
  client: twilio.Twilio;
  /** Where callbacks go unless a test says otherwise. */
  statusCallback: string;
  startCall(options?: { url?: string; to?: string }): Promise<string>;
  /** Starts a call and a pay session on it; `options` are the client's create options. */
  startSession(options?: Record<string, unknown>, callSid?: string): Promise<{ callSid: string; sid: string }>;
  /** Asks for a field (202). */
  requestCapture(callSid: string, sid: string, capture: string, idempotencyKey?: string): Promise<void>;
  /** Asks for a field, types `digits` on the keypad and returns the callback that ends the field. */
  capture(callSid: string, sid: string, capture: string, digits: string): Promise<Record<string, string>>;
  /**
   * Asks for a field, types `digits` and waits until the session's GET shows it `accepted`: for when
   * callbacks are held back (the receiver answers 500) or the stored value is what the test is about.
   */
  captureShown(callSid: string, sid: string, capture: string, digits: string, accepted: (view: Record<string, any>) => boolean): Promise<void>;
  /**
   * Waits until every key typed on the call has reached it: a `#` typed after a field that ended at its longest
   * must not arrive after the agent asked for the next field.
   */
  keypadIdle(callSid: string): Promise<void>;
  /** Asks to complete (or cancel) the session (202), without waiting for the outcome. */
  requestFinish(callSid: string, sid: string, status?: 'complete' | 'cancel', idempotencyKey?: string): Promise<void>;
  /** Asks to complete (or cancel) and returns the session's final callback. */
  finish(callSid: string, sid: string, status?: 'complete' | 'cancel'): Promise<Record<string, string>>;
  /** Waits for the session's next callback that matches `predicate`, after the first `after` ones. */
  nextCallback(sid: string, after: number, predicate: (params: Record<string, string>) => boolean): Promise<ReceivedCallback>;
  /** Our GET extension of one session. */
  session(callSid: string, sid: string): Promise<Record<string, any>>;
  /** Our Events.json extension of one session. */
  events(callSid: string, sid: string): Promise<Array<Record<string, any>>>;
  /** Events.json once every callback of the session is recorded as delivered (polls). */
  deliveredEvents(callSid: string, sid: string): Promise<Array<Record<string, any>>>;
  /** Rows the sandbox gateway recorded for this session, read from the server's database (SQLite or PostgreSQL). */
  gatewayTransactions(sid: string): Promise<Array<{ outcome: string }>>;
  /** `kill -9` and start again on the same data dir; `paytone` and `client` are replaced (the port changes). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Shown every response body the client and the GET extensions receive (the leak search reads them all). */
  onResponse?: (body: string) => void;
}

export const paymentsPath = (callSid: string, sid?: string): string =>
  `/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${callSid}/Payments${sid ? `/${sid}` : ''}.json`;

/** The final callback of a session: the one after which nothing else is said. */
export const isFinalCallback = (params: Record<string, string>): boolean =>
  params.Capture === undefined && params.DateUpdated !== undefined;

/**
 * Starts a server and a callback receiver for one test file.
 *
 * @example
 *   before(async () => (pay = await openPaytone({ PAYTONE_FIRST_DIGIT_TIMEOUT: '1' })));
 */
export async function openPaytone(env: Record<string, string> = {}, { onResponse }: OpenOptions = {}): Promise<PaytoneUnderTest> {
  const paytone = await startPaytone({ env });
  const receiver = await startReceiver(AUTH_TOKEN);
  const statusCallback = `${receiver.url}/pay`;

  /** The official client for `running`, showing `onResponse` each body it receives. */
  const clientOf = (running: PaytoneProcess): twilio.Twilio => {
    const client = running.client();
    if (!onResponse) return client;
    const http = client.httpClient;
    const request = http.request.bind(http);
    http.request = async (options) => {
      const response = await request(options);
      onResponse(typeof response.body === 'string' ? response.body : JSON.stringify(response.body));
      return response;
    };
    return client;
  };
  const get = async (urlPath: string): Promise<any> => {
    const { status, body } = await self.paytone.get(urlPath);
    onResponse?.(JSON.stringify(body));
    assert.equal(status, 200, JSON.stringify(body));
    return body;
  };

  const self: PaytoneUnderTest = {
    paytone,
    receiver,
    client: clientOf(paytone),
    statusCallback,
    async startCall(options = {}) {
      const call = await self.client.calls.create({
        to: options.to ?? '+14155550100',
        from: '+14155550199',
        ...(options.url ? { url: options.url } : { twiml: '<Response><Pause length="60"/></Response>' }),
      });
      return call.sid;
    },
    async startSession(options = {}, existingCall) {
      const callSid = existingCall ?? (await self.startCall());
      const payment = await self.client
        .calls(callSid)
        .payments.create({ idempotencyKey: newKey(), statusCallback, ...options } as never);
      return { callSid, sid: payment.sid };
    },
    async requestCapture(callSid, sid, capture, idempotencyKey = newKey()) {
      await self.client.calls(callSid).payments(sid).update({ idempotencyKey, statusCallback, capture: capture as never });
    },
    async capture(callSid, sid, capture, digits) {
      const before = receiver.forSession(sid).length;
      await self.requestCapture(callSid, sid, capture);
      await self.paytone.press(callSid, digits);
      const ended = await self.nextCallback(sid, before, (p) => p.Capture === capture && p.PartialResult === 'false');
      await self.keypadIdle(callSid);
      return ended.params;
    },
    async captureShown(callSid, sid, capture, digits, accepted) {
      await self.requestCapture(callSid, sid, capture);
      await self.paytone.press(callSid, digits);
      await until(`${capture} to be accepted`, async () => accepted(await self.session(callSid, sid)));
      await self.keypadIdle(callSid);
    },
    async keypadIdle(callSid) {
      const path = `/sandbox/Accounts/${ACCOUNT_SID}/Calls/${callSid}/Dtmf.json`;
      await until('the keypad to play every key', async () => (await self.paytone.get(path)).body.queued === 0);
    },
    async requestFinish(callSid, sid, status = 'complete', idempotencyKey = newKey()) {
      await self.client.calls(callSid).payments(sid).update({ idempotencyKey, statusCallback, status });
    },
    async finish(callSid, sid, status = 'complete') {
      const before = receiver.forSession(sid).length;
      await self.requestFinish(callSid, sid, status);
      return (await self.nextCallback(sid, before, isFinalCallback)).params;
    },
    async nextCallback(sid, after, predicate) {
      const found = () => receiver.forSession(sid).slice(after).find((r) => predicate(r.params));
      // Generous: twenty sessions typing at once on a loaded machine (or a cluster) take their time.
      await receiver.waitFor(() => found() !== undefined, 30_000);
      return found()!;
    },
    session: (callSid, sid) => get(paymentsPath(callSid, sid)),
    async events(callSid, sid) {
      return (await get(paymentsPath(callSid, sid).replace(/\.json$/, '/Events.json'))).events;
    },
    async deliveredEvents(callSid, sid) {
      let events: Array<Record<string, any>> = [];
      return until(
        () => `callbacks to be delivered: ${JSON.stringify(events.map((e) => e.callback))}`,
        async () => {
          events = await self.events(callSid, sid);
          return events.every((e) => e.callback.status === 'delivered') && events;
        },
        10_000,
      );
    },
    gatewayTransactions: (sid) => self.paytone.query<{ outcome: string }>('SELECT outcome FROM gateway_transactions WHERE transaction_id = ?', [sid]),
    async restart() {
      self.paytone = await self.paytone.restart();
      self.client = clientOf(self.paytone);
    },
    async close() {
      await receiver.close();
      await self.paytone.stop();
    },
  };
  return self;
}

/**
 * What the app saw of a session's callbacks, checked against the session's event log: each callback was received
 * at least once (by its `I-Twilio-Idempotency-Token`), its repeats are byte-identical and validly signed, and the
 * first arrivals come in the session's order.
 *
 * @example
 *   assertReceivedInOrder(sid, await pay.deliveredEvents(callSid, sid), pay.receiver.forSession(sid));
 */
export function assertReceivedInOrder(sid: string, log: Array<Record<string, any>>, received: ReceivedCallback[]): void {
  const firstArrival: number[] = [];
  for (const event of log) {
    const token = `${sid}-${event.sequence_number}`;
    const copies = received.filter((r) => r.headers['i-twilio-idempotency-token'] === token);
    assert.ok(copies.length >= 1, `callback ${token} (${event.kind}) was never received`);
    assert.ok(copies.every((c) => c.raw === copies[0]!.raw && c.signatureValid), `repeats of ${token} are identical and signed`);
    firstArrival.push(received.indexOf(copies[0]!));
  }
  assert.deepEqual(firstArrival, [...firstArrival].sort((a, b) => a - b), `callbacks of ${sid} arrive in order`);
}

/**
 * POSTs a body exactly as given (for leniency tests: `+` for spaces, JSON spacing), with the account's credentials.
 *
 * @example
 *   await postRaw(paytone, paymentsPath(callSid), 'IdempotencyKey=k&ValidCardTypes=visa+amex&...');
 */
export async function postRaw(paytone: PaytoneProcess, urlPath: string, body: string): Promise<{ status: number; body: any }> {
  const response = await fetch(paytone.baseUrl + urlPath, {
    method: 'POST',
    headers: {
      authorization: 'Basic ' + Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64'),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** The keys of a raw form body in order, repeats included. */
export function rawKeys(raw: string): string[] {
  return [...new URLSearchParams(raw).keys()];
}
