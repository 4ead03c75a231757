/**
 * Migrations of the cluster's stored keypad (src/store/keypresses.ts).
 */
import type { Kysely, Migration } from 'kysely';

/**
 * Queued keys sealed with the vault: `key` held each key a caller typed in clear, and PostgreSQL keeps a deleted
 * row's bytes in its dead tuples and its WAL until they are reused, so a card number typed on the sandbox keypad
 * stayed readable there after it was played. `key_sealed` holds each key sealed for its call. Keys still queued
 * when the migration runs cannot be sealed (migrations have no vault key) and are dropped, as a hang-up drops them.
 */
export const sealedKeypresses: Migration = {
  async up(db: Kysely<any>) {
    await db.deleteFrom('sandbox_keypresses').execute();
    await db.schema.alterTable('sandbox_keypresses').dropColumn('key').execute();
    await db.schema.alterTable('sandbox_keypresses').addColumn('key_sealed', 'text', (c) => c.notNull()).execute();
  },
};

/**
 * Which keys of a real call an account masks from the agent: those typed during a pay session (the default), or
 * every key, IVR menus and talk with the agent included (`paytone accounts update --mask-keys always`).
 */
export const accountKeysMasked: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('accounts').addColumn('keys_masked', 'varchar(16)', (c) => c.notNull().defaultTo('pay-sessions')).execute();
  },
};

/**
 * The queue in the order keys fall due: every claim takes the due heads by `play_at`, and every pass asks when the
 * next key is due. Without it each was a scan and a sort of the whole queue, which made PostgreSQL's CPU the
 * cluster's limit once many keys were queued (with 17,000 queued, a claim took 59 ms, 0.16 ms with the index).
 */
export const keypressesByDue: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createIndex('keypresses_by_due').on('sandbox_keypresses').columns(['play_at', 'id']).execute();
  },
};
