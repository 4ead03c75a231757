/**
 * Cardholder data never leaves memory and the vault in the clear: after a run of full sessions (charge,
 * tokenize, decline, ACH, cancelled and hung up mid-typing) every byte paytone left behind or sent out is
 * searched for the card numbers, security codes and bank account number the caller typed.
 *
 * Searched: every file in the data dir after `kill -9` (the WAL is still there) and again after a clean stop,
 * everything the process printed at LOG_LEVEL=debug, every callback body and every API response body.
 * The security codes are unusual (737, 7373) and are searched as they would appear in JSON or a form, so
 * that a hit means a leak and not a coincidence.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type twilio from 'twilio';
import type { PaymentCapture, PaymentListInstanceCreateOptions, PaymentStatus } from 'twilio/lib/rest/api/v2010/account/call/payment.js';
import { ACCOUNT_SID, AUTH_TOKEN, startPaytone, type PaytoneProcess } from '../support/paytone.js';
import { startReceiver, type CallbackReceiver } from '../support/receiver.js';

const EXPIRY = '1230';
const CVC = '737';
const AMEX_CVC = '7373';
const CARDS = {
  charged: '4242424242424242',
  amex: '378282246310005',
  declined: '4000000000000002',
  cancelled: '5555555555554444',
  hungUp: '4000056655665556',
};
const BANK_ACCOUNT = '000123456789';
const ROUTING_NUMBER = '110000000';

/** Each secret in the forms it could take in a file, a log line, a JSON body or a form body. */
function needles(): string[] {
  // As a JSON string and as a form value; a bare "737" would also match inside SIDs and timestamps.
  const codes = [CVC, AMEX_CVC].flatMap((code) => [`"${code}"`, `=${code}`]);
  const cards = Object.values(CARDS).flatMap((card) => [card, card + EXPIRY, EXPIRY + card]);
  return [...cards, ...codes, BANK_ACCOUNT];
}

let paytone: PaytoneProcess;
let receiver: CallbackReceiver;
/** Every API response body the tests saw. */
const responses: string[] = [];

before(async () => {
  receiver = await startReceiver(AUTH_TOKEN);
  paytone = await startPaytone({ env: { LOG_LEVEL: 'debug' } });
});

after(async () => {
  await paytone?.stop();
  await receiver?.close();
});

/** The official client, with every response body it receives kept for the search. */
function client(): twilio.Twilio {
  const official = paytone.client();
  const http = official.httpClient;
  const request = http.request.bind(http);
  http.request = async (options) => {
    const response = await request(options);
    responses.push(typeof response.body === 'string' ? response.body : JSON.stringify(response.body));
    return response;
  };
  return official;
}

async function get(p: string): Promise<any> {
  const { status, body } = await paytone.get(p);
  responses.push(JSON.stringify(body));
  assert.equal(status, 200, JSON.stringify(body));
  return body;
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

class Payment {
  private requests = 0;

  private constructor(
    readonly callSid: string,
    readonly sid: string,
  ) {}

  static async start(options: Omit<PaymentListInstanceCreateOptions, 'idempotencyKey' | 'statusCallback'>): Promise<Payment> {
    const call = await client().calls.create({ to: '+15551230200', from: '+15559870200', url: `${receiver.url}/voice` });
    const session = await client()
      .calls(call.sid)
      .payments.create({ idempotencyKey: `create-${call.sid}`, statusCallback: `${receiver.url}/pay`, timeout: 120, postalCode: false, ...options });
    return new Payment(call.sid, session.sid);
  }

  get path(): string {
    return `/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${this.callSid}/Payments/${this.sid}`;
  }

  view(): Promise<Record<string, any>> {
    return get(`${this.path}.json`);
  }

  async agent(request: { capture?: PaymentCapture; status?: PaymentStatus }): Promise<void> {
    this.requests += 1;
    await client()
      .calls(this.callSid)
      .payments(this.sid)
      .update({ idempotencyKey: `${this.sid}-${this.requests}`, statusCallback: `${receiver.url}/pay`, ...request });
  }

  async capture(field: PaymentCapture, digits: string, accepted: (view: Record<string, any>) => boolean): Promise<void> {
    await this.agent({ capture: field });
    await paytone.press(this.callSid, digits);
    await until(`${field} to be accepted`, async () => accepted(await this.view()));
  }

  /** Types some digits of `field` without ending it. */
  async startTyping(field: PaymentCapture, digits: string): Promise<void> {
    await this.agent({ capture: field });
    await paytone.press(this.callSid, digits);
    await until(`${field} to be partly typed`, async () => {
      const last = (await get(`${this.path}/Events.json`)).events.at(-1);
      return last.parameters.Capture === field && last.parameters.PartialResult === 'true' && last.parameters.SecurityCode === 'x'.repeat(digits.length);
    });
  }

  async card(number: string, last4: string, code: string): Promise<void> {
    await this.capture('payment-card-number', `${number}#`, (v) => String(v.payment_card_number).endsWith(last4));
    await this.capture('expiration-date', `${EXPIRY}#`, (v) => v.expiration_date === EXPIRY);
    await this.capture('security-code', `${code}#`, (v) => v.security_code === 'x'.repeat(code.length));
  }

  async ended(): Promise<Record<string, any>> {
    return until('the session to end', async () => {
      const v = await this.view();
      return ['completed', 'failed', 'canceled'].includes(v.status) && v;
    });
  }
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? [full, ...filesUnder(full)] : [full];
  });
}

