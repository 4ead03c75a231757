/**
 * Entry point of the `paytone` command. It works on the database the server uses: the SQLite file in the data dir
 * (PAYTONE_DATA_DIR, default ./data) or PostgreSQL (DATABASE_URL), with the same vault key (PAYTONE_VAULT_KEY or
 * the data dir's key file).
 *
 * @example
 *   PAYTONE_DATA_DIR=/var/lib/paytone paytone keys create --account AC0123... --friendly-name "agent desktop"
 *   DATABASE_URL=postgres://paytone@db/paytone paytone migrate
 */
import path from 'node:path';
import { DATABASE_FILE, migrate, openDatabase, redactUrl } from '../store/database.js';
import { AccountStore } from '../store/accounts.js';
import { Vault } from '../vault/vault.js';
import { runCli } from './commands.js';
import { relayMcp, relaySettings } from './mcpRelay.js';

const dataDir = process.env.PAYTONE_DATA_DIR || './data';
const databaseUrl = process.env.DATABASE_URL || undefined;

process.exitCode = await runCli(process.argv.slice(2), {
  async openAccounts() {
    // A key file made here would seal with a key no server of the cluster has.
    if (databaseUrl && !process.env.PAYTONE_VAULT_KEY) throw new Error('PAYTONE_VAULT_KEY must be set with DATABASE_URL: use the key the servers use');
    const vault = await Vault.open({ dataDir, keyHex: process.env.PAYTONE_VAULT_KEY });
    const db = await openDatabase({ dataDir, databaseUrl });
    return { accounts: new AccountStore(db, vault), close: () => db.destroy() };
  },
  async migrate() {
    const db = await openDatabase({ dataDir, databaseUrl, migrations: 'skip', maxConnections: 1 });
    try {
      return { applied: await migrate(db), database: databaseUrl ? redactUrl(databaseUrl) : path.resolve(dataDir, DATABASE_FILE) };
    } finally {
      await db.destroy();
    }
  },
  async relayMcp() {
    const settings = relaySettings(process.env);
    if ('problem' in settings) throw new Error(`mcp: ${settings.problem}`);
    await relayMcp(settings, (text) => process.stderr.write(text + '\n'));
  },
  out: (text) => process.stdout.write(text + '\n'),
  err: (text) => process.stderr.write(text + '\n'),
});
