/**
 * Twilio's Calls resource: create (a sandbox call answered at once, or a real one queued for the SIP side), fetch,
 * list, hang up. Extension: a real call's keypad counts (`Keypad.json`): keys per transport, masked keys, the
 * in-band detector's rejections; counts only, never a key.
 */
import type { FastifyInstance } from 'fastify';
import { payError } from '../../domain/errors.js';
import { parseCreateCall, parseUpdateCall } from '../../domain/callParams.js';
import { webhookUrl } from '../../domain/webhookParams.js';
import { callView, isFinalStatus } from '../../domain/callView.js';
import type { FormValues } from '../../domain/form.js';
import type { AppContext } from '../../app/context.js';
import { sendJson } from '../reply.js';
import { listPage, pageQuery } from './listPage.js';

interface CallParams {
  AccountSid: string;
  CallSid: string;
}

export function callRoutes(server: FastifyInstance, app: AppContext): void {
  const base = '/2010-04-01/Accounts/:AccountSid';
  const findCall = async (p: CallParams) => {
    const call = await app.calls.get(p.AccountSid, p.CallSid);
    if (!call) throw payError(20404, `Call ${p.CallSid} was not found in account ${p.AccountSid}.`);
    return call;
  };

  server.post<{ Params: CallParams; Body: FormValues }>(`${base}/Calls.json`, async (request, reply) => {
    const parsed = parseCreateCall(request.body ?? {}, app.callbackPolicy);
    const call = await app.placedCalls.place(request.params.AccountSid, parsed);
    return sendJson(reply, 201, callView(call));
  });

  server.get<{ Params: CallParams; Querystring: FormValues }>(`${base}/Calls.json`, async (request, reply) => {
    const query = request.query ?? {};
    const { page, pageSize } = pageQuery(query);
    const filter = {
      status: typeof query.Status === 'string' ? query.Status : undefined,
      to: typeof query.To === 'string' ? query.To : undefined,
      from: typeof query.From === 'string' ? query.From : undefined,
      parentCallSid: typeof query.ParentCallSid === 'string' ? query.ParentCallSid : undefined,
    };
    const accountSid = request.params.AccountSid;
    const rows = await app.calls.list(accountSid, { ...filter, limit: pageSize + 1, offset: page * pageSize });
    const path = `/2010-04-01/Accounts/${accountSid}/Calls.json`;
    return sendJson(reply, 200, listPage('calls', rows.map(callView), { path, filters: { To: filter.to, From: filter.from, Status: filter.status, ParentCallSid: filter.parentCallSid }, page, pageSize }));
  });

  server.get<{ Params: CallParams }>(`${base}/Calls/:CallSid.json`, async (request, reply) => {
    return sendJson(reply, 200, callView(await findCall(request.params)));
  });

  server.get<{ Params: CallParams }>(`${base}/Calls/:CallSid/Keypad.json`, async (request, reply) => {
    const call = await findCall(request.params);
    const held = app.callKeypads.countsOf(call.sid);
    if (held === null) {
      throw payError(20404, `Call ${call.sid} has no keypad counts here: it is a sandbox call (its keys come from Dtmf.json), or a real call another process of the cluster holds, or one that ended long ago.`);
    }
    const { counts } = held;
    return sendJson(reply, 200, {
      account_sid: call.accountSid,
      call_sid: call.sid,
      live: held.live,
      keys: { rfc4733: counts.rfc4733, sip_info: counts.sipInfo, in_band: counts.inBand },
      same_key_again: counts.sameKeyAgain,
      masked: counts.masked,
      detector_rejections: counts.rejected,
      uri: `/2010-04-01/Accounts/${call.accountSid}/Calls/${call.sid}/Keypad.json`,
    });
  });

  server.post<{ Params: CallParams; Body: FormValues }>(`${base}/Calls/:CallSid.json`, async (request, reply) => {
    const update = parseUpdateCall(request.body ?? {});
    let call = await findCall(request.params);
    if (update.status) call = await app.placedCalls.hangUp(call, update.status);
    else if ((update.twiml !== null || update.url !== null) && isFinalStatus(call.status)) {
      throw payError(21220, `Call ${call.sid} is ${call.status}, not in progress: it cannot be redirected to other TwiML.`);
    } else if (update.twiml !== null) app.callRunner.redirect(call.sid, { kind: 'twiml', text: update.twiml });
    else if (update.url !== null && app.callRunner.runs(call.sid)) {
      // paytone requests it: it must pass the callback policy.
      const url = webhookUrl('Url', update.url, app.callbackPolicy);
      app.callRunner.redirect(call.sid, { kind: 'request', url, method: update.method, fallback: null, params: {}, evenIfHungUp: false });
    }
    return sendJson(reply, 200, callView(call));
  });
}
