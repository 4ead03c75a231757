#!/usr/bin/env node
/**
 * Entry point of the `paytone` command. It works on the data dir the server uses (PAYTONE_DATA_DIR, default
 * ./data) with the same vault key (PAYTONE_VAULT_KEY or the data dir's key file).
 *
 * @example
 *   PAYTONE_DATA_DIR=/var/lib/paytone paytone keys create --account AC0123... --friendly-name "agent desktop"
 */
import { openDatabase } from '../store/database.js';
import { AccountStore } from '../store/accounts.js';
import { Vault } from '../vault/vault.js';
import { runCli } from './commands.js';

const dataDir = process.env.PAYTONE_DATA_DIR || './data';

process.exitCode = await runCli(process.argv.slice(2), {
  async openAccounts() {
    const vault = await Vault.open({ dataDir, keyHex: process.env.PAYTONE_VAULT_KEY });
    const db = await openDatabase({ dataDir });
    return { accounts: new AccountStore(db, vault), close: () => db.destroy() };
  },
  out: (text) => process.stdout.write(text + '\n'),
  err: (text) => process.stderr.write(text + '\n'),
});
