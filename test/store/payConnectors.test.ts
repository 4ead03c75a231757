/**
 * The connector store and the gateway ledger's send notes, on the embedded SQLite database and on PostgreSQL
 * (when a server answers): secrets sealed for their account and name, upserts that keep the creation date, a
 * create that refuses to replace, and a send counter that survives a new process.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { sql } from 'kysely';
import { openDatabase, type Db } from '../../src/store/database.js';
import { PayConnectorStore } from '../../src/store/payConnectors.js';
import { StoredGatewayLedger } from '../../src/store/gatewayLedger.js';
import { parseConnector } from '../../src/domain/connectorSettings.js';
import { summarizeGatewayRequest } from '../../src/connectors/connector.js';
import { Vault } from '../../src/vault/vault.js';
import { tempDataDir } from '../support/paytone.js';
import { cardRequest } from '../support/gatewayRequests.js';
import { postgresForTests, type ScratchDatabase } from '../support/postgres.js';

const AC = 'AC' + 'a'.repeat(32);
const OTHER = 'AC' + 'b'.repeat(32);
const PASSWORD = 'store-Secret-31f0';
const VAULT_KEY = 'cd'.repeat(32);

const pg = await postgresForTests();
const scratches: ScratchDatabase[] = [];
after(async () => Promise.all(scratches.map((s) => s.drop())));

const dialects: Array<[string, () => Promise<{ db: Db; read: (sql: string) => Promise<Record<string, unknown>[]> }>, string | false]> = [
  [
    'SQLite',
    async () => {
      const db = await openDatabase({ dataDir: tempDataDir() });
      return { db, read: async (text) => (await sql.raw<Record<string, unknown>>(text).execute(db)).rows };
    },
    false,
  ],
  [
    'PostgreSQL',
    async () => {
      const scratch = await pg.createDatabase();
      scratches.push(scratch);
      const db = await openDatabase({ dataDir: tempDataDir(), databaseUrl: scratch.url, migrations: 'auto' });
      return { db, read: (text) => scratch.query(text) };
    },
    pg.skip ?? false,
  ],
];

for (const [name, open, skip] of dialects) {
  describe(`PayConnectorStore on ${name}`, { skip }, () => {
    it('stores a connector with its secret sealed, reads it back, and refuses a second create', async () => {
      const { db, read } = await open();
      try {
        const vault = await Vault.open({ dataDir: tempDataDir(), keyHex: VAULT_KEY });
        let now = 1_000;
        const store = new PayConnectorStore(db, vault, () => now);
        const acme = parseConnector({ UniqueName: 'Acme', Type: 'generic', EndpointUrl: 'https://pay.example/x', Username: 'u', Password: PASSWORD });
        assert.equal(await store.save(AC, acme.definition, acme.secrets, { mustBeNew: true }), true);
        assert.equal(await store.save(AC, acme.definition, { password: 'other' }, { mustBeNew: true }), false, 'a create does not replace');
        now = 2_000;
        const changed = parseConnector({ Mode: 'live' }, acme);
        await store.save(AC, changed.definition, changed.secrets);
        const stored = await store.get(AC, 'Acme');
        assert.deepEqual(stored, { accountSid: AC, definition: changed.definition, secrets: { password: PASSWORD }, dateCreated: 1_000, dateUpdated: 2_000 });
        assert.equal(await store.get(OTHER, 'Acme'), null, 'connectors belong to their account');
        const rows = await read('SELECT settings, secrets_sealed FROM pay_connectors');
        assert.ok(!JSON.stringify(rows).includes(PASSWORD), 'no secret in clear in the table');

        await db.updateTable('pay_connectors').set({ unique_name: 'Copied' }).execute();
        await assert.rejects(store.get(AC, 'Copied'), /cannot unseal/, 'a sealed secret does not open under another name');
        assert.equal(await store.remove(AC, 'Copied'), true);
        assert.deepEqual(await store.list(AC), []);
      } finally {
        await db.destroy();
      }
    });

    it('notes each send of a transaction before it leaves', async () => {
      const { db } = await open();
      try {
        const request = cardRequest('4242424242424242');
        const summary = summarizeGatewayRequest(request);
        assert.equal(await new StoredGatewayLedger(db).markSent(summary), 0);
        assert.equal(await new StoredGatewayLedger(db).markSent(summary), 1, 'a later process learns the transaction was sent before');
        assert.equal(await new StoredGatewayLedger(db).find(request.transactionId), null);
      } finally {
        await db.destroy();
      }
    });
  });
}
