/**
 * The live event stream (our extension): `GET /v1/Accounts/{AC}/Events` as Server-Sent Events, all of the
 * account's pay sessions and calls, or one call (`CallSid`) or one session (`PaymentSid`). Each event mirrors a
 * callback with the same masked parameters; its `id` lets the client resume (`Last-Event-ID` header, or the
 * `LastEventId` query parameter for a browser opening a new EventSource).
 *
 * Authentication: HTTP Basic as everywhere, or `Token=` from `POST /v1/Accounts/{AC}/EventTokens.json` (Basic
 * only), because a browser's EventSource cannot send an Authorization header. A stream lasts only as long as the
 * credential that opened it (or asked for its token): once that key is deleted or that auth token changed, by any
 * process, the stream ends within `REVOCATION_CHECK_MS`, and its tokens open nothing more.
 *
 * @example
 *   curl -N -u "$AC:$TK" -H 'Accept: text/event-stream' "http://127.0.0.1:8080/v1/Accounts/$AC/Events?CallSid=$CA"
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { AppContext } from '../app/context.js';
import { payError } from '../domain/errors.js';
import { isSid } from '../domain/sids.js';
import { formatRfc2822 } from '../domain/dates.js';
import { liveEventJson, type LiveEvent, type LiveEventFilter } from '../domain/liveEvents.js';
import { EVENT_TOKEN_TTL_SECONDS } from '../vault/eventTokens.js';
import rateLimit from '@fastify/rate-limit';
import { requireAccount } from './auth.js';
import { accountRateLimit } from './rateLimit.js';
import type { Principal } from '../app/credentials.js';
import { sendError } from './errors.js';
import { protectiveHeaders } from './browserRequests.js';
import { sendJson } from './reply.js';

interface AccountParams {
  AccountSid: string;
}

type Query = Record<string, string | string[] | undefined>;

/** A comment line this often keeps proxies from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;
/** A client this far behind is cut off; it resumes from the store with Last-Event-ID, memory stays bounded. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/** How long a browser waits before reconnecting after the stream drops. */
const RETRY_MS = 2000;
const EVENTS_PATH = '/v1/Accounts/:AccountSid/Events';
/** How often the credentials of open streams are checked against the database (one query for all of them). */
export const REVOCATION_CHECK_MS = 1000;

