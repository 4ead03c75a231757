/**
 * The account paytone serves at start-up. With PAYTONE_ACCOUNT_SID and PAYTONE_AUTH_TOKEN set, that account is
 * created or its token updated. With neither, a development account is made on the first start and its
 * credentials shown once; its sid (never its token) is remembered in `dev-account.json` so later starts
 * reuse it, printing its sid and how to get credentials again.
 *
 * The token is printed only to a terminal. When the output is not one (a service manager, a container, a pipe to a
 * log shipper), it would live on in the logs: it goes to `dev-credentials.txt` in the data dir instead (mode 0600),
 * and the output says so.
 *
 * @example
 *   const { accountSid } = await bootstrapAccount({ accounts, env: process.env, dataDir, print: console.log });
 */
import fs from 'node:fs';
import path from 'node:path';
import { isSid, newSid } from '../domain/sids.js';
import { accountVariableProblems } from '../config.js';
import type { AccountStore } from '../store/accounts.js';

export const DEV_ACCOUNT_FILE = 'dev-account.json';
export const DEV_CREDENTIALS_FILE = 'dev-credentials.txt';
const DEV_ACCOUNT_NAME = 'Development account';

export interface BootstrapOptions {
  accounts: AccountStore;
  env: Record<string, string | undefined>;
  dataDir: string;
  /** Where the one-time credentials block goes (the console). */
  print: (text: string) => void;
  /** Whether `print` reaches a terminal; if not, the token goes to a file only the server's user can read. */
  toTerminal: boolean;
}

/**
 * Makes sure the start-up account exists; `created` is true when this call created it.
 *
 * @example
 *   await bootstrapAccount({ accounts, env: { PAYTONE_ACCOUNT_SID: 'AC…', PAYTONE_AUTH_TOKEN: '…' }, dataDir, print });
 */
export async function bootstrapAccount(options: BootstrapOptions): Promise<{ accountSid: string; created: boolean }> {
  const sid = options.env.PAYTONE_ACCOUNT_SID || undefined;
  const token = options.env.PAYTONE_AUTH_TOKEN || undefined;
  const [problem] = accountVariableProblems(options.env);
  if (problem !== undefined) throw new Error(problem);
  if (sid === undefined || token === undefined) return developmentAccount(options);
  const existed = (await options.accounts.getAccount(sid)) !== null;
  await options.accounts.upsertAccount(sid, token);
  return { accountSid: sid, created: !existed };
}

async function developmentAccount(options: BootstrapOptions): Promise<{ accountSid: string; created: boolean }> {
  const file = path.join(options.dataDir, DEV_ACCOUNT_FILE);
  const remembered = readDevAccountSid(file);
  if (remembered !== null && (await options.accounts.getAccount(remembered))) {
    options.print(reuseNotice(remembered, path.join(options.dataDir, DEV_CREDENTIALS_FILE)));
    return { accountSid: remembered, created: false };
  }
  // The sid is written down before the account is created: a crash in between leaves a reservation that the
  // next start fills, never a second development account.
  const sid = remembered ?? newSid('AC');
  if (remembered === null) writeDevAccountSid(file, sid);
  const { authToken } = await options.accounts.createAccount({ sid, friendlyName: DEV_ACCOUNT_NAME });
  const credentials = credentialsBlock(sid, authToken, options.env);
  if (options.toTerminal) options.print(credentials);
  else {
    const secretFile = path.join(options.dataDir, DEV_CREDENTIALS_FILE);
    writePrivately(secretFile, `${credentials}\n`);
    options.print(
      `paytone created a development account, ${sid}. Its auth token is not printed, since this output is not a terminal ` +
        `(a log would keep it): it is in ${secretFile}, readable by this user only. Read it, then delete the file.`,
    );
  }
  return { accountSid: sid, created: true };
}

function readDevAccountSid(file: string): string | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let sid: unknown;
  try {
    sid = (JSON.parse(text) as { account_sid?: unknown }).account_sid;
  } catch {
    sid = undefined;
  }
  if (!isSid('AC', sid)) throw new Error(`${file} is malformed: it must be {"account_sid": "AC..."}; delete it to create a new development account`);
  return sid;
}

function writeDevAccountSid(file: string, sid: string): void {
  writePrivately(file, JSON.stringify({ account_sid: sid }) + '\n');
}

/** Writes `text` to `file` whole or not at all, readable by this user only. */
function writePrivately(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const draft = `${file}.${process.pid}.draft`;
  fs.writeFileSync(draft, text, { mode: 0o600 });
  fs.renameSync(draft, file);
}

/**
 * What a later start says: the token was shown once and is not shown again, so the newcomer who lost it learns
 * the sid and the two ways back in (an API key, or a token of their own choosing).
 */
function reuseNotice(sid: string, secretFile: string): string {
  const stillOnDisk = fs.existsSync(secretFile) ? [`  Its first auth token is still in ${secretFile}: read it, then delete the file.`] : [];
  return [
    `paytone is using the development account ${sid}, made on its first start, which showed its auth token once.`,
    ...stillOnDisk,
    '  To get credentials again: `npx paytone keys create --account ' + sid + '` prints an API key and its secret,',
    `  used as twilio('SK...', '<secret>', { accountSid: '${sid}' }); or start paytone with`,
    `  PAYTONE_ACCOUNT_SID=${sid} and PAYTONE_AUTH_TOKEN set to 32 hex characters of your choosing.`,
  ].join('\n');
}

function credentialsBlock(sid: string, authToken: string, env: BootstrapOptions['env']): string {
  const baseUrl = `http://${env.HOST || '127.0.0.1'}:${env.PORT || '8080'}`;
  return [
    'paytone created a development account. Its auth token is shown only this once:',
    '',
    `  AccountSid  ${sid}`,
    `  AuthToken   ${authToken}`,
    '',
    'Use them as your Twilio credentials and point the client at this server, e.g. with the twilio npm package:',
    `  const client = twilio('${sid}', '<AuthToken>'); client.api.baseUrl = '${baseUrl}';`,
    'Set PAYTONE_ACCOUNT_SID and PAYTONE_AUTH_TOKEN to choose your own, or run `paytone keys create` for an API key.',
  ].join('\n');
}
