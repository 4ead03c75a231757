/**
 * An app's voice webhooks for the call tests: answers each path with the TwiML (or file) given for it, records every request
 * (form params of a POST, query of a GET) and checks its `X-Twilio-Signature` with the official client.
 *
 * @example
 *   const app = await startTwimlApp(AUTH_TOKEN, { '/voice': '<Response><Dial><Sip>sip:agent@127.0.0.1:5070</Sip></Dial></Response>' });
 *   await client.incomingPhoneNumbers.create({ phoneNumber: '+15551230001', voiceUrl: `${app.url}/voice` });
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';

export interface WebhookRequest {
  path: string;
  method: string;
  params: Record<string, string>;
  signatureValid: boolean;
}

export interface TwimlApp {
  url: string;
  requests: WebhookRequest[];
  /** Requests to one path, in arrival order. */
  to(path: string): WebhookRequest[];
  close(): Promise<void>;
}

/** A document's TwiML, or a file served with its content type (a `<Play>`'s audio). */
export type Served = string | { contentType: string; body: Buffer };

export async function startTwimlApp(authToken: string, documents: Record<string, Served>): Promise<TwimlApp> {
  const requests: WebhookRequest[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const url = new URL(req.url ?? '/', base);
      const params = req.method === 'POST' ? Object.fromEntries(new URLSearchParams(raw)) : Object.fromEntries(url.searchParams);
      const signature = String(req.headers['x-twilio-signature'] ?? '');
      const signed = req.method === 'POST' ? twilio.validateRequest(authToken, signature, `${base}${req.url}`, params) : twilio.validateRequest(authToken, signature, `${base}${req.url}`, {});
      requests.push({ path: url.pathname, method: req.method ?? '', params, signatureValid: signed });
      const document = documents[url.pathname];
      if (typeof document === 'object') {
        res.writeHead(200, { 'content-type': document.contentType });
        return res.end(document.body);
      }
      res.writeHead(200, { 'content-type': document === undefined ? 'text/plain' : 'text/xml' });
      res.end(document ?? 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    to: (path) => requests.filter((r) => r.path === path),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
