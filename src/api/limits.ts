/**
 * What one careless or hostile client may cost the server, and Twilio's envelope for the refusals that happen
 * before a request reaches a route: node's HTTP parser (headers too large: 431; not HTTP at all: 400), its
 * timers (a client that dribbles its headers or body: 408), and Fastify's router (a path that cannot be
 * decoded: 400; a path segment longer than any SID: 404).
 *
 * Node checks its timers every `connectionsCheckingInterval`; its 30 s default would let a slow client overstay
 * by that much, so the interval follows the headers timeout.
 *
 * @example
 *   const server = Fastify({ ...httpLimits({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 65_000 }), logger: false });
 */
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import type { Server, ServerResponse } from 'node:http';
import type { FastifyHttpOptions, FastifyReply, FastifyRequest } from 'fastify';
import { payError, type PaytoneError } from '../domain/errors.js';
import type { Logger } from '../log.js';
import { sendError } from './errors.js';

export interface HttpTimeouts {
  /** From the first byte of a request to the end of its headers. */
  headersTimeoutMs: number;
  /** From the first byte of a request to the end of its body. */
  requestTimeoutMs: number;
  /** How long an idle kept-alive connection stays open for the next request. */
  keepAliveTimeoutMs: number;
}

export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 65_000 };

/** Payments and Calls requests are small form posts; anything near this is a mistake or an attack. */
export const BODY_LIMIT_BYTES = 64 * 1024;
/** Request line and headers together: a Basic credential and a browser's headers fit many times over. */
export const MAX_HEADER_BYTES = 16 * 1024;
/** The longest path segment the router matches (`routerOptions.maxParamLength`); the longest SID is 34 characters. */
export const MAX_PARAM_LENGTH = 200;

/** Fastify and node server options for these limits. */
export function httpLimits(timeouts: HttpTimeouts, log: Logger): Partial<FastifyHttpOptions<Server>> {
  return {
    bodyLimit: BODY_LIMIT_BYTES,
    requestTimeout: timeouts.requestTimeoutMs,
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    // An idle socket (connected, nothing sent) is closed once no request could still be on time.
    connectionTimeout: timeouts.requestTimeoutMs + 1000,
    http: {
      maxHeaderSize: MAX_HEADER_BYTES,
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(timeouts.headersTimeoutMs / 4))),
    },
    clientErrorHandler: (err, socket) => answerClientError(err as NodeJS.ErrnoException, socket, log),
    frameworkErrors: (err: Error & { code?: string }, _request: FastifyRequest, reply: FastifyReply) => {
      sendError(reply, err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? payError(20404, 'The requested resource was not found: a path segment is longer than any SID.') : payError(20001, 'The request path could not be decoded; percent-encode it as UTF-8.'));
    },
  };
}

function clientErrorFor(err: NodeJS.ErrnoException): PaytoneError {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return payError(20431, `The request line and headers are larger than ${MAX_HEADER_BYTES / 1024} KB; send fewer or shorter headers.`);
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return payError(20408, 'The request was not received in time; send the headers and body without pausing.');
    default:
      return payError(20001, 'The request is not valid HTTP/1.1.');
  }
}

/**
 * `CONNECT` (a proxy tunnel) never reaches Fastify: node hands the socket to a `connect` listener or drops it
 * without a word. paytone is no proxy; the client is told so.
 */
export function refuseTunnels(server: Server): void {
  server.on('connect', (_request, socket: Socket) => writeEnvelopeAndClose(socket, payError(20004, 'CONNECT is not supported: paytone is not a proxy.')));
}

/**
 * Answers a request node's parser refused, on the raw socket (Fastify never sees it), then closes the connection.
 * Only the error code is logged: the raw packet may hold credentials or keypad digits.
 *
 * The bytes refused may follow a request on the same connection that was received whole and whose answer is still
 * being made (a change is answered only after its fsync). Answers go in order: that one first, then the refusal;
 * writing the refusal at once would put it in the place of an answer whose change was made. A request cut short
 * (a broken or late body) is answered at once, and a response already streaming (an event stream) is cut.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket, log: Logger): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const error = clientErrorFor(err);
  log.debug({ code: err.code ?? 'unknown', status: error.status }, 'client error');
  const response = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (response?.headersSent) socket.destroy();
  else if (response?.req.complete && !response.writableFinished) response.once('close', () => writeEnvelopeAndClose(socket, error));
  else writeEnvelopeAndClose(socket, error);
}

function writeEnvelopeAndClose(socket: Socket, error: PaytoneError): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(error.toEnvelope());
  const head = `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}\r\nContent-Type: application/json; charset=utf-8\r\n`;
  socket.end(`${head}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`, () => socket.destroy());
}
