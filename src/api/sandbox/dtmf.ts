/**
 * The sandbox caller's keypad: `POST /sandbox/Accounts/{AC}/Calls/{CA}/Dtmf.json` with `Digits`.
 * 202: the digits are queued and reach the call in order, paced like a person typing. A GET says how many have
 * not reached the call yet.
 */
import type { FastifyInstance } from 'fastify';
import { payError } from '../../domain/errors.js';
import { formRequired, type FormValues } from '../../domain/form.js';
import type { AppContext } from '../../app/context.js';
import { sendJson } from '../reply.js';

interface DtmfParams {
  AccountSid: string;
  CallSid: string;
}

export function sandboxRoutes(server: FastifyInstance, app: AppContext): void {
  server.post<{ Params: DtmfParams; Body: FormValues }>('/sandbox/Accounts/:AccountSid/Calls/:CallSid/Dtmf.json', async (request, reply) => {
    const { AccountSid, CallSid } = request.params;
    const call = await app.calls.get(AccountSid, CallSid);
    if (!call) throw payError(20404, `Call ${CallSid} was not found in account ${AccountSid}.`);
    const digits = formRequired(request.body ?? {}, 'Digits');
    await app.telephony.pressKeys(call, digits);
    // The digits themselves are never echoed: they may be a card number.
    return sendJson(reply, 202, { account_sid: AccountSid, call_sid: CallSid, queued: digits.length });
  });

  // How many keys have not reached the call yet: a script playing the caller waits for 0 before the agent's next step.
  server.get<{ Params: DtmfParams }>('/sandbox/Accounts/:AccountSid/Calls/:CallSid/Dtmf.json', async (request, reply) => {
    const { AccountSid, CallSid } = request.params;
    const call = await app.calls.get(AccountSid, CallSid);
    if (!call) throw payError(20404, `Call ${CallSid} was not found in account ${AccountSid}.`);
    return sendJson(reply, 200, { account_sid: AccountSid, call_sid: CallSid, queued: await app.telephony.queuedKeys(CallSid) });
  });
}

/**
 * A StatusCallback that takes every callback and keeps nothing, so that a session run by hand from the console
 * needs no receiver of its own (its events are on the live stream). Answers 204, as a receiver that is done.
 */
export function sandboxCallbackSink(server: FastifyInstance): void {
  server.post('/sandbox/StatusCallbacks', async (_request, reply) => reply.code(204).send());
}
