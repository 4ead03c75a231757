/**
 * HTTP Basic authentication for every route under an account: `AccountSid:AuthToken`, or an API key
 * `SK...:secret` with the AccountSid in the path. Failure is Twilio's 20003, whatever went wrong, so the answer
 * never tells which accounts exist; a source address or credential locked after repeated failures gets 20429 with
 * `Retry-After` instead (api/credentials.ts). Failures are logged by the audit trail's hook (api/audit.ts).
 *
 * `authenticateRequest` is the whole check for any route that takes these credentials (the REST API, the event
 * stream, the MCP server): it sets `request.principal` or returns what to answer.
 *
 * @example
 *   scope.addHook('preHandler', requireAccount(app.authenticator));
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { payError, type PaytoneError } from '../domain/errors.js';
import type { Authenticator, Principal } from '../app/credentials.js';
import { sendError } from './errors.js';
import { BASIC_CHALLENGE, invitesBasicPrompt } from './browserRequests.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export interface AuthRefusal {
  error: PaytoneError;
  /** Seconds, for `Retry-After`, when the refusal is a throttle. */
  retryAfterSeconds?: number;
}

/**
 * Authenticates the request's Basic credentials for the account in its path (`:AccountSid`, or `accountSid`; null
 * for the credential's own account).
 *
 * @example
 *   const refusal = await authenticateRequest(app.authenticator, request);
 *   if (refusal) return sendAuthRefusal(request, reply, refusal);
 */
export async function authenticateRequest(authenticator: Authenticator, request: FastifyRequest, accountSid?: string | null): Promise<AuthRefusal | null> {
  // null: the route names no account, so the credential opens its own (see Authenticator.authenticate).
  const pathAccountSid = accountSid === undefined ? ((request.params as { AccountSid?: string }).AccountSid ?? '') : accountSid;
  const outcome = await authenticator.authenticate(request.headers.authorization, pathAccountSid, request.ip);
  if ('principal' in outcome) {
    request.principal = outcome.principal;
    return null;
  }
  if (outcome.refused === 'credentials') return { error: payError(20003) };
  return {
    error: payError(20429, `Too many requests: ${outcome.why}. Nothing was checked or done; try again after ${outcome.retryAfterSeconds} seconds (see Retry-After).`),
    retryAfterSeconds: outcome.retryAfterSeconds,
  };
}

/** Answers a refusal: Retry-After for a throttle, the Basic challenge only for clients that are no browser's script. */
export function sendAuthRefusal(request: FastifyRequest, reply: FastifyReply, refusal: AuthRefusal): FastifyReply {
  if (refusal.retryAfterSeconds !== undefined) reply.header('Retry-After', String(refusal.retryAfterSeconds));
  if (refusal.error.status === 401 && invitesBasicPrompt(request)) reply.header('WWW-Authenticate', BASIC_CHALLENGE);
  return sendError(reply, refusal.error);
}

export function requireAccount(authenticator: Authenticator) {
  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const refusal = await authenticateRequest(authenticator, request);
    if (refusal) await sendAuthRefusal(request, reply, refusal);
  };
}
