/**
 * What an agent desktop and a caller do, as HTTP requests: place a call, start a pay session, ask for a field,
 * type on the sandbox keypad, complete.
 */
import { ACCOUNT_SID, type Receiver } from './processes.js';
import type { Client } from './load.js';

const API = `/2010-04-01/Accounts/${ACCOUNT_SID}`;
export const callsPath = `${API}/Calls.json`;
export const paymentsPath = (callSid: string, sid?: string): string => `${API}/Calls/${callSid}/Payments${sid ? `/${sid}` : ''}.json`;
export const keypadPath = (callSid: string): string => `/sandbox/Accounts/${ACCOUNT_SID}/Calls/${callSid}/Dtmf.json`;

/** A card expiry (MMYY) a few years ahead. */
const EXPIRY = `12${String((new Date().getUTCFullYear() + 3) % 100).padStart(2, '0')}`;

/** The four card fields and what the caller types for each: 28 keypresses in all. */
export const CARD_FIELDS: ReadonlyArray<readonly [capture: string, digits: string]> = [
  ['payment-card-number', '4242424242424242#'],
  ['expiration-date', EXPIRY],
  ['security-code', '123'],
  ['postal-code', '94107#'],
];

let keys = 0;
const newKey = () => `bench-${process.pid}-${++keys}`;
const sidOf = (body: string): string => (JSON.parse(body) as { sid: string }).sid;

export class Agent {
  constructor(
    private readonly client: Client,
    private readonly receiver: Receiver,
  ) {}

  get statusCallback(): string {
    return `${this.receiver.url}/pay`;
  }

  async placeCall(): Promise<string> {
    return sidOf(await this.client.expect(201, callsPath, { To: '+15551230001', From: '+15559870002', Twiml: '<Response/>' }));
  }

  /** The create request's form: the same bytes go to the bare reference server. */
  createForm(): Record<string, string> {
    return { IdempotencyKey: newKey(), StatusCallback: this.statusCallback, ChargeAmount: '10.00', Currency: 'usd' };
  }

  async startSession(callSid: string): Promise<string> {
    return sidOf(await this.client.expect(201, paymentsPath(callSid), this.createForm()));
  }

  async requestCapture(callSid: string, sid: string, capture: string): Promise<void> {
    await this.client.expect(202, paymentsPath(callSid, sid), { IdempotencyKey: newKey(), StatusCallback: this.statusCallback, Capture: capture });
  }

  async type(callSid: string, digits: string): Promise<void> {
    await this.client.expect(202, keypadPath(callSid), { Digits: digits });
  }

  async complete(callSid: string, sid: string): Promise<void> {
    await this.client.expect(202, paymentsPath(callSid, sid), { IdempotencyKey: newKey(), StatusCallback: this.statusCallback, Status: 'complete' });
  }

  /**
   * A whole card payment, start to finish, as the app sees it: returns the ms from placing the call to the
   * final callback's arrival. Each field waits for the callback that ends it before the next is asked for.
   */
  async cardPayment(timeoutMs: number): Promise<number> {
    const started = Date.now();
    const t0 = performance.timeOrigin + performance.now();
    const callSid = await this.placeCall();
    const sid = await this.startSession(callSid);
    for (const [capture, digits] of CARD_FIELDS) {
      await this.requestCapture(callSid, sid, capture);
      await this.type(callSid, digits);
      const ended = await this.receiver.arrival(sid, capture, timeoutMs - (Date.now() - started));
      if (ended.errorType !== '') throw new Error(`${capture} was refused: ErrorType=${ended.errorType}`);
    }
    await this.complete(callSid, sid);
    const final = await this.receiver.arrival(sid, 'final', timeoutMs - (Date.now() - started));
    if (final.result !== 'success') throw new Error(`session ${sid} ended with Result=${final.result}`);
    return final.at - t0;
  }
}
