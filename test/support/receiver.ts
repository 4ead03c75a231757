/**
 * A StatusCallback receiver on 127.0.0.1 that records every callback and checks its signature with the
 * official client's `validateRequest`, as an app would.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';

export interface ReceivedCallback {
  method: string;
  path: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  /** The raw body, to check that each key is sent once. */
  raw: string;
  /** The form body's parameters; for a GET, the query string's. */
  params: Record<string, string>;
  signatureValid: boolean;
}

export interface CallbackReceiver {
  url: string;
  received: ReceivedCallback[];
  /** The callbacks of one payment session, in arrival order. */
  forSession(sid: string): ReceivedCallback[];
  /** Waits until `predicate` holds over what was received (polls; fails after `timeoutMs`). */
  waitFor(predicate: (received: ReceivedCallback[]) => boolean, timeoutMs?: number): Promise<void>;
  /** Makes the receiver answer with this status (e.g. 500) until set back to 200. */
  answerWith(status: number): void;
  /** Makes the receiver hold each answer this long (0: at once), like an overloaded app. */
  answerAfter(ms: number): void;
  close(): Promise<void>;
}

/** Listens on `host` (any 127.x address works on Linux: a second host lets tests tell two receivers apart). */
export async function startReceiver(authToken: string, host = '127.0.0.1', options: { port?: number } = {}): Promise<CallbackReceiver> {
  const received: ReceivedCallback[] = [];
  let status = 200;
  let delayMs = 0;
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const url = `http://${host}:${(server.address() as AddressInfo).port}${req.url}`;
      const body = Object.fromEntries(new URLSearchParams(raw));
      const method = req.method ?? 'POST';
      // A GET carries its parameters in the URL, which the signature covers whole.
      const params = method === 'GET' ? Object.fromEntries(new URL(url).searchParams) : body;
      const signature = String(req.headers['x-twilio-signature'] ?? '');
      const answer = status;
      if (answer === 200) {
        received.push({ method, path: req.url ?? '', url, headers: req.headers, raw, params, signatureValid: twilio.validateRequest(authToken, signature, url, body) });
      }
      const respond = () => {
        res.writeHead(answer, { 'content-type': 'text/plain' });
        res.end(answer === 200 ? 'ok' : 'unavailable');
      };
      if (delayMs === 0) respond();
      // Unref: an answer still held back must not keep the test process alive.
      else setTimeout(respond, delayMs).unref();
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, host, resolve));
  const base = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    received,
    forSession: (sid) => received.filter((r) => r.params.Sid === sid),
    async waitFor(predicate, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > until) {
          throw new Error(`callbacks did not arrive in time; received:\n${received.map((r) => JSON.stringify(r.params)).join('\n')}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    answerWith(next) {
      status = next;
    },
    answerAfter(ms) {
      delayMs = ms;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
