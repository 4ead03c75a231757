/**
 * The operations surface, outside any account and without Basic auth: `/healthz` (the process answers),
 * `/readyz` (it should get traffic), `/metrics` (Prometheus; optionally behind a bearer token) and
 * `/openapi.json` (the whole HTTP surface, see ops/openapi.ts). Also the drain behaviour while the process shuts down, and the
 * list of routes the server serves, which the OpenAPI test holds against the document.
 *
 * @example
 *   opsRoutes(server, app.ops);   // first, so that the route list sees every later route
 */
import type { FastifyInstance } from 'fastify';
import type { OpsContext } from '../ops/wiring.js';
import { openApiDocument } from '../ops/openapi.js';
import { payError } from '../domain/errors.js';
import { equalInConstantTime } from '../app/credentials.js';
import { sendError } from './errors.js';
import { sendJson } from './reply.js';

export interface ServedRoute {
  method: string;
  /** Fastify's pattern, e.g. `/2010-04-01/Accounts/:AccountSid/Calls.json`. */
  url: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered on the server, in registration order (HEAD twins of GET routes left out). */
    servedRoutes: ServedRoute[];
  }
}

/** Routes that balancers and scrapers call every few seconds. */
export const PROBE_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

export function opsRoutes(server: FastifyInstance, ops: OpsContext): void {
  const served: ServedRoute[] = [];
  server.decorate('servedRoutes', served);
  server.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') served.push({ method, url: route.url });
  });

  // While draining, requests still in flight (and any that arrive on an open connection) are served, but
  // every answer closes its connection so the client's next request goes to another process.
  server.addHook('onSend', async (_request, reply) => {
    if (ops.health.isDraining) reply.header('connection', 'close');
  });
  server.addHook('onResponse', async (request, reply) => {
    ops.metrics.request(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });

  server.get('/healthz', async (_request, reply) => sendJson(reply, 200, { status: 'ok' }));

  server.get('/readyz', async (_request, reply) => {
    const { ready, body } = await ops.health.readiness();
    return sendJson(reply, ready ? 200 : 503, body);
  });

  server.get('/metrics', async (request, reply) => {
    if (ops.metricsToken !== undefined && !bearerMatches(request.headers.authorization, ops.metricsToken)) {
      reply.header('WWW-Authenticate', 'Bearer realm="paytone metrics"');
      return sendError(reply, payError(20003, 'Authenticate: /metrics wants "Authorization: Bearer <PAYTONE_METRICS_TOKEN>".'));
    }
    const text = await ops.metrics.registry.metrics();
    return reply.code(200).type(ops.metrics.registry.contentType).send(text);
  });

  server.get('/openapi.json', async (_request, reply) => sendJson(reply, 200, openApiDocument()));
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match !== null && equalInConstantTime(match[1]!, token);
}
