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
import path from 'node:path';
import Database from 'better-sqlite3';
import type twilio from 'twilio';
import { ACCOUNT_SID, AUTH_TOKEN, startPaytone, type PaytoneProcess } from '../support/paytone.js';
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
  /** Rows the sandbox gateway recorded for this session, read from the server's database. */
  gatewayTransactions(sid: string): number;
  close(): Promise<void>;
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
export async function openPaytone(env: Record<string, string> = {}): Promise<PaytoneUnderTest> {
  const paytone = await startPaytone({ env });
  const receiver = await startReceiver(AUTH_TOKEN);
  const client = paytone.client();
  const statusCallback = `${receiver.url}/pay`;

  const self: PaytoneUnderTest = {
    paytone,
    receiver,
    client,
    statusCallback,
    async startCall(options = {}) {
      const call = await client.calls.create({
        to: options.to ?? '+14155550100',
        from: '+14155550199',
        ...(options.url ? { url: options.url } : { twiml: '<Response><Pause length="60"/></Response>' }),
      });
      return call.sid;
    },
    async startSession(options = {}, existingCall) {
      const callSid = existingCall ?? (await self.startCall());
      const payment = await client
        .calls(callSid)
        .payments.create({ idempotencyKey: newKey(), statusCallback, ...options } as never);
      return { callSid, sid: payment.sid };
    },
    async requestCapture(callSid, sid, capture, idempotencyKey = newKey()) {
      await client.calls(callSid).payments(sid).update({ idempotencyKey, statusCallback, capture: capture as never });
    },
    async capture(callSid, sid, capture, digits) {
      const before = receiver.forSession(sid).length;
      await self.requestCapture(callSid, sid, capture);
      await paytone.press(callSid, digits);
      const ended = await self.nextCallback(sid, before, (p) => p.Capture === capture && p.PartialResult === 'false');
      return ended.params;
    },
    async finish(callSid, sid, status = 'complete') {
      const before = receiver.forSession(sid).length;
      await client.calls(callSid).payments(sid).update({ idempotencyKey: newKey(), statusCallback, status });
      return (await self.nextCallback(sid, before, isFinalCallback)).params;
    },
    async nextCallback(sid, after, predicate) {
      const found = () => receiver.forSession(sid).slice(after).find((r) => predicate(r.params));
      await receiver.waitFor(() => found() !== undefined);
      return found()!;
    },
    async session(callSid, sid) {
      const { status, body } = await paytone.get(paymentsPath(callSid, sid));
      assert.equal(status, 200, JSON.stringify(body));
      return body;
    },
    async events(callSid, sid) {
      const { status, body } = await paytone.get(paymentsPath(callSid, sid).replace(/\.json$/, '/Events.json'));
      assert.equal(status, 200, JSON.stringify(body));
      return body.events;
    },
    async deliveredEvents(callSid, sid) {
      const until = Date.now() + 10_000;
      for (;;) {
        const events = await self.events(callSid, sid);
        if (events.every((e) => e.callback.status === 'delivered')) return events;
        if (Date.now() > until) assert.fail(`callbacks not delivered: ${JSON.stringify(events.map((e) => e.callback))}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    gatewayTransactions(sid) {
      const db = new Database(path.join(paytone.dataDir, 'paytone.db'), { readonly: true, fileMustExist: true });
      try {
        const row = db.prepare('SELECT count(*) AS n FROM gateway_transactions WHERE transaction_id = ?').get(sid) as { n: number };
        return row.n;
      } finally {
        db.close();
      }
    },
    async close() {
      await receiver.close();
      await paytone.stop();
    },
  };
  return self;
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
