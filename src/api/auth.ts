/**
 * HTTP Basic authentication for every route under an account: `AccountSid:AuthToken`, or an API key
 * `SK...:secret` with the AccountSid in the path. Failure is Twilio's 20003, whatever went wrong, so the answer
 * never tells which accounts exist.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { payError } from '../domain/errors.js';
import type { Authenticator } from './credentials.js';
import { sendError } from './errors.js';
import { BASIC_CHALLENGE, invitesBasicPrompt } from './browserRequests.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: { accountSid: string; credential: string };
  }
}

export function requireAccount(authenticator: Authenticator) {
  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const accountSid = (request.params as { AccountSid?: string }).AccountSid ?? '';
    const principal = await authenticator.authenticate(request.headers.authorization, accountSid);
    if (!principal) {
      if (invitesBasicPrompt(request)) reply.header('WWW-Authenticate', BASIC_CHALLENGE);
      await sendError(reply, payError(20003));
      return;
    }
    request.principal = principal;
  };
}
