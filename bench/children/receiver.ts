/**
 * The app's StatusCallback endpoint under load: checks every callback's signature with the official client's
 * `twilio.validateRequest`, as an app would, and tells the load generator what it needs to know.
 *
 * Field ends and final results go to the generator in small batches as they arrive (it waits on them); the
 * arrival times of per-digit callbacks stay here until asked for, so the receiver does not load the generator
 * with a message per keypress.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import twilio from 'twilio';
import type { Arrival, CardCallback, ReceiverReply, ReceiverRequest } from '../receiverProtocol.js';

const authToken = process.env.BENCH_AUTH_TOKEN ?? '';
const FLUSH_MS = 2;

let port = 0;
let total = 0;
let invalid = 0;
let duplicates = 0;
const seen = new Set<string>();
/** Idempotency token -> arrival (epoch ms, fractional) of each per-digit callback. */
let partials = new Map<string, number>();
let batch: Arrival[] = [];
let cards: CardCallback[] = [];
let flushTimer: NodeJS.Timeout | null = null;

const epochMs = () => performance.timeOrigin + performance.now();
const send = (reply: ReceiverReply) => process.send?.(reply);

function flush(): void {
  flushTimer = null;
  if (batch.length === 0) return;
  send({ type: 'arrivals', arrivals: batch });
  batch = [];
}

const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const at = epochMs();
    const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    const url = `http://127.0.0.1:${port}${req.url ?? ''}`;
    const signature = String(req.headers['x-twilio-signature'] ?? '');
    const token = String(req.headers['i-twilio-idempotency-token'] ?? '');
    total += 1;
    if (!twilio.validateRequest(authToken, signature, url, params)) invalid += 1;
    if (seen.has(token)) duplicates += 1;
    seen.add(token);
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
    res.end('ok');
    if (params.PaymentCardNumber !== undefined && params.PartialResult !== undefined) {
      cards.push([params.Sid ?? '', params.PaymentCardNumber.replace(/[^x0-9]/g, '').length, params.PartialResult === 'true', at]);
    }
    if (params.PartialResult === 'true') {
      partials.set(token, at);
      return;
    }
    batch.push({ token, sid: params.Sid ?? '', capture: params.Capture ?? '', errorType: params.ErrorType ?? '', result: params.Result ?? '', at });
    flushTimer ??= setTimeout(flush, FLUSH_MS);
  });
});

process.on('message', (message: ReceiverRequest) => {
  if (message.type === 'stats') {
    send({ type: 'stats', total, invalid, duplicates });
  } else if (message.type === 'partials') {
    send({ type: 'partials', partials: [...partials] });
    partials = new Map();
  } else if (message.type === 'cards') {
    send({ type: 'cards', cards });
    cards = [];
  } else if (message.type === 'reset') {
    total = invalid = duplicates = 0;
    seen.clear();
    partials = new Map();
    cards = [];
    send({ type: 'stats', total, invalid, duplicates });
  }
});
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => {
  port = (server.address() as AddressInfo).port;
  send({ type: 'ready', port });
});
