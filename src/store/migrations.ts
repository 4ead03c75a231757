/**
 * The one list of schema migrations, applied in order by Kysely's Migrator on SQLite and PostgreSQL alike.
 */
import { type Kysely, type Migration, type MigrationProvider, PostgresAdapter, sql } from 'kysely';
import { notifications, phoneNumbers, realCalls } from './callMigrations.js';
import { accountKeysMasked, keypressesByDue, sealedKeypresses } from './keypadMigrations.js';

const initial: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('accounts')
      .addColumn('sid', 'varchar(34)', (c) => c.primaryKey())
      .addColumn('friendly_name', 'text', (c) => c.notNull())
      .addColumn('auth_token_sealed', 'text', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('date_created', 'bigint', (c) => c.notNull())
      .addColumn('date_updated', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('api_keys')
      .addColumn('sid', 'varchar(34)', (c) => c.primaryKey())
      .addColumn('account_sid', 'varchar(34)', (c) => c.notNull().references('accounts.sid'))
      .addColumn('friendly_name', 'text', (c) => c.notNull())
      .addColumn('secret_hash', 'text', (c) => c.notNull())
      .addColumn('date_created', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('calls')
      .addColumn('sid', 'varchar(34)', (c) => c.primaryKey())
      .addColumn('account_sid', 'varchar(34)', (c) => c.notNull())
      .addColumn('to_number', 'text', (c) => c.notNull())
      .addColumn('from_number', 'text', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('direction', 'varchar(16)', (c) => c.notNull())
      .addColumn('url', 'text')
      .addColumn('twiml', 'text')
      .addColumn('status_callback', 'text')
      .addColumn('status_callback_method', 'varchar(8)')
      .addColumn('date_created', 'bigint', (c) => c.notNull())
      .addColumn('date_updated', 'bigint', (c) => c.notNull())
      .addColumn('start_time', 'bigint')
      .addColumn('end_time', 'bigint')
      .execute();
    await db.schema.createIndex('calls_by_account').on('calls').columns(['account_sid', 'date_created']).execute();
    await db.schema
      .createTable('payment_sessions')
      .addColumn('sid', 'varchar(34)', (c) => c.primaryKey())
      .addColumn('account_sid', 'varchar(34)', (c) => c.notNull())
      .addColumn('call_sid', 'varchar(34)', (c) => c.notNull())
      .addColumn('status', 'varchar(24)', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('sealed_secrets', 'text')
      .addColumn('deadline', 'bigint')
      .addColumn('date_created', 'bigint', (c) => c.notNull())
      .addColumn('date_updated', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('sessions_by_call').on('payment_sessions').columns(['call_sid', 'date_created']).execute();
    await db.schema.createIndex('sessions_by_status').on('payment_sessions').columns(['status']).execute();
    await db.schema
      .createTable('session_events')
      .addColumn('session_sid', 'varchar(34)', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('account_sid', 'varchar(34)', (c) => c.notNull())
      .addColumn('call_sid', 'varchar(34)', (c) => c.notNull())
      .addColumn('kind', 'varchar(16)', (c) => c.notNull())
      .addColumn('params', 'text', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('delivery_status', 'varchar(16)', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', 'bigint')
      .addColumn('last_attempt_at', 'bigint')
      .addColumn('last_response_code', 'integer')
      .addColumn('last_error', 'text')
      .addPrimaryKeyConstraint('session_events_pk', ['session_sid', 'seq'])
      .execute();
    await db.schema
      .createIndex('session_events_due')
      .on('session_events')
      .columns(['delivery_status', 'next_attempt_at'])
      .execute();
    await db.schema
      .createTable('idempotency_records')
      .addColumn('account_sid', 'varchar(34)', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('idempotency_key', 'text', (c) => c.notNull())
      .addColumn('fingerprint', 'varchar(64)', (c) => c.notNull())
      .addColumn('session_sid', 'varchar(34)', (c) => c.notNull())
      .addColumn('operation', 'integer', (c) => c.notNull())
      .addColumn('status_code', 'integer', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('idempotency_records_pk', ['account_sid', 'scope', 'idempotency_key', 'fingerprint'])
      .execute();
    await db.schema
      .createTable('gateway_transactions')
      .addColumn('transaction_id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('connector', 'text', (c) => c.notNull())
      .addColumn('method', 'varchar(16)', (c) => c.notNull())
      .addColumn('summary', 'text', (c) => c.notNull())
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};

/**
 * What several processes sharing one PostgreSQL database need: who is making a session's gateway call, leases on
 * the callbacks being sent, the sandbox keypad's queue in the database (so a keypress a process accepted survives
 * that process), and an index for the timer sweep. Harmless columns on SQLite, where one process owns everything.
 */
const cluster: Migration = {
  async up(db: Kysely<any>) {
    const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
    await db.schema.alterTable('payment_sessions').addColumn('gateway_owner', 'varchar(64)').execute();
    await db.schema.createIndex('sessions_by_deadline').on('payment_sessions').columns(['deadline']).execute();
    await db.schema.alterTable('session_events').addColumn('lease_owner', 'varchar(64)').execute();
    await db.schema.alterTable('session_events').addColumn('lease_until', 'bigint').execute();
    await db.schema
      .createTable('sandbox_keypresses')
      .addColumn('id', postgres ? 'bigserial' : 'integer', (c) => (postgres ? c.primaryKey() : c.primaryKey().autoIncrement()))
      .addColumn('call_sid', 'varchar(34)', (c) => c.notNull())
      .addColumn('key', 'varchar(1)', (c) => c.notNull())
      .addColumn('play_at', 'bigint', (c) => c.notNull())
      .addColumn('lease_owner', 'varchar(64)')
      .addColumn('lease_until', 'bigint')
      .execute();
    await db.schema.createIndex('keypresses_by_call').on('sandbox_keypresses').columns(['call_sid', 'id']).execute();
  },
};

/** The live event feed; its id orders an account's events for resume, so it must only ever grow. */
const liveEvents: Migration = {
  async up(db: Kysely<any>) {
    const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
    await db.schema
      .createTable('live_events')
      // SQLite's AUTOINCREMENT never reuses an id, even after the newest rows are deleted (until 0007_embedded_row_ids).
      .addColumn('id', postgres ? 'bigint' : 'integer', (c) => (postgres ? c.generatedAlwaysAsIdentity() : c.autoIncrement()).primaryKey())
      .addColumn('account_sid', 'varchar(34)', (c) => c.notNull())
      .addColumn('call_sid', 'varchar(34)', (c) => c.notNull())
      .addColumn('payment_sid', 'varchar(34)')
      .addColumn('kind', 'varchar(16)', (c) => c.notNull())
      .addColumn('params', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('live_events_by_account').on('live_events').columns(['account_sid', 'id']).execute();
  },
};

const payConnectors: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('pay_connectors')
      .addColumn('account_sid', 'varchar(34)', (c) => c.notNull())
      .addColumn('unique_name', 'varchar(64)', (c) => c.notNull())
      .addColumn('type', 'varchar(16)', (c) => c.notNull())
      .addColumn('mode', 'varchar(8)', (c) => c.notNull())
      .addColumn('settings', 'text', (c) => c.notNull())
      .addColumn('secrets_sealed', 'text')
      .addColumn('date_created', 'bigint', (c) => c.notNull())
      .addColumn('date_updated', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('pay_connectors_pk', ['account_sid', 'unique_name'])
      .execute();
    await db.schema
      .createTable('gateway_sends')
      .addColumn('transaction_id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('connector', 'text', (c) => c.notNull())
      .addColumn('sends', 'integer', (c) => c.notNull())
      .addColumn('first_sent_at', 'bigint', (c) => c.notNull())
      .addColumn('last_sent_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};

/**
 * The audit trail. Append-only is enforced by the database, not just by the code having no UPDATE or DELETE:
 * triggers refuse both (and TRUNCATE on PostgreSQL), whoever connects.
 */
const auditLog: Migration = {
  async up(db: Kysely<any>) {
    const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
    await db.schema
      .createTable('audit_log')
      .addColumn('id', postgres ? 'bigint' : 'integer', (c) => (postgres ? c.generatedAlwaysAsIdentity() : c.autoIncrement()).primaryKey())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('account_sid', 'varchar(34)', (c) => c.notNull())
      .addColumn('credential', 'varchar(34)', (c) => c.notNull())
      .addColumn('source_ip', 'varchar(64)', (c) => c.notNull())
      .addColumn('user_agent', 'text')
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('method', 'varchar(8)', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('call_sid', 'varchar(34)')
      .addColumn('payment_sid', 'varchar(34)')
      .addColumn('status_code', 'integer', (c) => c.notNull())
      .addColumn('error_code', 'integer')
      .addColumn('parameters', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('audit_log_by_account').on('audit_log').columns(['account_sid', 'id']).execute();
    await db.schema.createIndex('audit_log_by_payment').on('audit_log').columns(['payment_sid', 'id']).execute();
    await db.schema.createIndex('audit_log_by_call').on('audit_log').columns(['call_sid', 'id']).execute();
    if (postgres) {
      await sql`CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP; END $$`.execute(db);
      await sql`CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`.execute(db);
      await sql`CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()`.execute(db);
    } else {
      for (const operation of ['UPDATE', 'DELETE']) {
        await sql`CREATE TRIGGER ${sql.raw(`audit_log_no_${operation.toLowerCase()}`)} BEFORE ${sql.raw(operation)} ON audit_log
          BEGIN SELECT RAISE(ABORT, ${sql.lit(`audit_log is append-only: ${operation} refused`)}); END`.execute(db);
      }
    }
  },
};

/**
 * The embedded store keeps no index on session deadlines: one process holds every timer in memory and re-arms them
 * from the unfinished sessions after a restart, so only the cluster's timer sweep (PostgreSQL) looks sessions up by
 * deadline. Each keypress moves its session's deadline, and the index cost SQLite two index writes per key.
 */
const embeddedTimers: Migration = {
  async up(db: Kysely<any>) {
    if (db.getExecutor().adapter instanceof PostgresAdapter) return;
    await db.schema.dropIndex('sessions_by_deadline').execute();
  },
};

/** The embedded tables that numbered their rows with AUTOINCREMENT until `embeddedRowIds`. */
const RENUMBERED_TABLES = ['live_events', 'audit_log'] as const;

/**
 * The embedded feed and audit trail number their rows as SQLite numbers any row: one past the largest id. With
 * AUTOINCREMENT every insert also read and rewrote the table's entry in `sqlite_sequence`: 19 of a payment
 * create's 124 us of writes in a standalone loop (BENCHMARKS.md, ninth round). It buys a promise neither table
 * needs: AUTOINCREMENT only differs once the newest rows have been deleted, and no row of either is ever deleted
 * (the audit trail's triggers refuse it). Ids stay in commit order (one writer), so a feed still resumes after the
 * last id a client saw.
 *
 * SQLite cannot change a column's definition in place: each table is rebuilt from its own stored definition
 * without the keyword, rows copied with their ids, and its indexes and triggers (the audit trail's refusals) made
 * again from their stored definitions, all in one transaction. Run again, it rebuilds the same table unchanged.
 * PostgreSQL's identity columns have no such cost and are left alone.
 */
const embeddedRowIds: Migration = {
  async up(db: Kysely<any>) {
    if (db.getExecutor().adapter instanceof PostgresAdapter) return;
    await db.transaction().execute(async (trx) => {
      for (const table of RENUMBERED_TABLES) await rebuildWithoutAutoincrement(trx, table);
    });
  },
};

async function rebuildWithoutAutoincrement(trx: Kysely<any>, table: string): Promise<void> {
  const { rows } = await sql<{ type: string; sql: string }>`select type, sql from sqlite_master where tbl_name = ${table} and sql is not null`.execute(trx);
  const definition = rows.find((r) => r.type === 'table')?.sql;
  if (!definition) throw new Error(`table ${table} is missing`);
  const rebuilt = `${table}_rebuilt`;
  const columns = (await sql<{ name: string }>`select name from pragma_table_info(${table})`.execute(trx)).rows.map((c) => `"${c.name}"`).join(', ');
  const createRebuilt = definition.replace(/^CREATE TABLE\s+("?)\w+\1/i, `create table "${rebuilt}"`).replace(/\s+autoincrement\b/gi, '');
  await sql.raw(createRebuilt).execute(trx);
  await sql.raw(`insert into "${rebuilt}" (${columns}) select ${columns} from "${table}" order by rowid`).execute(trx);
  // Dropping the table drops its indexes and triggers (no trigger fires) and its sqlite_sequence entry.
  await sql.raw(`drop table "${table}"`).execute(trx);
  await sql.raw(`alter table "${rebuilt}" rename to "${table}"`).execute(trx);
  for (const other of rows.filter((r) => r.type !== 'table')) await sql.raw(other.sql).execute(trx);
}

export const migrations: Record<string, Migration> = {
  '0001_initial': initial,
  '0002_pay_connectors': payConnectors,
  '0003_live_events': liveEvents,
  '0005_cluster': cluster,
  '0004_audit_log': auditLog,
  '0006_embedded_timers': embeddedTimers,
  '0007_embedded_row_ids': embeddedRowIds,
  '0008_phone_numbers': phoneNumbers,
  '0009_real_calls': realCalls,
  '0010_notifications': notifications,
  '0011_sealed_keypresses': sealedKeypresses,
  '0013_keypresses_by_due': keypressesByDue,
  '0014_account_keys_masked': accountKeysMasked,
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
