/**
 * Notifications: problems with calls' TwiML, kept so that `GET .../Notifications.json` (the account's) and
 * `GET .../Calls/{CallSid}/Notifications.json` (one call's) can show them, newest first.
 *
 * @example
 *   await notifications.insert(newNotification({ sid: newSid('NO'), call, problem, request, now }));
 *   await notifications.list(accountSid, { callSid, limit: 51, offset: 0 });
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database, NotificationsTable } from './schema.js';
import type { NotificationLog, NotificationRecord } from '../domain/notifications.js';

export interface NotificationListFilter {
  callSid?: string;
  log?: NotificationLog;
  limit: number;
  offset: number;
}

function toRecord(row: Selectable<NotificationsTable>): NotificationRecord {
  return {
    sid: row.sid,
    accountSid: row.account_sid,
    callSid: row.call_sid,
    log: Number(row.log) === 1 ? 1 : 0,
    errorCode: Number(row.error_code),
    messageText: row.message_text,
    requestUrl: row.request_url,
    requestMethod: row.request_method === 'GET' ? 'GET' : row.request_method === 'POST' ? 'POST' : null,
    requestVariables: row.request_variables,
    responseHeaders: row.response_headers,
    responseBody: row.response_body,
    dateCreated: Number(row.date_created),
  };
}

export class NotificationStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(n: NotificationRecord): Promise<void> {
    await this.db
      .insertInto('notifications')
      .values({
        sid: n.sid,
        account_sid: n.accountSid,
        call_sid: n.callSid,
        log: n.log,
        error_code: n.errorCode,
        message_text: n.messageText,
        request_url: n.requestUrl,
        request_method: n.requestMethod,
        request_variables: n.requestVariables,
        response_headers: n.responseHeaders,
        response_body: n.responseBody,
        date_created: n.dateCreated,
      })
      .execute();
  }

  /** One of the account's notifications; with `callSid`, only if it belongs to that call. */
  async get(accountSid: string, sid: string, callSid?: string): Promise<NotificationRecord | null> {
    let query = this.db.selectFrom('notifications').selectAll().where('sid', '=', sid).where('account_sid', '=', accountSid);
    if (callSid !== undefined) query = query.where('call_sid', '=', callSid);
    const row = await query.executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async list(accountSid: string, filter: NotificationListFilter): Promise<NotificationRecord[]> {
    let query = this.db.selectFrom('notifications').selectAll().where('account_sid', '=', accountSid);
    if (filter.callSid !== undefined) query = query.where('call_sid', '=', filter.callSid);
    if (filter.log !== undefined) query = query.where('log', '=', filter.log);
    const rows = await query.orderBy('date_created', 'desc').orderBy('sid', 'desc').limit(filter.limit).offset(filter.offset).execute();
    return rows.map(toRecord);
  }
}
