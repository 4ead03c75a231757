/**
 * The crash test: many pay sessions run side by side, driven the way an agent desktop and a caller would, while
 * the server is killed with SIGKILL and restarted at random moments. The agent retries every request that got no
 * answer with the same IdempotencyKey, asks again for a field whose keypresses died with the process, and goes
 * on until each session has ended. Then it checks what the issue promises:
 * - every acknowledged session (one that got its 201) reached its final callback;
 * - no gateway transaction is duplicated, and each confirmation code the app saw is the gateway's;
 * - no callback is lost: every event of every session was received at least once under its idempotency token,
 *   every repeat is byte-identical, and first arrivals keep each session's order;
 * - nothing the process wrote (data dir after SIGKILL, its output, callbacks, API answers) holds cardholder data.
 *
 * Used by `test/e2e/chaos.test.ts` with a bounded size and by `npm run chaos` (test/chaos/main.ts), which prints
 * the figures.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ACCOUNT_SID, AUTH_TOKEN, startPaytone, tempDataDir, type PaytoneProcess } from '../support/paytone.js';
import { startReceiver, type CallbackReceiver, type ReceivedCallback } from '../support/receiver.js';

export interface ChaosOptions {
  sessions: number;
  /** Sessions in flight at once. */
  concurrency: number;
  /** A kill comes after a random pause in this range (ms) while sessions run. */
  killEveryMs: [number, number];
  seed: number;
  /** Progress lines (npm run chaos prints them). */
  log?: (line: string) => void;
}

export interface ChaosFigures {
  sessions: number;
  acknowledged: number;
  outcomes: Record<string, number>;
  kills: number;
  callbacksExpected: number;
  callbacksReceived: number;
  callbackCopies: number;
  callbacksDuplicated: number;
  callbacksLost: string[];
  repeatsDiffering: string[];
  outOfOrder: string[];
  withoutFinalCallback: string[];
  gatewayTransactions: number;
  gatewaySends: number;
  duplicatedTransactions: string[];
  confirmationMismatches: string[];
  leaks: string[];
  requestRetries: number;
  durationMs: number;
}

/** The promises, each as the list of what broke it (empty when kept). */
export function brokenPromises(f: ChaosFigures): Record<string, string[]> {
  return {
    'acknowledged sessions without a final callback': f.withoutFinalCallback,
    'callbacks lost': f.callbacksLost,
    'callback repeats that differ': f.repeatsDiffering,
    'sessions whose callbacks arrived out of order': f.outOfOrder,
    'duplicated or missing gateway transactions': f.duplicatedTransactions,
    'confirmation codes that differ from the gateway': f.confirmationMismatches,
    'leaks found': f.leaks,
  };
}

/** What each kind of session types and how it must end. */
const KINDS = ['visa', 'mastercard', 'amex', 'slow', 'declined', 'tokenize', 'ach', 'cancel', 'star'] as const;
type Kind = (typeof KINDS)[number];

const CARDS: Record<string, { number: string; code: string }> = {
  visa: { number: '4242424242424242', code: '737' },
  mastercard: { number: '5555555555554444', code: '737' },
  amex: { number: '378282246310005', code: '7373' },
  // The sandbox gateway holds its answer to this card (PAYTONE_SANDBOX_SLOW_MS): kills land while it is charging.
  slow: { number: '4000000000000077', code: '737' },
  declined: { number: '4000000000000002', code: '737' },
  tokenize: { number: '4000056655665556', code: '737' },
  cancel: { number: '5200828282828210', code: '737' },
  star: { number: '5105105105105100', code: '737' },
};
const ROUTING = '110000000';
const BANK_ACCOUNT = '000123456789';
const EXPIRY = `12${String((new Date().getUTCFullYear() + 3) % 100).padStart(2, '0')}`;