export function eventRoutes(server: FastifyInstance, app: AppContext): void {
  /** Open streams, with the credential each lasts as long as. */
  const open = new Map<ServerResponse, Principal>();
  const openPerAccount = new Map<string, number>();
  const revocations = setInterval(() => void endRevoked(), REVOCATION_CHECK_MS).unref();
  // An open stream would hold the server's close forever: end them all first.
  server.addHook('preClose', async () => {
    clearInterval(revocations);
    for (const response of open.keys()) response.end();
  });

  /** Ends every stream whose credential was deleted or changed since it was opened. */
  async function endRevoked(): Promise<void> {
    if (open.size === 0) return;
    try {
      const now = await app.authenticator.currentFingerprints([...new Set([...open.values()].map((p) => p.credential))]);
      for (const [response, principal] of open) {
        if (now.get(principal.credential) !== principal.fingerprint) response.end(': the credential that opened this stream was revoked\n\n');
      }
    } catch (err) {
      app.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not check the credentials of open event streams');
    }
  }

  const basic = requireAccount(app.authenticator);
  /** Basic credentials; on the stream alone, a valid event token for the account in the path instead. */
  const authenticate = async (request: FastifyRequest<{ Params: AccountParams; Querystring: Query }>, reply: FastifyReply): Promise<void> => {
    const token = request.query?.Token;
    if (token === undefined || request.routeOptions.url !== EVENTS_PATH) return basic(request, reply);
    const accountSid = request.params.AccountSid;
    const credential = typeof token === 'string' ? app.eventTokens.credentialOf(token, accountSid) : null;
    const fingerprint = credential === null ? undefined : (await app.authenticator.currentFingerprints([credential])).get(credential);
    if (credential !== null && fingerprint !== undefined && app.eventTokens.verify(token as string, accountSid, fingerprint)) {
      request.principal = { accountSid, credential, fingerprint };
      return;
    }
    await sendError(reply, payError(20003));
  };

  server.register(async (scope) => {
    scope.addHook('preHandler', authenticate);
    // After authentication, so the account's allowance is counted, as on the Twilio routes.
    if (app.rateLimit) await scope.register(rateLimit, accountRateLimit(app.rateLimit));
    scope.post<{ Params: AccountParams }>('/v1/Accounts/:AccountSid/EventTokens.json', async (request, reply) => {
      const { AccountSid } = request.params;
      const { token, expiresAt } = app.eventTokens.issue(request.principal!);
      return sendJson(reply, 201, {
        account_sid: AccountSid,
        token,
        ttl: EVENT_TOKEN_TTL_SECONDS,
        date_expires: formatRfc2822(expiresAt),
        events_uri: `/v1/Accounts/${AccountSid}/Events`,
      });
    });

    scope.get<{ Params: AccountParams; Querystring: Query }>(EVENTS_PATH, async (request, reply) => {
      // HEAD learns that the stream is there; node would hold its headers back, waiting for a body it never sends.
      if (request.method === 'HEAD') return reply.code(200).type('text/event-stream; charset=utf-8').send();
      const query = request.query ?? {};
      const filter = streamFilter(query);
      const afterId = lastEventId(request.headers['last-event-id'], query.LastEventId);
      const { AccountSid } = request.params;
      const streams = openPerAccount.get(AccountSid) ?? 0;
      if (streams >= app.maxEventStreams) {
        reply.header('Retry-After', String(Math.ceil(HEARTBEAT_MS / 1000)));
        throw payError(20429, `At most ${app.maxEventStreams} event streams may be open at once for account ${AccountSid} on this server; close one before opening another (PAYTONE_MAX_EVENT_STREAMS).`);
      }
      openPerAccount.set(AccountSid, streams + 1);

      reply.hijack();
      // A stream is meant to stay open while quiet: the server's idle-socket timeout is for requests, not for it.
      request.raw.socket.setTimeout(0);
      const response = reply.raw;
      response.writeHead(200, {
        ...protectiveHeaders(request),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      response.write(`retry: ${RETRY_MS}\n: paytone events for ${request.params.AccountSid}\n\n`);
      open.set(response, request.principal!);

      let stop: (() => void) | null = null;
      const heartbeat = setInterval(() => response.write(': keep-alive\n\n'), HEARTBEAT_MS);
      const finish = () => {
        clearInterval(heartbeat);
        stop?.();
        stop = null;
        if (open.delete(response)) {
          const left = (openPerAccount.get(AccountSid) ?? 1) - 1;
          if (left > 0) openPerAccount.set(AccountSid, left);
          else openPerAccount.delete(AccountSid);
        }
        if (!response.writableEnded) response.end();
      };
      response.on('close', finish);
      const send = (event: LiveEvent) => {
        if (response.writableEnded) return;
        response.write(`id: ${event.id}\nevent: ${event.kind}\ndata: ${JSON.stringify(liveEventJson(event))}\n\n`);
        if (response.writableLength > MAX_BUFFERED_BYTES) finish();
      };
      try {
        stop = await app.liveEvents.open(request.params.AccountSid, filter, afterId, send);
        if (response.writableEnded || response.destroyed) finish();
      } catch (err) {
        app.log.error({ err: err instanceof Error ? { message: err.message } : String(err) }, 'event stream could not be opened');
        finish();
      }
      return reply;
    });
  });
}

function streamFilter(query: Query): LiveEventFilter {
  const filter: LiveEventFilter = {};
  for (const [name, prefix, key] of [['CallSid', 'CA', 'callSid'], ['PaymentSid', 'PK', 'paymentSid']] as const) {
    const value = query[name];
    if (value === undefined || value === '') continue;
    if (!isSid(prefix, value)) throw payError(64020, `${name} must be a ${prefix} sid (${prefix} and 32 hex characters); got ${JSON.stringify(String(value)).slice(0, 60)}.`);
    filter[key] = value;
  }
  return filter;
}

/** The header (set by EventSource when it reconnects) wins over the query parameter of the original URL. */
function lastEventId(header: string | string[] | undefined, queryValue: string | string[] | undefined): number | null {
  const raw = header ?? queryValue;
  if (raw === undefined || raw === '') return null;
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw)) {
    throw payError(64020, `Last-Event-ID must be the id of an event this stream sent (a whole number); got ${JSON.stringify(String(raw)).slice(0, 40)}.`);
  }
  return Number(raw);
}
