/**
 * The numbers calls reach paytone on. A number is unique over the installation, so an INVITE for it finds its
 * account (`findByNumber`); every other read is scoped to an account.
 *
 * @example
 *   const numbers = new PhoneNumberStore(db);
 *   await numbers.insert(record);                      // false: another account or number already has it
 *   await numbers.findByNumber('+15551230001');        // the record an inbound call is routed by
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database, IncomingPhoneNumbersTable } from './schema.js';
import type { PhoneNumberRecord, PhoneNumberSettings } from '../domain/phoneNumbers.js';
import type { HttpMethod } from '../domain/webhookParams.js';
import { builtOnce, type Param } from './compiledQuery.js';

export interface PhoneNumberListFilter {
  phoneNumber?: string;
  friendlyName?: string;
  limit: number;
  offset: number;
}

const COLUMNS: { [K in keyof PhoneNumberSettings]-?: keyof IncomingPhoneNumbersTable } = {
  friendlyName: 'friendly_name',
  voiceUrl: 'voice_url',
  voiceMethod: 'voice_method',
  voiceFallbackUrl: 'voice_fallback_url',
  voiceFallbackMethod: 'voice_fallback_method',
  statusCallback: 'status_callback',
  statusCallbackMethod: 'status_callback_method',
  voiceCallerIdLookup: 'voice_caller_id_lookup',
};

const numberByValue = builtOnce((db, p: Param<{ phoneNumber: string }>) => db.selectFrom('incoming_phone_numbers').selectAll().where('phone_number', '=', p('phoneNumber')));

function toRecord(row: Selectable<IncomingPhoneNumbersTable>): PhoneNumberRecord {
  return {
    sid: row.sid,
    accountSid: row.account_sid,
    phoneNumber: row.phone_number,
    friendlyName: row.friendly_name,
    voiceUrl: row.voice_url,
    voiceMethod: row.voice_method as HttpMethod,
    voiceFallbackUrl: row.voice_fallback_url,
    voiceFallbackMethod: row.voice_fallback_method as HttpMethod,
    statusCallback: row.status_callback,
    statusCallbackMethod: row.status_callback_method as HttpMethod,
    voiceCallerIdLookup: Number(row.voice_caller_id_lookup) === 1,
    dateCreated: Number(row.date_created),
    dateUpdated: Number(row.date_updated),
  };
}

function columnsOf(settings: PhoneNumberSettings): Partial<IncomingPhoneNumbersTable> {
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings) as Array<[keyof PhoneNumberSettings, unknown]>) {
    if (value !== undefined) values[COLUMNS[key]] = typeof value === 'boolean' ? Number(value) : value;
  }
  return values as Partial<IncomingPhoneNumbersTable>;
}

export class PhoneNumberStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Stores a new number; false (and nothing stored) when the number is already registered, here or elsewhere. */
  async insert(n: PhoneNumberRecord): Promise<boolean> {
    const { sid, accountSid, phoneNumber, dateCreated, dateUpdated, ...settings } = n;
    const result = await this.db
      .insertInto('incoming_phone_numbers')
      .values({ sid, account_sid: accountSid, phone_number: phoneNumber, date_created: dateCreated, date_updated: dateUpdated, ...columnsOf(settings) } as IncomingPhoneNumbersTable)
      .onConflict((oc) => oc.column('phone_number').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async get(accountSid: string, sid: string): Promise<PhoneNumberRecord | null> {
    const row = await this.db.selectFrom('incoming_phone_numbers').selectAll().where('sid', '=', sid).where('account_sid', '=', accountSid).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  /** The number an inbound call is for, whichever account has it; null when none does. */
  async findByNumber(phoneNumber: string): Promise<PhoneNumberRecord | null> {
    const [row] = (await numberByValue.execute(this.db, { phoneNumber })).rows;
    return row ? toRecord(row) : null;
  }

  /** Newest first, as Twilio lists them. */
  async list(accountSid: string, filter: PhoneNumberListFilter): Promise<PhoneNumberRecord[]> {
    let query = this.db.selectFrom('incoming_phone_numbers').selectAll().where('account_sid', '=', accountSid);
    if (filter.phoneNumber) query = query.where('phone_number', '=', filter.phoneNumber);
    if (filter.friendlyName) query = query.where('friendly_name', '=', filter.friendlyName);
    const rows = await query.orderBy('date_created', 'desc').orderBy('sid', 'desc').limit(filter.limit).offset(filter.offset).execute();
    return rows.map(toRecord);
  }

  /** Applies the settings; the updated record, or null when the account has no such number. */
  async update(accountSid: string, sid: string, settings: PhoneNumberSettings, now: number): Promise<PhoneNumberRecord | null> {
    await this.db
      .updateTable('incoming_phone_numbers')
      .set({ ...columnsOf(settings), date_updated: now })
      .where('sid', '=', sid)
      .where('account_sid', '=', accountSid)
      .execute();
    return this.get(accountSid, sid);
  }

  async remove(accountSid: string, sid: string): Promise<boolean> {
    const result = await this.db.deleteFrom('incoming_phone_numbers').where('sid', '=', sid).where('account_sid', '=', accountSid).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
