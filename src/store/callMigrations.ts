/**
 * The migrations of real calls, listed with the others in migrations.ts: numbers, what a real call keeps, and
 * notifications. The same on SQLite and PostgreSQL.
 */
import { type Kysely, type Migration, sql } from 'kysely';

/** Twilio's IncomingPhoneNumbers: the numbers calls reach paytone on; one account per number. */
export const phoneNumbers: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('incoming_phone_numbers')
      .addColumn('sid', 'varchar(34)', (c) => c.primaryKey())
      .addColumn('account_sid', 'varchar(34)', (c) => c.notNull())
      .addColumn('phone_number', 'varchar(16)', (c) => c.notNull().unique())
      .addColumn('friendly_name', 'text', (c) => c.notNull())
      .addColumn('voice_url', 'text')
      .addColumn('voice_method', 'varchar(4)', (c) => c.notNull())
      .addColumn('voice_fallback_url', 'text')
      .addColumn('voice_fallback_method', 'varchar(4)', (c) => c.notNull())
      .addColumn('status_callback', 'text')
      .addColumn('status_callback_method', 'varchar(4)', (c) => c.notNull())
      .addColumn('voice_caller_id_lookup', 'integer', (c) => c.notNull())
      .addColumn('date_created', 'bigint', (c) => c.notNull())
      .addColumn('date_updated', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('phone_numbers_by_account').on('incoming_phone_numbers').columns(['account_sid', 'date_created']).execute();
  },
};

/**
 * Real calls: each call's place in a bridge (parent, number), how its TwiML is fetched (method, fallback), which
 * status callbacks it asked for and how many it has queued (the next one's SequenceNumber), its ring timeout, its
 * SIP identity and when it was answered; and the HTTP method of each callback in the outbox (null: POST).
 * Calls made before were sandbox calls, answered as they started.
 */
export const realCalls: Migration = {
  async up(db: Kysely<any>) {
    const callColumns: Array<[string, 'varchar(34)' | 'varchar(4)' | 'varchar(64)' | 'text' | 'integer' | 'bigint']> = [
      ['parent_call_sid', 'varchar(34)'],
      ['phone_number_sid', 'varchar(34)'],
      ['method', 'varchar(4)'],
      ['fallback_url', 'text'],
      ['fallback_method', 'varchar(4)'],
      ['status_callback_events', 'text'],
      ['timeout', 'integer'],
      ['sip_call_id', 'text'],
      ['sip_source_ip', 'varchar(64)'],
      ['answer_time', 'bigint'],
    ];
    // One column per statement: SQLite adds one at a time.
    for (const [name, type] of callColumns) await db.schema.alterTable('calls').addColumn(name, type).execute();
    await db.schema.alterTable('calls').addColumn('callbacks_sent', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await db.updateTable('calls').set({ answer_time: sql`start_time` }).execute();
    await db.schema.createIndex('calls_by_parent').on('calls').columns(['parent_call_sid']).execute();
    await db.schema.alterTable('session_events').addColumn('method', 'varchar(4)').execute();
  },
};

/** Twilio's Notifications: problems with a call's TwiML, listed per account and per call, newest first. */
export const notifications: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('notifications')
      .addColumn('sid', 'varchar(34)', (c) => c.primaryKey())
      .addColumn('account_sid', 'varchar(34)', (c) => c.notNull())
      .addColumn('call_sid', 'varchar(34)')
      .addColumn('log', 'integer', (c) => c.notNull())
      .addColumn('error_code', 'integer', (c) => c.notNull())
      .addColumn('message_text', 'text', (c) => c.notNull())
      .addColumn('request_url', 'text')
      .addColumn('request_method', 'varchar(4)')
      .addColumn('request_variables', 'text', (c) => c.notNull())
      .addColumn('response_headers', 'text', (c) => c.notNull())
      .addColumn('response_body', 'text', (c) => c.notNull())
      .addColumn('date_created', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('notifications_by_account').on('notifications').columns(['account_sid', 'date_created']).execute();
    await db.schema.createIndex('notifications_by_call').on('notifications').columns(['call_sid', 'date_created']).execute();
  },
};
