/**
 * What paytone does for web browsers: it refuses changes that another site makes the browser send, it never asks a
 * browser for Basic credentials, and every answer tells browsers and caches how to treat it.
 *
 * Cross-site requests. A browser that holds Basic credentials for paytone's origin (after a login prompt, or a
 * `http://AC...:token@host/` visit) attaches them to any request to that origin, including a form or a `no-cors`
 * fetch that a page on another site sends. Such a request could create a connector that sends every card to the
 * attacker. So a change (any method but GET and HEAD) is refused with 20403 when the browser says it comes from
 * elsewhere: `Sec-Fetch-Site` other than `same-origin` (paytone's own pages) or `none` (typed by the user), or, from
 * browsers that send no fetch metadata (plain http to a host name), an `Origin` that is not this server's own. The
 * Twilio clients, curl and servers send neither header and are not affected.
 *
 * Login prompts. `WWW-Authenticate: Basic` on a 401 makes a browser show its own password dialog (or, in a page's
 * fetch, hold the request for one) and then cache what was typed for the whole origin: the very credentials the
 * check above guards against. paytone sends the header only to clients that cannot be a browser's script: none
 * for a request that carries `X-Requested-With` (paytone's pages send it), fetch metadata (`Sec-Fetch-Mode`) or an
 * `Origin`. The Twilio clients never needed the header (they send credentials up front and read the 20003 body);
 * curl and other HTTP tools still get it, as from Twilio.
 *
 * Every answer. `X-Frame-Options: DENY` and `X-Content-Type-Options: nosniff` (no answer or page of paytone's can
 * be framed by another page, or read as a script it is not); `Cache-Control: no-store` unless the route says
 * otherwise (API answers hold account data that no cache may keep; the pages' files are `no-cache`); and to a request
 * that came over https (paytone's own TLS, or a proxy in `PAYTONE_TRUST_PROXY` that says so), `Strict-Transport-Security`,
 * so that a browser that has reached paytone over https never tries plain http again.
 *
 * @example
 *   server.addHook('onRequest', refuseCrossSiteChanges);
 *   server.addHook('onSend', answerHeaders);
 *   if (invitesBasicPrompt(request)) reply.header('WWW-Authenticate', BASIC_CHALLENGE);
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { payError } from '../domain/errors.js';
import { shownValue } from '../domain/form.js';
import { isRead } from './audit.js';
import { sendError } from './errors.js';

export const BASIC_CHALLENGE = 'Basic realm="paytone"';

/** `Sec-Fetch-Site` values of requests this origin's pages, or the user, made. */
const OWN_SITES = new Set(['same-origin', 'none']);

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Why a change must be refused as coming from another site, or null. The `Origin` is compared with the host the
 * request was sent to (the `Host` header, or `X-Forwarded-Host` from a trusted proxy), port included.
 *
 * @example
 *   crossSiteReason(request) // 'Sec-Fetch-Site is "same-site"' for a page on another port of the same host
 */
export function crossSiteReason(request: FastifyRequest): string | null {
  const site = header(request, 'sec-fetch-site');
  if (site !== undefined) return OWN_SITES.has(site) ? null : `Sec-Fetch-Site is ${shownValue(site)}`;
  const origin = header(request, 'origin');
  if (origin === undefined) return null;
  const host = URL.canParse(origin) ? new URL(origin).host : null;
  return host !== null && host === request.host.toLowerCase() ? null : `Origin is ${shownValue(origin)}`;
}

/** onRequest hook: refuses a cross-site change before anything is read or done (authentication included). */
export async function refuseCrossSiteChanges(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (isRead(request.method)) return;
  const reason = crossSiteReason(request);
  if (reason === null) return;
  await sendError(
    reply,
    payError(
      20403,
      `paytone refuses changes that a page on another site makes a browser send (${reason}): they could carry credentials the browser holds for paytone. ` +
        "Send the request from your server, or use paytone's own /console and /phone pages.",
    ),
  );
}

/** The headers every answer to `request` gets (see the module comment), also for a stream that writes its own head. */
export function protectiveHeaders(request: FastifyRequest): Record<string, string> {
  return {
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    ...(request.protocol === 'https' ? { 'strict-transport-security': 'max-age=31536000' } : {}),
  };
}

/** onSend hook: the protective headers, and `no-store` where the route set no cache policy of its own. */
export async function answerHeaders(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  reply.headers(protectiveHeaders(request));
  if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  return payload;
}

/** Whether a 401 to this request may carry `WWW-Authenticate` (see the module comment). */
export function invitesBasicPrompt(request: FastifyRequest): boolean {
  return ['x-requested-with', 'sec-fetch-mode', 'origin'].every((name) => header(request, name) === undefined);
}
