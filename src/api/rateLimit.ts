/**
 * Per-account rate limits on every authenticated route: at most `max` requests per `windowMs` for one account,
 * whichever credential (auth token or API key) it uses. Past the limit paytone answers Twilio's 20429 with
 * `Retry-After` (seconds) and `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset` headers, and does
 * nothing else.
 *
 * It runs after authentication, so that a caller without credentials cannot spend an account's allowance; counts
 * are kept per process (`@fastify/rate-limit`'s in-memory store): behind a load balancer with N processes an
 * account may make up to N times the limit.
 *
 * @example
 *   accountScope.addHook('preHandler', requireAccount(authenticator));
 *   await accountScope.register(rateLimit, accountRateLimit({ max: 1000, windowMs: 10_000 }));
 *   // ...then the scope's routes
 */
import type { FastifyRequest } from 'fastify';
import type { RateLimitPluginOptions } from '@fastify/rate-limit';
import { payError } from '../domain/errors.js';
import type { RateLimit } from '../config.js';

function accountOf(request: FastifyRequest): string {
  // Authentication ran first, so every request that gets here has a principal; the address is a fallback only.
  return request.principal?.accountSid ?? `ip:${request.ip}`;
}

/** `@fastify/rate-limit` options for the routes a scope declares after registering it. */
export function accountRateLimit({ max, windowMs }: RateLimit): RateLimitPluginOptions {
  return {
    max,
    timeWindow: windowMs,
    hook: 'preHandler',
    keyGenerator: accountOf,
    errorResponseBuilder: (request, context) =>
      payError(
        20429,
        `Too many requests for account ${accountOf(request)}: at most ${max} requests every ${windowMs / 1000} seconds. ` +
          `Slow down and retry after ${Math.max(1, Math.ceil(context.ttl / 1000))} seconds (see Retry-After).`,
      ),
  };
}
