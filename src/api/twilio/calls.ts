/**
 * Twilio's Calls resource over the sandbox telephony: create (answered at once), fetch, list, hang up.
 */
import type { FastifyInstance } from 'fastify';
import { payError } from '../../domain/errors.js';
import { parseCreateCall, parseUpdateCall } from '../../domain/callParams.js';
import { callView } from '../../domain/callView.js';
import type { FormValues } from '../../domain/form.js';
import { formInteger } from '../../domain/form.js';
import type { AppContext } from '../../app/context.js';
import { sendJson } from '../reply.js';

interface CallParams {
  AccountSid: string;
  CallSid: string;
}

const MAX_PAGE_SIZE = 1000;

export function callRoutes(server: FastifyInstance, app: AppContext): void {
  const base = '/2010-04-01/Accounts/:AccountSid';
  const findCall = async (p: CallParams) => {
    const call = await app.calls.get(p.AccountSid, p.CallSid);
    if (!call) throw payError(20404, `Call ${p.CallSid} was not found in account ${p.AccountSid}.`);
    return call;
  };

  server.post<{ Params: CallParams; Body: FormValues }>(`${base}/Calls.json`, async (request, reply) => {
    const parsed = parseCreateCall(request.body ?? {}, app.callbackPolicy);
    const call = await app.telephony.placeCall(request.params.AccountSid, parsed);
    return sendJson(reply, 201, callView(call));
  });

  server.get<{ Params: CallParams; Querystring: FormValues }>(`${base}/Calls.json`, async (request, reply) => {
    const query = request.query ?? {};
    const pageSize = formInteger(query, 'PageSize', { min: 1, max: MAX_PAGE_SIZE }) ?? 50;
    const page = formInteger(query, 'Page', { min: 0, max: 1_000_000 }) ?? 0;
    const filter = {
      status: typeof query.Status === 'string' ? query.Status : undefined,
      to: typeof query.To === 'string' ? query.To : undefined,
      from: typeof query.From === 'string' ? query.From : undefined,
    };
    const accountSid = request.params.AccountSid;
    const rows = await app.calls.list(accountSid, { ...filter, limit: pageSize + 1, offset: page * pageSize });
    const calls = rows.slice(0, pageSize).map((c) => callView(c));
    const path = `/2010-04-01/Accounts/${accountSid}/Calls.json`;
    // The filters ride along on every page link, as in Twilio's, so that following next_page_uri stays filtered.
    const filters = Object.entries({ To: filter.to, From: filter.from, Status: filter.status }).flatMap(([k, v]) => (v === undefined ? [] : [[k, v]]));
    const pageUri = (n: number) => `${path}?${new URLSearchParams([...filters, ['PageSize', String(pageSize)], ['Page', String(n)]])}`;
    return sendJson(reply, 200, {
      calls,
      end: page * pageSize + Math.max(calls.length - 1, 0),
      first_page_uri: pageUri(0),
      next_page_uri: rows.length > pageSize ? pageUri(page + 1) : null,
      page,
      page_size: pageSize,
      previous_page_uri: page > 0 ? pageUri(page - 1) : null,
      start: page * pageSize,
      uri: pageUri(page),
    });
  });

  server.get<{ Params: CallParams }>(`${base}/Calls/:CallSid.json`, async (request, reply) => {
    return sendJson(reply, 200, callView(await findCall(request.params)));
  });

  server.post<{ Params: CallParams; Body: FormValues }>(`${base}/Calls/:CallSid.json`, async (request, reply) => {
    const update = parseUpdateCall(request.body ?? {});
    let call = await findCall(request.params);
    if (update.status) call = await app.telephony.hangUp(call, update.status);
    return sendJson(reply, 200, callView(call));
  });
}
