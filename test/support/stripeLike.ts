/**
 * A local HTTP server that answers like Stripe's API for the calls the Stripe connector makes
 * (`POST /v1/payment_methods`, `/v1/payment_intents`, `/v1/customers`, `/v1/tokens`), so the official
 * `stripe` package can be pointed at it with its host/port/protocol settings.
 *
 * Like Stripe it checks the Bearer key, keeps every idempotency key's first answer and replays it for a
 * repeated key, and declines Stripe's published test cards the way Stripe does (402 with a `card_error`).
 * `failNext(n, status)` answers the next n requests with a server error; `answerOddly(path, status, body)` answers
 * every request to `path` with a body no Stripe API would send (any text, JSON or not); `hold()` keeps answers until
 * `release()`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StripeRequestSeen {
  path: string;
  idempotencyKey: string | undefined;
  params: Record<string, string>;
  /** True when the answer was a replay of an earlier request with the same idempotency key. */
  replayed: boolean;
}

export interface StripeLike {
  apiBase: string;
  apiKey: string;
  requests: StripeRequestSeen[];
  /** PaymentIntents created (not replays): the charges Stripe would have made. */
  paymentIntents: Array<{ id: string; amount: number; currency: string; status: string }>;
  failNext(count: number, status: number): void;
  /** Answers every later request to `path` (e.g. `/v1/payment_intents`) with this status and raw body; null: as Stripe. */
  answerOddly(path: string, answer: { status: number; body: string } | null): void;
  hold(): void;
  /** How many requests are held, unanswered. */
  holding(): number;
  release(): void;
  close(): Promise<void>;
}

const DECLINES: Record<string, { code: string; decline_code?: string; message: string }> = {
  '4000000000000002': { code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' },
  '4000000000009995': { code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' },
  '4000000000000069': { code: 'expired_card', message: 'Your card has expired.' },
  '4000000000000127': { code: 'incorrect_cvc', message: "Your card's security code is incorrect." },
  '4000000000000119': { code: 'processing_error', message: 'An error occurred while processing your card. Try again in a little bit.' },
};

let counter = 0;
const id = (prefix: string) => `${prefix}_local${String(++counter).padStart(8, '0')}`;

export async function startStripeLike(apiKey = 'sk_test_paytoneLocal123'): Promise<StripeLike> {
  const requests: StripeRequestSeen[] = [];
  const paymentIntents: StripeLike['paymentIntents'] = [];
  const replies = new Map<string, { status: number; body: unknown }>();
  const cards = new Map<string, string>();
  let failures = { count: 0, status: 500 };
  const odd = new Map<string, { status: number; body: string }>();
  let holding = false;
  let held: Array<() => void> = [];

  const handle = (path: string, params: Record<string, string>): { status: number; body: unknown } => {
    const cardError = (number: string) => {
      const decline = DECLINES[number];
      return decline ? { status: 402, body: { error: { type: 'card_error', ...decline } } } : null;
    };
    switch (path) {
      case '/v1/payment_methods': {
        const pm = id('pm');
        cards.set(pm, params['card[number]'] ?? '');
        return { status: 200, body: { id: pm, object: 'payment_method', type: 'card', card: { last4: (params['card[number]'] ?? '').slice(-4) } } };
      }
      case '/v1/tokens':
        return { status: 200, body: { id: id('tok'), object: 'token', type: 'card', card: { last4: (params['card[number]'] ?? '').slice(-4) } } };
      case '/v1/customers': {
        const declined = cardError(cards.get(params.payment_method ?? '') ?? '');
        return declined ?? { status: 200, body: { id: id('cus'), object: 'customer' } };
      }
      case '/v1/payment_intents': {
        const number = cards.get(params.payment_method ?? '');
        if (number === undefined) return { status: 400, body: { error: { type: 'invalid_request_error', code: 'resource_missing', message: 'No such PaymentMethod' } } };
        const pi = { id: id('pi'), amount: Number(params.amount), currency: params.currency ?? '', status: 'succeeded' };
        const declined = cardError(number);
        if (declined) {
          paymentIntents.push({ ...pi, status: 'requires_payment_method' });
          return declined;
        }
        paymentIntents.push(pi);
        return { status: 200, body: { ...pi, object: 'payment_intent', latest_charge: id('ch'), payment_method: params.payment_method } };
      }
      default:
        return { status: 404, body: { error: { type: 'invalid_request_error', message: `Unrecognized request URL (POST: ${path})` } } };
    }
  };

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        if (res.destroyed) return;
        res.writeHead(status, { 'content-type': 'application/json', 'request-id': id('req') });
        res.end(JSON.stringify(body));
      };
      if (req.headers.authorization !== `Bearer ${apiKey}`) {
        return reply(401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } });
      }
      const path = (req.url ?? '').split('?')[0] ?? '';
      const params = Object.fromEntries(new URLSearchParams(raw));
      const key = req.headers['idempotency-key'] as string | undefined;
      const send = () => {
        const oddAnswer = odd.get(path);
        if (oddAnswer) {
          requests.push({ path, idempotencyKey: key, params, replayed: false });
          res.writeHead(oddAnswer.status, { 'content-type': 'application/json', 'request-id': id('req') });
          return res.end(oddAnswer.body);
        }
        if (failures.count > 0) {
          failures.count -= 1;
          requests.push({ path, idempotencyKey: key, params, replayed: false });
          return reply(failures.status, { error: { type: 'api_error', message: 'Something went wrong on our end.' } });
        }
        const earlier = key === undefined ? undefined : replies.get(`${path} ${key}`);
        requests.push({ path, idempotencyKey: key, params, replayed: earlier !== undefined });
        const answer = earlier ?? handle(path, params);
        if (key !== undefined) replies.set(`${path} ${key}`, answer);
        reply(answer.status, answer.body);
      };
      if (holding) held.push(send);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    apiBase: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    apiKey,
    requests,
    paymentIntents,
    failNext: (count, status) => (failures = { count, status }),
    answerOddly(path, answer) {
      if (answer) odd.set(path, answer);
      else odd.delete(path);
    },
    hold: () => (holding = true),
    holding: () => held.length,
    release() {
      holding = false;
      const waiting = held;
      held = [];
      waiting.forEach((send) => send());
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
