/**
 * Twilio's IncomingPhoneNumbers resource: create (201), fetch, list, update and delete (204) the numbers calls
 * reach paytone on, in Twilio's JSON, so `client.incomingPhoneNumbers.create({ phoneNumber, voiceUrl })` works.
 */
import type { FastifyInstance } from 'fastify';
import { payError } from '../../domain/errors.js';
import { formValue, type FormValues } from '../../domain/form.js';
import { newSid } from '../../domain/sids.js';
import { normalizeE164 } from '../../domain/endpoints.js';
import { newPhoneNumber, parseCreatePhoneNumber, parseUpdatePhoneNumber, phoneNumberView } from '../../domain/phoneNumbers.js';
import type { AppContext } from '../../app/context.js';
import { sendJson } from '../reply.js';
import { listPage, pageQuery } from './listPage.js';

interface NumberParams {
  AccountSid: string;
  Sid: string;
}

export function phoneNumberRoutes(server: FastifyInstance, app: AppContext): void {
  const base = '/2010-04-01/Accounts/:AccountSid/IncomingPhoneNumbers';
  const notFound = (p: NumberParams) => payError(20404, `IncomingPhoneNumber ${p.Sid} was not found in account ${p.AccountSid}.`);

  server.post<{ Params: NumberParams; Body: FormValues }>(`${base}.json`, async (request, reply) => {
    const { phoneNumber, settings } = parseCreatePhoneNumber(request.body ?? {}, app.callbackPolicy);
    const record = newPhoneNumber({ sid: newSid('PN'), accountSid: request.params.AccountSid, phoneNumber, settings, now: Date.now() });
    if (!(await app.phoneNumbers.insert(record))) {
      throw payError(21422, `PhoneNumber ${phoneNumber} is already registered on this paytone; a number routes to one account. Update that number instead, or delete it first.`);
    }
    return sendJson(reply, 201, phoneNumberView(record));
  });

  server.get<{ Params: NumberParams; Querystring: FormValues }>(`${base}.json`, async (request, reply) => {
    const query = request.query ?? {};
    const { page, pageSize } = pageQuery(query);
    const given = formValue(query, 'PhoneNumber');
    // Twilio matches a listed number however it is written; one that is no number matches nothing.
    const phoneNumber = given === undefined ? undefined : (normalizeE164(given) ?? given);
    const friendlyName = formValue(query, 'FriendlyName');
    const { AccountSid } = request.params;
    const rows = await app.phoneNumbers.list(AccountSid, { phoneNumber, friendlyName, limit: pageSize + 1, offset: page * pageSize });
    const path = `/2010-04-01/Accounts/${AccountSid}/IncomingPhoneNumbers.json`;
    return sendJson(reply, 200, listPage('incoming_phone_numbers', rows.map(phoneNumberView), { path, filters: { PhoneNumber: given, FriendlyName: friendlyName }, page, pageSize }));
  });

  server.get<{ Params: NumberParams }>(`${base}/:Sid.json`, async (request, reply) => {
    const number = await app.phoneNumbers.get(request.params.AccountSid, request.params.Sid);
    if (!number) throw notFound(request.params);
    return sendJson(reply, 200, phoneNumberView(number));
  });

  server.post<{ Params: NumberParams; Body: FormValues }>(`${base}/:Sid.json`, async (request, reply) => {
    const settings = parseUpdatePhoneNumber(request.body ?? {}, app.callbackPolicy);
    const number = await app.phoneNumbers.update(request.params.AccountSid, request.params.Sid, settings, Date.now());
    if (!number) throw notFound(request.params);
    return sendJson(reply, 200, phoneNumberView(number));
  });

  server.delete<{ Params: NumberParams }>(`${base}/:Sid.json`, async (request, reply) => {
    if (!(await app.phoneNumbers.remove(request.params.AccountSid, request.params.Sid))) throw notFound(request.params);
    return reply.code(204).send();
  });
}
