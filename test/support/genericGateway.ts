/**
 * A payment gateway on 127.0.0.1 that speaks Twilio's Generic Pay Connector protocol, as a merchant's own
 * gateway would: HTTP Basic auth, one JSON POST per payment, one transaction per `transaction_id` (a repeated
 * id is answered with the first answer, never charged again). Test cards decide the answer:
 * `4000000000000002` declines with 200 + error_code, `4000000000009995` declines with HTTP 402, `4000000000000119`
 * answers HTTP 500 without a code, any other card succeeds. ACH account `000111111116` declines. A payment whose
 * parameters name a `customer` is answered with `parameters: { customer_ref }`.
 *
 * `hold()` makes it keep every answer until `release()`; `answerLate(n, ms)` delays the next n answers,
 * so a connector's timeout and retries can be watched.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GatewayRequestSeen {
  authorization: string;
  contentType: string;
  body: Record<string, any>;
}

export interface GenericGateway {
  url: string;
  username: string;
  password: string;
  /** Every request received, in order (test data only: bodies hold test card numbers). */
  requests: GatewayRequestSeen[];
  /** One entry per distinct transaction id: the gateway's transactions. */
  transactions: Map<string, { status: number; body: Record<string, unknown> }>;
  hold(): void;
  release(): void;
  answerLate(count: number, ms: number): void;
  close(): Promise<void>;
}

let counter = 0;

export async function startGenericGateway(credentials = { username: 'twilio', password: 'gw-pass-7f3a' }): Promise<GenericGateway> {
  const requests: GatewayRequestSeen[] = [];
  const transactions = new Map<string, { status: number; body: Record<string, unknown> }>();
  let holding = false;
  let held: Array<() => void> = [];
  let late = { count: 0, ms: 0 };
  const expected = 'Basic ' + Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const answer = (status: number, body: Record<string, unknown>) => {
        if (res.destroyed) return;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.headers.authorization !== expected) return answer(401, { error_code: 'unauthorized', error_message: 'Bad credentials' });
      let body: Record<string, any>;
      try {
        body = JSON.parse(raw) as Record<string, any>;
      } catch {
        return answer(400, { error_code: 'bad_json', error_message: 'Body is not JSON' });
      }
      requests.push({ authorization: req.headers.authorization ?? '', contentType: String(req.headers['content-type']), body });
      const txid = String(body.transaction_id);
      const decided = transactions.get(txid) ?? decide(body);
      transactions.set(txid, decided);
      const send = () => answer(decided.status, decided.body);
      if (holding) {
        held.push(send);
        return;
      }
      if (late.count > 0) {
        late.count -= 1;
        setTimeout(send, late.ms);
        return;
      }
      send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/twilio/pay`;
  return {
    url,
    ...credentials,
    requests,
    transactions,
    hold: () => (holding = true),
    release() {
      holding = false;
      const waiting = held;
      held = [];
      waiting.forEach((send) => send());
    },
    answerLate: (count, ms) => (late = { count, ms }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function decide(body: Record<string, any>): { status: number; body: Record<string, unknown> } {
  counter += 1;
  const card = String(body.cardnumber ?? '');
  if (card === '4000000000000002') return { status: 200, body: { error_code: 'card_declined', error_message: 'Do not honor' } };
  if (card === '4000000000009995') return { status: 402, body: { error_code: 'insufficient_funds', error_message: 'Insufficient funds' } };
  if (card === '4000000000000119') return { status: 500, body: { message: 'processor unavailable' } };
  if (body.bankaccountnumber === '000111111116') return { status: 200, body: { error_code: 'no_account', error_message: 'No such account' } };
  // A merchant's gateway may answer with parameters of its own; this one names the customer it was told of.
  const echoed = body.parameters?.customer ? { parameters: { customer_ref: `ref-${body.parameters.customer}` } } : {};
  if (body.method === 'charge') return { status: 200, body: { charge_id: `gw_ch_${counter}`, error_code: null, error_message: null, ...echoed } };
  return { status: 200, body: { token_id: `gw_tok_${counter}`, ...(body.token_type === 'reusable' ? { profile_id: `gw_cus_${counter}` } : {}), ...echoed } };
}