/** `where: needle` for every secret found in `bytes`. */
function hits(where: string, bytes: Buffer | string): string[] {
  const haystack = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  return needles()
    .filter((needle) => haystack.includes(needle))
    .map((needle) => `${where}: ${JSON.stringify(needle)}`);
}

function dataDirLeaks(): string[] {
  return filesUnder(paytone.dataDir)
    .filter((file) => fs.statSync(file).isFile())
    .flatMap((file) => hits(path.relative(paytone.dataDir, file), fs.readFileSync(file)));
}

describe('no cardholder data at rest or in transit', () => {
  it('leaves no card number, security code or bank account number anywhere', async () => {
    const charged = await Payment.start({ chargeAmount: 20 });
    await charged.card(CARDS.charged, '4242', CVC);
    await charged.agent({ status: 'complete' });
    assert.equal((await charged.ended()).result, 'success');

    const amex = await Payment.start({ tokenType: 'reusable' });
    await amex.card(CARDS.amex, '0005', AMEX_CVC);
    await amex.agent({ status: 'complete' });
    assert.equal((await amex.ended()).result, 'success');

    const declined = await Payment.start({ chargeAmount: 20 });
    await declined.card(CARDS.declined, '0002', CVC);
    await declined.agent({ status: 'complete' });
    assert.equal((await declined.ended()).connector_error, 'card_declined');

    const ach = await Payment.start({ chargeAmount: 20, paymentMethod: 'ach-debit', bankAccountType: 'consumer-checking' });
    await ach.capture('bank-routing-number', `${ROUTING_NUMBER}#`, (v) => v.bank_routing_number === ROUTING_NUMBER);
    await ach.capture('bank-account-number', `${BANK_ACCOUNT}#`, (v) => v.bank_account_number === '**********89');
    await ach.agent({ status: 'complete' });
    assert.equal((await ach.ended()).result, 'success');

    const cancelled = await Payment.start({ chargeAmount: 20 });
    await cancelled.capture('payment-card-number', `${CARDS.cancelled}#`, (v) => v.payment_card_number === 'xxxx-xxxx-xxxx-4444');
    await cancelled.capture('expiration-date', `${EXPIRY}#`, (v) => v.expiration_date === EXPIRY);
    await cancelled.startTyping('security-code', '73');
    await cancelled.agent({ status: 'cancel' });
    assert.equal((await cancelled.ended()).status, 'canceled');

    const hungUp = await Payment.start({ chargeAmount: 20 });
    await hungUp.capture('payment-card-number', `${CARDS.hungUp}#`, (v) => v.payment_card_number === 'xxxx-xxxx-xxxx-5556');
    await hungUp.capture('expiration-date', `${EXPIRY}#`, (v) => v.expiration_date === EXPIRY);
    await hungUp.startTyping('security-code', '73');
    await client().calls(hungUp.callSid).update({ status: 'completed' });
    assert.equal((await hungUp.ended()).result, 'caller-hung-up');

    const sessions = [charged, amex, declined, ach, cancelled, hungUp];
    await until('every callback to be delivered', async () => {
      for (const session of sessions) {
        const { events } = await get(`${session.path}/Events.json`);
        if (!events.every((e: any) => e.callback.status === 'delivered')) return false;
      }
      return true;
    });

    await paytone.kill('SIGKILL');
    const afterCrash = dataDirLeaks();
    paytone = await paytone.restart();
    await paytone.stop();
    const afterStop = dataDirLeaks();

    assert.ok(receiver.received.length > 30, 'the run produced callbacks to search');
    assert.ok(paytone.output().includes('"msg":"callback delivered"'), 'the process output is there to search');
    assert.deepEqual(
      [
        ...afterCrash.map((hit) => `after kill -9, ${hit}`),
        ...afterStop.map((hit) => `after stop, ${hit}`),
        ...hits('process output', paytone.output()),
        ...receiver.received.flatMap((r) => hits(`callback ${r.headers['i-twilio-idempotency-token']}`, r.url + r.raw)),
        ...responses.flatMap((body, i) => hits(`API response #${i}`, body)),
      ],
      [],
    );
  });

  it('keeps the data dir, database, WAL and key file private to the server user', async () => {
    paytone = await paytone.restart();
    await client().calls.create({ to: '+15551230200', from: '+15559870200' });
    await paytone.kill('SIGKILL');
    const entries = [paytone.dataDir, ...filesUnder(paytone.dataDir)];
    const names = entries.map((entry) => path.basename(entry));
    for (const expected of ['paytone.db', 'paytone.db-wal', 'paytone.db-shm', 'vault.key']) assert.ok(names.includes(expected), `${expected} exists`);
    const loose = entries
      .map((entry) => ({ entry, stat: fs.statSync(entry) }))
      .filter(({ stat }) => (stat.mode & 0o777) !== (stat.isDirectory() ? 0o700 : 0o600))
      .map(({ entry, stat }) => `${path.relative(paytone.dataDir, entry) || '.'} has mode ${(stat.mode & 0o777).toString(8)}`);
    assert.deepEqual(loose, []);
  });
});