/** Every secret typed, as it could appear in a file, a log line, JSON or a form. */
function needles(): string[] {
  const cards = Object.values(CARDS).map((c) => c.number);
  return [...cards, ...cards.map((c) => c + EXPIRY), '"737"', '=737&', '"7373"', '=7373&', BANK_ACCOUNT];
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** However often the process dies, each session must have ended by then. */
const SESSION_DEADLINE_MS = Number(process.env.CHAOS_SESSION_DEADLINE_MS ?? 180_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The server as it runs now; requests that meet a dead process wait for the next one and go again. */
class Restarting {
  current: PaytoneProcess;
  private restarting: Promise<void> | null = null;
  retries = 0;
  readonly responses: string[] = [];

  constructor(first: PaytoneProcess) {
    this.current = first;
  }

  async kill(): Promise<void> {
    this.restarting = (async () => {
      this.current = await this.current.restart();
    })();
    await this.restarting;
    this.restarting = null;
  }

  /** One API call, sent again (same parameters, so the same IdempotencyKey) until the server answers it. */
  async call(method: 'GET' | 'POST', urlPath: string, form?: Record<string, string>): Promise<{ status: number; body: any }> {
    for (let attempt = 0; ; attempt += 1) {
      const server = this.current;
      try {
        const answer = method === 'POST' ? await server.post(urlPath, form ?? {}) : await server.get(urlPath);
        this.responses.push(JSON.stringify(answer.body));
        return answer;
      } catch (err) {
        if (attempt > 400) throw err;
        this.retries += 1;
        await (this.restarting ?? sleep(50));
      }
    }
  }
}

interface Outcome {
  sid: string | null;
  callSid: string | null;
  kind: Kind;
  status: string | null;
  result: string | null;
}

const api = `/2010-04-01/Accounts/${ACCOUNT_SID}`;

class SessionDriver {
  constructor(
    private readonly server: Restarting,
    private readonly callbackUrl: string,
    private readonly index: number,
    private readonly kind: Kind,
  ) {}

  private key(step: string): string {
    return `chaos-${this.index}-${step}`;
  }

  async run(): Promise<Outcome> {
    const outcome: Outcome = { sid: null, callSid: null, kind: this.kind, status: null, result: null };
    const call = await this.server.call('POST', `${api}/Calls.json`, { To: '+15551230100', From: '+15559870100', Url: `${this.callbackUrl}/voice` });
    if (call.status !== 201) throw new Error(`call refused: ${JSON.stringify(call.body)}`);
    outcome.callSid = call.body.sid;
    const created = await this.server.call('POST', `${api}/Calls/${outcome.callSid}/Payments.json`, this.createForm());
    if (created.status !== 201) throw new Error(`session refused: ${JSON.stringify(created.body)}`);
    outcome.sid = created.body.sid;
    const paths = { session: `${api}/Calls/${outcome.callSid}/Payments/${outcome.sid}.json` };

    const deadline = Date.now() + SESSION_DEADLINE_MS;
    let view: Record<string, any> = {};
    for (let round = 0; Date.now() < deadline; round += 1) {
      view = (await this.server.call('GET', paths.session)).body;
      if (['completed', 'failed', 'canceled'].includes(view.status)) {
        outcome.status = view.status;
        outcome.result = view.result;
        return outcome;
      }
      if (view.status !== 'in-progress' || view.capture !== null) {
        await sleep(100);
        continue;
      }
      const missing: string[] = view.required;
      if (this.kind === 'cancel' && !missing.includes('payment-card-number')) {
        await this.update(paths.session, { Status: 'cancel' }, 'cancel');
      } else if (missing.length === 0) {
        await this.update(paths.session, { Status: 'complete' }, 'complete');
      } else {
        await this.captureField(paths.session, outcome.callSid!, missing[0]!, round);
      }
    }
    throw new Error(`session ${outcome.sid} (${this.kind}) did not end: ${JSON.stringify(view)}`);
  }

  private createForm(): Record<string, string> {
    const form: Record<string, string> = {
      IdempotencyKey: this.key('create'),
      StatusCallback: `${this.callbackUrl}/pay`,
      ChargeAmount: this.kind === 'tokenize' ? '0' : '12.50',
      Timeout: '2',
      PostalCode: 'false',
    };
    if (this.kind === 'ach') Object.assign(form, { PaymentMethod: 'ach-debit', BankAccountType: 'consumer-checking' });
    return form;
  }

  /** Retries with the same key after a crash; a refusal because the session moved on is fine, it is re-read. */
  private async update(sessionPath: string, form: Record<string, string>, step: string): Promise<void> {
    await this.server.call('POST', sessionPath, { IdempotencyKey: this.key(step), StatusCallback: `${this.callbackUrl}/pay`, ...form });
  }

  private async captureField(sessionPath: string, callSid: string, field: string, round: number): Promise<void> {
    await this.update(sessionPath, { Capture: field }, `${field}-${round}`);
    const view = (await this.server.call('GET', sessionPath)).body;
    if (view.capture !== field) return;
    const card = CARDS[this.kind];
    const digits: Record<string, string> = {
      'payment-card-number': `${card?.number}#`,
      'expiration-date': EXPIRY,
      'security-code': `${card?.code}#`,
      'bank-routing-number': `${ROUTING}#`,
      'bank-account-number': `${BANK_ACCOUNT}#`,
    };
    const keys = this.kind === 'star' && field === 'expiration-date' ? '1*' : (digits[field] ?? '#');
    await this.server.call('POST', `/sandbox/Accounts/${ACCOUNT_SID}/Calls/${callSid}/Dtmf.json`, { Digits: keys });
    // The keys reach the session one by one; if the process dies first they are lost, and the next round asks again.
    for (let wait = 0; wait < 60; wait += 1) {
      const now = (await this.server.call('GET', sessionPath)).body;
      if (now.capture !== field) return;
      await sleep(100);
    }
  }
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

function secretsIn(where: string, bytes: Buffer | string): string[] {
  const haystack = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  return needles().filter((needle) => haystack.includes(needle)).map((needle) => `${where}: ${needle}`);
}

/** Checks one session's callbacks against its event log. */
function checkCallbacks(sid: string, log: Array<Record<string, any>>, received: ReceivedCallback[], figures: ChaosFigures): void {
  const firstArrival: number[] = [];
  for (const event of log) {
    const token = `${sid}-${event.sequence_number}`;
    const copies = received.filter((r) => r.headers['i-twilio-idempotency-token'] === token);
    figures.callbacksExpected += 1;
    if (copies.length === 0) {
      figures.callbacksLost.push(token);
      continue;
    }
    figures.callbacksReceived += 1;
    figures.callbackCopies += copies.length;
    if (!copies.every((c) => c.raw === copies[0]!.raw && c.signatureValid)) figures.repeatsDiffering.push(token);
    firstArrival.push(received.indexOf(copies[0]!));
  }
  if (firstArrival.some((at, i) => i > 0 && at < firstArrival[i - 1]!)) figures.outOfOrder.push(sid);
  const finals = received.filter((r) => r.params.Capture === undefined && r.params.DateUpdated !== undefined);
  if (finals.length === 0) figures.withoutFinalCallback.push(sid);
}

export async function runChaos(options: ChaosOptions): Promise<ChaosFigures> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const random = mulberry32(options.seed);
  const receiver: CallbackReceiver = await startReceiver(AUTH_TOKEN);
  const dataDir = tempDataDir();
  const server = new Restarting(
    await startPaytone({
      dataDir,
      env: {
        PAYTONE_RATE_LIMIT: 'off',
        PAYTONE_SANDBOX_SLOW_MS: '1500',
        PAYTONE_FIRST_DIGIT_TIMEOUT: '3',
        PAYTONE_CALLBACK_RETRY_BASE_MS: '50',
        PAYTONE_CALLBACK_RETRY_MAX_MS: '500',
        PAYTONE_CALLBACK_MAX_ATTEMPTS: '100',
        PAYTONE_CALLBACK_TIMEOUT_MS: '2000',
        LOG_LEVEL: 'info',
      },
    }),
  );
  const figures: ChaosFigures = {
    sessions: options.sessions, acknowledged: 0, outcomes: {}, kills: 0, callbacksExpected: 0, callbacksReceived: 0,
    callbackCopies: 0, callbacksDuplicated: 0, callbacksLost: [], repeatsDiffering: [], outOfOrder: [], withoutFinalCallback: [],
    gatewayTransactions: 0, gatewaySends: 0, duplicatedTransactions: [], confirmationMismatches: [], leaks: [], requestRetries: 0, durationMs: 0,
  };
  try {
    const kinds = Array.from({ length: options.sessions }, () => KINDS[Math.floor(random() * KINDS.length)]!);
    const killPauses = Array.from({ length: 10_000 }, () => options.killEveryMs[0] + random() * (options.killEveryMs[1] - options.killEveryMs[0]));
    let running = true;
    // Kills the run is owed: a run that goes faster than the timed kills still gets one at a third and one at two
    // thirds of its sessions, so that every run crashes the server mid-work at least twice.
    let owedKills = 0;
    let wake: (() => void) | null = null;
    const pauseUnlessOwed = (ms: number) =>
      owedKills > 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const timer = setTimeout(() => { wake = null; resolve(); }, ms);
            wake = () => { clearTimeout(timer); wake = null; resolve(); };
          });
    const killer = (async () => {
      for (const pause of killPauses) {
        await pauseUnlessOwed(pause);
        if (!running) return;
        owedKills = Math.max(0, owedKills - 1);
        await server.kill();
        figures.kills += 1;
        log(`kill -9 #${figures.kills} (${figures.acknowledged} sessions acknowledged so far)`);
      }
    })();

    const outcomes: Outcome[] = [];
    let next = 0;
    const worker = async () => {
      while (next < kinds.length) {
        const index = next++;
        for (const third of [1, 2]) {
          if (index === Math.floor((kinds.length * third) / 3) && figures.kills + owedKills < third) {
            owedKills = third - figures.kills;
            wake?.();
          }
        }
        const outcome = await new SessionDriver(server, receiver.url, index, kinds[index]!).run();
        if (outcome.sid) figures.acknowledged += 1;
        outcomes.push(outcome);
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, worker));
    running = false;
    await killer;
    log(`all ${outcomes.length} sessions ended; waiting for their callbacks`);

    for (const o of outcomes) {
      const key = `${o.kind}:${o.status}:${o.result ?? ''}`;
      figures.outcomes[key] = (figures.outcomes[key] ?? 0) + 1;
    }
    const logs = new Map<string, Array<Record<string, any>>>();
    for (const o of outcomes) {
      const eventsPath = `${api}/Calls/${o.callSid}/Payments/${o.sid}/Events.json`;
      for (let attempt = 0; ; attempt += 1) {
        const events = (await server.call('GET', eventsPath)).body.events as Array<Record<string, any>>;
        if (events.every((e) => e.callback.status === 'delivered')) {
          logs.set(o.sid!, events);
          break;
        }
        if (attempt > 600) throw new Error(`callbacks of ${o.sid} were not delivered: ${JSON.stringify(events.map((e) => e.callback))}`);
        await sleep(100);
      }
      checkCallbacks(o.sid!, logs.get(o.sid!)!, receiver.forSession(o.sid!), figures);
    }
    figures.callbacksDuplicated = figures.callbackCopies - figures.callbacksReceived;

    await server.current.kill('SIGKILL');
    const db = new Database(path.join(dataDir, 'paytone.db'), { readonly: true, fileMustExist: true });
    try {
      const transactions = db.prepare('SELECT transaction_id, outcome FROM gateway_transactions').all() as Array<{ transaction_id: string; outcome: string }>;
      figures.gatewayTransactions = transactions.length;
      const sends = db.prepare('SELECT COALESCE(SUM(sends), 0) AS n FROM gateway_sends').get() as { n: number } | undefined;
      figures.gatewaySends = sends?.n ?? 0;
      for (const o of outcomes) {
        const mine = transactions.filter((t) => t.transaction_id === o.sid);
        if (mine.length > 1) figures.duplicatedTransactions.push(o.sid!);
        const reachedGateway = o.status === 'completed' || o.status === 'failed';
        if (reachedGateway !== (mine.length === 1)) figures.duplicatedTransactions.push(`${o.sid} (${o.status}) has ${mine.length} transactions`);
        if (o.result !== 'success' || o.kind === 'tokenize') continue;
        const code = JSON.parse(mine[0]?.outcome ?? '{}').confirmationCode;
        const seen = receiver.forSession(o.sid!).filter((r) => r.params.PaymentConfirmationCode !== undefined).map((r) => r.params.PaymentConfirmationCode);
        if (seen.length === 0 || seen.some((c) => c !== code)) figures.confirmationMismatches.push(o.sid!);
      }
    } finally {
      db.close();
    }
    figures.leaks = [
      ...filesUnder(dataDir).flatMap((file) => secretsIn(`file ${path.relative(dataDir, file)} after kill -9`, fs.readFileSync(file))),
      ...secretsIn('process output', server.current.output()),
      ...receiver.received.flatMap((r) => secretsIn(`callback ${r.headers['i-twilio-idempotency-token']}`, r.url + r.raw)),
      ...server.responses.flatMap((body, i) => secretsIn(`API response #${i}`, body)),
    ];
    figures.requestRetries = server.retries;
  } finally {
    await server.current.stop();
    await receiver.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  figures.durationMs = Date.now() - started;
  return figures;
}
