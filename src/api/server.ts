/**
 * The HTTP server: Fastify with Twilio's form bodies, the error envelope, Basic auth on every account route,
 * and a one-line access log per request (method, route, status, time; never a body).
 *
 * @example
 *   const server = buildServer(app);
 *   await server.listen({ host: '127.0.0.1', port: 8080 });
 */
import Fastify, { type FastifyInstance } from 'fastify';
import formBody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import type { AppContext } from '../app/context.js';
import { installErrorHandling } from './errors.js';
import { requireAccount } from './auth.js';
import { accountRoutes } from './twilio/accounts.js';
import { callRoutes } from './twilio/calls.js';
import { phoneNumberRoutes } from './twilio/phoneNumbers.js';
import { notificationRoutes } from './twilio/notifications.js';
import { paymentRoutes } from './twilio/payments.js';
import { sandboxCallbackSink, sandboxRoutes } from './sandbox/dtmf.js';
import { payConnectorRoutes } from './v1/payConnectors.js';
import { sendJson } from './reply.js';
import { eventRoutes } from './events.js';
import { mcpRoutes } from './mcp.js';
import { accountRateLimit } from './rateLimit.js';
import { PROBE_ROUTES, opsRoutes } from './ops.js';
import { BODY_LIMIT_BYTES, DEFAULT_HTTP_TIMEOUTS, MAX_PARAM_LENGTH, httpLimits, refuseTunnels, type HttpTimeouts } from './limits.js';
import { auditRoutes, auditTrail, isRead } from './audit.js';
import { TLS_MIN_VERSION, type TlsMaterial } from './tls.js';
import { uiRoutes } from './ui.js';
import { answerHeaders, refuseCrossSiteChanges } from './browserRequests.js';
import { schemaCompilersOnFirstUse } from '../ops/onFirstUse.js';

export function buildServer(app: AppContext, timeouts: HttpTimeouts = DEFAULT_HTTP_TIMEOUTS, tls: TlsMaterial | null = null): FastifyInstance {
  const limits = httpLimits(timeouts, app.log);
  const server = Fastify({
    // With a certificate the server is HTTPS only; node's https server takes the same limits as the http one.
    ...(tls ? { https: { ...limits.http, ...tls, minVersion: TLS_MIN_VERSION } } : {}),
    logger: false,
    // While shutting down, requests on open connections are still served (see opsRoutes), not refused.
    return503OnClosing: false,
    // Source addresses go into the audit log: X-Forwarded-For is believed only from the configured proxies.
    trustProxy: app.trustedProxies.length > 0 ? app.trustedProxies : false,
    ...limits,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    // No route declares a JSON schema: Fastify's schema compilers (Ajv) load only if one ever does.
    schemaController: { compilersFactory: schemaCompilersOnFirstUse },
  });
  refuseTunnels(server.server);
  // Twilio's API takes form posts only; a JSON or text body is refused (415) rather than half-understood.
  server.removeAllContentTypeParsers();
  server.register(formBody, { bodyLimit: BODY_LIMIT_BYTES });
  installErrorHandling(server, app.log);
  // Before anything else: a change another site makes a browser send is refused unread (browserRequests.ts).
  server.addHook('onRequest', refuseCrossSiteChanges);
  server.addHook('onSend', answerHeaders);
  // A change is acknowledged only once it is on disk (requests that arrive together share one fsync) and its audit
  // entry is written; the two waits overlap. A failed authentication is logged here too.
  const audit = auditTrail(app);
  server.addHook('onSend', async (request, reply, payload) => {
    const wrote = audit(request, reply, payload);
    if (!isRead(request.method)) await app.durable();
    await wrote;
    return payload;
  });
  opsRoutes(server, app.ops);

  server.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    // Balancers and scrapers ask every few seconds: their answers are logged at debug, so info stays readable.
    const level = PROBE_ROUTES.has(route) && reply.statusCode < 400 ? 'debug' : 'info';
    app.log[level]({ method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  server.get('/', async (_request, reply) =>
    sendJson(reply, 200, { name: 'paytone', api: '/2010-04-01', sandbox_keypad: '/sandbox/Accounts/{AccountSid}/Calls/{CallSid}/Dtmf.json', console: '/console', phone: '/phone', openapi: '/openapi.json' }),
  );

  eventRoutes(server, app);
  mcpRoutes(server, app);
  uiRoutes(server);
  sandboxCallbackSink(server);
  server.register(async (accountScope) => {
    accountScope.addHook('preHandler', requireAccount(app.authenticator));
    if (app.rateLimit) await accountScope.register(rateLimit, accountRateLimit(app.rateLimit));
    accountRoutes(accountScope, app);
    callRoutes(accountScope, app);
    phoneNumberRoutes(accountScope, app);
    notificationRoutes(accountScope, app);
    paymentRoutes(accountScope, app);
    sandboxRoutes(accountScope, app);
    payConnectorRoutes(accountScope, app);
    auditRoutes(accountScope, app);
  });
  return server;
}
