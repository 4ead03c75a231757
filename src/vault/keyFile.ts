/**
 * Where the vault's 256-bit key comes from: `PAYTONE_VAULT_KEY` when the operator sets it, otherwise a
 * key file `vault.key` in the data dir, made on first start and re-read on later ones. The key must never
 * be readable by other users: a key file open to group or others is refused rather than silently used.
 *
 * @example
 *   const key = loadVaultKey({ dataDir: './data', keyHex: process.env.PAYTONE_VAULT_KEY });
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const VAULT_KEY_FILE = 'vault.key';
export const VAULT_KEY_VARIABLE = 'PAYTONE_VAULT_KEY';

const KEY_BYTES = 32;
const KEY_HEX = /^[0-9a-f]{64}$/i;

export interface VaultKeyOptions {
  dataDir: string;
  /** The value of PAYTONE_VAULT_KEY; empty or undefined means "use the key file". */
  keyHex?: string;
}

/**
 * The vault key as 32 bytes.
 *
 * @example
 *   loadVaultKey({ dataDir: '/var/lib/paytone' }); // creates /var/lib/paytone/vault.key (0600) the first time
 */
export function loadVaultKey(options: VaultKeyOptions): Buffer {
  if (options.keyHex !== undefined && options.keyHex !== '') {
    return parseKeyHex(options.keyHex.trim(), `${VAULT_KEY_VARIABLE} must be 64 hex characters (32 bytes), e.g. the output of \`openssl rand -hex 32\``);
  }
  const file = path.join(options.dataDir, VAULT_KEY_FILE);
  return readKeyFile(file) ?? createKeyFile(file);
}

function parseKeyHex(text: string, problem: string): Buffer {
  if (!KEY_HEX.test(text)) throw new Error(problem);
  return Buffer.from(text, 'hex');
}

function readKeyFile(file: string): Buffer | null {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  // POSIX permission bits mean nothing on Windows; there the data dir's ACL is the only guard.
  if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(3, '0');
    throw new Error(`vault key file ${file} is readable by other users (mode ${mode}); run \`chmod 600 ${file}\` and start again`);
  }
  return parseKeyHex(
    fs.readFileSync(file, 'utf8').trim(),
    `vault key file ${file} is malformed: it must hold 64 hex characters (32 bytes); restore it from your backup, or set ${VAULT_KEY_VARIABLE}`,
  );
}

function createKeyFile(file: string): Buffer {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_BYTES);
  // Written aside, then linked into place: the key file appears complete or not at all, and when two
  // processes start together exactly one link succeeds; the other reads the winner's key.
  const draft = `${file}.${process.pid}.draft`;
  fs.rmSync(draft, { force: true });
  const fd = fs.openSync(draft, 'wx', 0o600);
  try {
    fs.writeSync(fd, key.toString('hex') + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.linkSync(draft, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const winner = readKeyFile(file);
    if (winner === null) throw new Error(`vault key file ${file} vanished while paytone was starting; start again`);
    return winner;
  } finally {
    fs.rmSync(draft, { force: true });
  }
  return key;
}
