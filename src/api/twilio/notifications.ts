/**
 * Twilio's Notifications resource, read-only: the account's (`/Notifications.json`) and one call's
 * (`/Calls/{CallSid}/Notifications.json`), a page at a time, newest first, and each one by its sid.
 */
import type { FastifyInstance } from 'fastify';
import { payError } from '../../domain/errors.js';
import { formValue, type FormValues } from '../../domain/form.js';
import { notificationView } from '../../domain/notifications.js';
import type { AppContext } from '../../app/context.js';
import { sendJson } from '../reply.js';
import { listPage, pageQuery } from './listPage.js';

interface NotificationParams {
  AccountSid: string;
  CallSid?: string;
  Sid: string;
}

export function notificationRoutes(server: FastifyInstance, app: AppContext): void {
  const account = '/2010-04-01/Accounts/:AccountSid';
  for (const base of [`${account}/Notifications`, `${account}/Calls/:CallSid/Notifications`]) {
    server.get<{ Params: NotificationParams; Querystring: FormValues }>(`${base}.json`, async (request, reply) => {
      const { AccountSid, CallSid } = request.params;
      const query = request.query ?? {};
      const { page, pageSize } = pageQuery(query);
      const logGiven = formValue(query, 'Log');
      if (logGiven !== undefined && logGiven !== '0' && logGiven !== '1') throw payError(20001, `Log must be 0 (errors) or 1 (warnings); got ${JSON.stringify(logGiven.slice(0, 20))}.`);
      const log = logGiven === undefined ? undefined : logGiven === '1' ? 1 : 0;
      const rows = await app.notifications.list(AccountSid, { callSid: CallSid, log, limit: pageSize + 1, offset: page * pageSize });
      const path = CallSid === undefined ? `/2010-04-01/Accounts/${AccountSid}/Notifications.json` : `/2010-04-01/Accounts/${AccountSid}/Calls/${CallSid}/Notifications.json`;
      const views = rows.map((n) => notificationView(n, { instance: false }));
      return sendJson(reply, 200, listPage('notifications', views, { path, filters: { Log: logGiven }, page, pageSize }));
    });

    server.get<{ Params: NotificationParams }>(`${base}/:Sid.json`, async (request, reply) => {
      const { AccountSid, CallSid, Sid } = request.params;
      const notification = await app.notifications.get(AccountSid, Sid, CallSid);
      if (!notification) throw payError(20404, `Notification ${Sid} was not found in account ${AccountSid}.`);
      return sendJson(reply, 200, notificationView(notification, { instance: true }));
    });
  }
}
