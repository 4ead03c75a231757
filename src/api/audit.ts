/**
 * Writes the audit trail and serves it. Every authenticated request that is not a read leaves one entry, written
 * before its answer is sent (so whatever a client was told happened is on record), and mirrored as an `audit` log
 * line for log shipping. A failed authentication is recorded in the log with its source address, at a bounded
 * rate (domain/authFailureLog.ts).
 *
 * Reading it (our extensions, same auth as the rest of the account):
 * - `GET /2010-04-01/Accounts/{AC}/Calls/{CA}/Payments/{PK}/Audit.json`: the session's entries and its call's;
 * - `GET /v1/Accounts/{AC}/AuditLog.json?CallSid=&PaymentSid=&PageSize=&AfterId=`: the account's, oldest first,
 *   a page at a time (`next_page_uri` follows on from the last id).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { auditAction, auditEntryView, auditedParameters, auditedPath, auditedUserAgent, type AuditEntry } from '../domain/audit.js';
import { formInteger, formValue, type FormValues } from '../domain/form.js';
import { isSid } from '../domain/sids.js';
import { payError } from '../domain/errors.js';
import type { AppContext } from '../app/context.js';
import { sendJson } from './reply.js';
import { credentialSidOf } from '../app/credentials.js';

const READS = new Set(['GET', 'HEAD']);
const MAX_PAGE_SIZE = 1000;

function answeredSid(payload: unknown): string | null {
  if (typeof payload !== 'string' || !payload.startsWith('{')) return null;
  try {
    const sid = (JSON.parse(payload) as { sid?: unknown }).sid;
    return typeof sid === 'string' ? sid : null;
  } catch {
    return null;
  }
}

function errorCodeOf(statusCode: number, payload: unknown): number | null {
  if (statusCode < 400 || typeof payload !== 'string') return null;
  try {
    const code = (JSON.parse(payload) as { code?: unknown }).code;
    return typeof code === 'number' ? code : null;
  } catch {
    return null;
  }
}

function entryOf(request: FastifyRequest, reply: FastifyReply, payload: unknown, now: number): AuditEntry {
  const principal = request.principal!;
  const params = (request.params ?? {}) as Record<string, string | undefined>;
  const form = (request.body && typeof request.body === 'object' ? request.body : {}) as FormValues;
  const created = reply.statusCode === 201 ? answeredSid(payload) : null;
  const sidIf = (prefix: 'CA' | 'PK', ...candidates: Array<string | null | undefined>) =>
    candidates.find((c): c is string => c !== null && c !== undefined && isSid(prefix, c)) ?? null;
  const route = request.routeOptions.url ?? 'unmatched';
  return {
    at: now,
    accountSid: principal.accountSid,
    credential: principal.credential,
    sourceIp: request.ip,
    userAgent: auditedUserAgent(request.headers['user-agent']),
    action: auditAction(request.method, route, form),
    method: request.method,
    path: auditedPath(request.url),
    callSid: sidIf('CA', params.CallSid, created),
    paymentSid: sidIf('PK', params.Sid, created),
    statusCode: reply.statusCode,
    errorCode: errorCodeOf(reply.statusCode, payload),
    parameters: auditedParameters(form),
  };
}

type AuditTrail = (request: FastifyRequest, reply: FastifyReply, payload: unknown) => Promise<void>;

/** A request that changes nothing, so leaves no audit entry and waits for no fsync. */
export const isRead = (method: string): boolean => READS.has(method);

/**
 * What records an answered request: for an authenticated change, its entry, resolved once written (a failure to
 * write is logged, never thrown); for anything else nothing, or a warning for a failed authentication.
 */
export function auditTrail(app: AppContext): AuditTrail {
  return async (request, reply, payload) => {
    if (!request.principal) {
      if (reply.statusCode === 401 || reply.statusCode === 429) {
        const credential = credentialSidOf(request.headers.authorization);
        app.authFailures.record({ sourceIp: request.ip, method: request.method, path: auditedPath(request.url), credential, throttled: reply.statusCode === 429 });
      }
      return;
    }
    // A read changes nothing; a request turned away by the rate limit did nothing, and writing a row for each one
    // would let a flood fill the database.
    if (isRead(request.method) || reply.statusCode === 429) return;
    const entry = entryOf(request, reply, payload, Date.now());
    try {
      await app.auditLog.append(entry);
      app.log.info({ audit: entry }, 'audit');
    } catch (err) {
      app.log.error({ audit: entry, error: (err as Error).message }, 'audit entry not written');
    }
  };
}

interface AuditParams {
  AccountSid: string;
  CallSid: string;
  Sid: string;
}

export function auditRoutes(server: FastifyInstance, app: AppContext): void {
  server.get<{ Params: AuditParams }>('/2010-04-01/Accounts/:AccountSid/Calls/:CallSid/Payments/:Sid/Audit.json', async (request, reply) => {
    const { AccountSid, CallSid, Sid } = request.params;
    await app.payments.fetch(AccountSid, CallSid, Sid);
    const entries = await app.auditLog.list(AccountSid, { callSid: CallSid, paymentSid: Sid }, 0, 10_000);
    return sendJson(reply, 200, {
      entries: entries.map(auditEntryView),
      uri: `/2010-04-01/Accounts/${AccountSid}/Calls/${CallSid}/Payments/${Sid}/Audit.json`,
    });
  });

  server.get<{ Params: Pick<AuditParams, 'AccountSid'>; Querystring: FormValues }>('/v1/Accounts/:AccountSid/AuditLog.json', async (request, reply) => {
    const { AccountSid } = request.params;
    const query = request.query ?? {};
    const pageSize = formInteger(query, 'PageSize', { min: 1, max: MAX_PAGE_SIZE }) ?? 100;
    const afterId = formInteger(query, 'AfterId', { min: 0, max: Number.MAX_SAFE_INTEGER }) ?? 0;
    const filter = { callSid: formValue(query, 'CallSid'), paymentSid: formValue(query, 'PaymentSid') };
    for (const [name, prefix, value] of [['CallSid', 'CA', filter.callSid], ['PaymentSid', 'PK', filter.paymentSid]] as const) {
      if (value !== undefined && !isSid(prefix, value)) throw payError(64020, `${name} must be a ${prefix} sid (${prefix} and 32 hex characters).`);
    }
    const entries = await app.auditLog.list(AccountSid, filter, afterId, pageSize + 1);
    const page = entries.slice(0, pageSize);
    const path = `/v1/Accounts/${AccountSid}/AuditLog.json`;
    const link = (after: number) =>
      `${path}?${new URLSearchParams([
        ...Object.entries({ CallSid: filter.callSid, PaymentSid: filter.paymentSid }).flatMap(([k, v]) => (v === undefined ? [] : [[k, v]])),
        ['PageSize', String(pageSize)],
        ['AfterId', String(after)],
      ])}`;
    return sendJson(reply, 200, {
      entries: page.map(auditEntryView),
      page_size: pageSize,
      uri: link(afterId),
      next_page_uri: entries.length > pageSize ? link(page.at(-1)!.id) : null,
    });
  });
}
