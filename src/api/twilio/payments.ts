/**
 * Twilio's Payments subresource (create 201, update 202) and our read extensions on the same paths:
 * GET one session, GET the call's sessions, GET a session's event log with the delivery of each callback.
 */
import type { FastifyInstance } from 'fastify';
import type { FormValues } from '../../domain/form.js';
import type { AppContext } from '../../app/context.js';
import type { StoredEvent } from '../../store/sessions.js';
import { formatRfc2822 } from '../../domain/dates.js';
import { sendJson } from '../reply.js';

interface PaymentParams {
  AccountSid: string;
  CallSid: string;
  Sid: string;
}

function eventView(event: StoredEvent): Record<string, unknown> {
  return {
    sequence_number: event.seq,
    kind: event.kind,
    date_created: formatRfc2822(event.at),
    parameters: event.params,
    callback: {
      url: event.url,
      status: event.deliveryStatus,
      attempts: event.attempts,
      last_attempt: event.lastAttemptAt === null ? null : formatRfc2822(event.lastAttemptAt),
      last_response_code: event.lastResponseCode,
      last_error: event.lastError,
      next_attempt: event.deliveryStatus === 'pending' && event.nextAttemptAt !== null ? formatRfc2822(event.nextAttemptAt) : null,
    },
  };
}

export function paymentRoutes(server: FastifyInstance, app: AppContext): void {
  const calls = '/2010-04-01/Accounts/:AccountSid/Calls/:CallSid';
  const scopeOf = (p: Omit<PaymentParams, 'Sid'> & { Sid?: string }) =>
    `/2010-04-01/Accounts/${p.AccountSid}/Calls/${p.CallSid}/Payments${p.Sid ? `/${p.Sid}` : ''}.json`;

  server.post<{ Params: PaymentParams; Body: FormValues }>(`${calls}/Payments.json`, async (request, reply) => {
    const { AccountSid, CallSid } = request.params;
    const result = await app.payments.create(AccountSid, CallSid, request.body ?? {}, scopeOf(request.params));
    return sendJson(reply, result.status, result.body);
  });

  server.post<{ Params: PaymentParams; Body: FormValues }>(`${calls}/Payments/:Sid.json`, async (request, reply) => {
    const { AccountSid, CallSid, Sid } = request.params;
    const result = await app.payments.update(AccountSid, CallSid, Sid, request.body ?? {}, scopeOf(request.params));
    return sendJson(reply, result.status, result.body);
  });

  server.get<{ Params: PaymentParams }>(`${calls}/Payments/:Sid.json`, async (request, reply) => {
    const { AccountSid, CallSid, Sid } = request.params;
    return sendJson(reply, 200, await app.payments.fetch(AccountSid, CallSid, Sid));
  });

  server.get<{ Params: PaymentParams }>(`${calls}/Payments.json`, async (request, reply) => {
    const { AccountSid, CallSid } = request.params;
    const payments = await app.payments.list(AccountSid, CallSid);
    return sendJson(reply, 200, { payments, uri: scopeOf(request.params) });
  });

  server.get<{ Params: PaymentParams }>(`${calls}/Payments/:Sid/Events.json`, async (request, reply) => {
    const { AccountSid, CallSid, Sid } = request.params;
    const events = await app.payments.events(AccountSid, CallSid, Sid);
    return sendJson(reply, 200, { events: events.map(eventView), uri: `${scopeOf(request.params).replace(/\.json$/, '')}/Events.json` });
  });
}
