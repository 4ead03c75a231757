/**
 * The `paytone` commands: managing accounts and API keys in the data dir the server uses. Each command
 * declares its words, usage line and options; `runCli` parses argv, checks it against that declaration and
 * runs the command. Human text by default, `--json` for scripts. Secrets are printed once, at creation.
 *
 * @example
 *   const code = await runCli(['keys', 'create', '--account', 'AC…'], { openAccounts, out, err });
 */
import { parseArgs } from 'node:util';
import { isSecret, isSid } from '../domain/sids.js';
import { KEYS_MASKED, type AccountRecord, type AccountStore, type ApiKeyRecord, type KeysMasked } from '../store/accounts.js';

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

export interface CliIo {
  /** Opens the store of the data dir; called only by commands that need it. */
  openAccounts: () => Promise<{ accounts: AccountStore; close: () => Promise<void> }>;
  /** Applies the database's pending migrations; returns their names and which database it was (password hidden). */
  migrate: () => Promise<{ applied: string[]; database: string }>;
  /** Serves MCP on stdin/stdout, relaying to a running paytone, until stdin ends (mcpRelay.ts). */
  relayMcp: () => Promise<void>;
  out: (text: string) => void;
  err: (text: string) => void;
}

/** A mistake in the command line: it is explained, the usage is shown and the exit code is 2. */
class UsageError extends Error {
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message);
  }
}

const OPTIONS = {
  'friendly-name': { type: 'string' },
  sid: { type: 'string' },
  'auth-token': { type: 'string' },
  account: { type: 'string' },
  'mask-keys': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type OptionName = keyof typeof OPTIONS;
type Values = { [K in OptionName]?: (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean };

const AC_SID = { test: (v: string) => isSid('AC', v), form: '"AC" followed by 32 hex characters' };
/** The shape each string option must have, checked before anything is opened. */
const OPTION_FORMS: Partial<Record<OptionName, { test: (value: string) => boolean; form: string }>> = {
  sid: AC_SID,
  account: AC_SID,
  'auth-token': { test: isSecret, form: '32 hex characters' },
  'mask-keys': { test: (v) => (KEYS_MASKED as readonly string[]).includes(v), form: 'pay-sessions (keys typed during a pay session) or always (every key of a real call)' },
};

interface Invocation {
  values: Values;
  operand: string | undefined;
  accounts: AccountStore;
  out: (text: string) => void;
}

interface Command {
  words: string;
  usage: string;
  summary: string;
  options: OptionName[];
  required?: OptionName[];
  /** The one positional argument the command takes, if any. */
  operand?: { name: string; test: (value: string) => boolean; form: string };
  run: (call: Invocation) => Promise<void>;
}

/** A command on the database itself: it runs before (and without) the account store. */
interface DatabaseCommand {
  words: string;
  usage: string;
  summary: string;
  options: OptionName[];
  required?: undefined;
  operand?: undefined;
  runOnDatabase: (call: { values: Values; io: CliIo }) => Promise<void>;
}

const DATABASE_COMMANDS: DatabaseCommand[] = [
  {
    words: 'migrate',
    usage: 'paytone migrate [--json]',
    summary: 'apply pending database migrations (PostgreSQL: run once before starting or upgrading a cluster)',
    options: ['json'],
    async runOnDatabase({ values, io }) {
      const { applied, database } = await io.migrate();
      if (values.json) return io.out(json({ database, applied }));
      io.out(applied.length === 0 ? `${database} is up to date.` : `Applied ${applied.length} migration(s) to ${database}: ${applied.join(', ')}.`);
    },
  },
];

/** The MCP relay: it opens no database either, only a connection to a running paytone. */
DATABASE_COMMANDS.push({
  words: 'mcp',
  usage: 'paytone mcp',
  summary:
    'serve MCP tools for AI voice agents on stdin/stdout, relaying to a running paytone: PAYTONE_URL, and PAYTONE_API_KEY and ' +
    'PAYTONE_API_SECRET (or PAYTONE_ACCOUNT_SID and PAYTONE_AUTH_TOKEN)',
  options: [],
  runOnDatabase: ({ io }) => io.relayMcp(),
});

const COMMANDS: Command[] = [
  {
    words: 'accounts create',
    usage: 'paytone accounts create [--friendly-name NAME] [--sid AC...] [--auth-token TOKEN] [--json]',
    summary: 'create an account and print its sid and auth token (shown once)',
    options: ['friendly-name', 'sid', 'auth-token', 'json'],
    async run({ values, accounts, out }) {
      const created = await accounts.createAccount({ sid: values.sid, authToken: values['auth-token'], friendlyName: values['friendly-name'] });
      if (values.json) return out(json({ ...accountJson(created.account), auth_token: created.authToken }));
      out(
        [
          `Created account ${created.account.sid} (${created.account.friendlyName}).`,
          `  AccountSid  ${created.account.sid}`,
          `  AuthToken   ${created.authToken}`,
          'The auth token is shown only now: store it somewhere safe.',
        ].join('\n'),
      );
    },
  },
  {
    words: 'accounts update',
    usage: 'paytone accounts update --account AC... --mask-keys pay-sessions|always [--json]',
    summary: "which keys of a real call the agent must not hear: those typed during a pay session (the default), or always every key",
    options: ['account', 'mask-keys', 'json'],
    required: ['account', 'mask-keys'],
    async run({ values, accounts, out }) {
      const accountSid = await existingAccount(accounts, values.account);
      const account = (await accounts.setKeysMasked(accountSid, values['mask-keys'] as KeysMasked))!;
      if (values.json) return out(json(accountJson(account)));
      out(`Account ${account.sid} masks ${account.keysMasked === 'always' ? 'every key' : 'the keys typed during a pay session'} on real calls that start from now on.`);
    },
  },
  {
    words: 'accounts list',
    usage: 'paytone accounts list [--json]',
    summary: 'list accounts (never their tokens)',
    options: ['json'],
    async run({ values, accounts, out }) {
      const list = await accounts.listAccounts();
      if (values.json) return out(json({ accounts: list.map(accountJson) }));
      out(list.length === 0 ? 'No accounts.' : table(['SID', 'STATUS', 'CREATED', 'FRIENDLY NAME'], list.map((a) => [a.sid, a.status, isoDate(a.dateCreated), a.friendlyName])));
    },
  },
  {
    words: 'keys create',
    usage: 'paytone keys create --account AC... [--friendly-name NAME] [--json]',
    summary: 'create an API key and print its sid and secret (shown once)',
    options: ['account', 'friendly-name', 'json'],
    required: ['account'],
    async run({ values, accounts, out }) {
      const accountSid = await existingAccount(accounts, values.account);
      const key = await accounts.createApiKey(accountSid, values['friendly-name']);
      if (values.json) return out(json({ ...keyJson(key), account_sid: accountSid, secret: key.secret }));
      out(
        [
          `Created API key ${key.sid} for account ${accountSid}.`,
          `  ApiKeySid  ${key.sid}`,
          `  Secret     ${key.secret}`,
          'Store the secret now: it is not shown again and cannot be recovered.',
        ].join('\n'),
      );
    },
  },
  {
    words: 'keys list',
    usage: 'paytone keys list --account AC... [--json]',
    summary: "list an account's API keys (never their secrets)",
    options: ['account', 'json'],
    required: ['account'],
    async run({ values, accounts, out }) {
      const accountSid = await existingAccount(accounts, values.account);
      const keys = await accounts.listApiKeys(accountSid);
      if (values.json) return out(json({ keys: keys.map(keyJson) }));
      out(keys.length === 0 ? `No API keys for account ${accountSid}.` : table(['SID', 'CREATED', 'FRIENDLY NAME'], keys.map((k) => [k.sid, isoDate(k.dateCreated), k.friendlyName])));
    },
  },
  {
    words: 'keys delete',
    usage: 'paytone keys delete --account AC... SK... [--json]',
    summary: 'delete an API key; every running server refuses it at once',
    options: ['account', 'json'],
    required: ['account'],
    operand: { name: 'the API key to delete', test: (v) => isSid('SK', v), form: '"SK" followed by 32 hex characters' },
    async run({ values, operand, accounts, out }) {
      const accountSid = await existingAccount(accounts, values.account);
      const keySid = operand ?? '';
      if (!(await accounts.deleteApiKey(accountSid, keySid))) throw new Error(`account ${accountSid} has no API key ${keySid}`);
      out(values.json ? json({ sid: keySid, account_sid: accountSid, deleted: true }) : `Deleted API key ${keySid} of account ${accountSid}.`);
    },
  },
];

const USAGE = 'usage: paytone <command> [options]   (`paytone help` lists the commands)';

const HELP = [
  'usage: paytone <command> [options]',
  '',
  ...[...DATABASE_COMMANDS, ...COMMANDS].flatMap((c) => [`  ${c.usage}`, `      ${c.summary}`]),
  '  paytone help',
  '',
  'The data dir is PAYTONE_DATA_DIR (default ./data); set PAYTONE_VAULT_KEY if the server uses it.',
  'With DATABASE_URL=postgres://... the commands work on that database (PAYTONE_VAULT_KEY is then required).',
].join('\n');

/**
 * Runs one command line and returns the process exit code: 0 done, 1 failed, 2 bad arguments.
 *
 * @example
 *   process.exitCode = await runCli(process.argv.slice(2), io);
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let invocation: ReturnType<typeof parse>;
  try {
    invocation = parse(argv);
  } catch (error) {
    const usage = error instanceof UsageError ? error.usage : USAGE;
    io.err(`paytone: ${(error as Error).message}\n${usage}`);
    return EXIT_USAGE;
  }
  if (invocation === 'help') {
    io.out(HELP);
    return EXIT_OK;
  }
  const { command } = invocation;
  let store: Awaited<ReturnType<CliIo['openAccounts']>> | undefined;
  try {
    if ('runOnDatabase' in command) {
      await command.runOnDatabase({ values: invocation.values, io });
      return EXIT_OK;
    }
    store = await io.openAccounts();
    await command.run({ values: invocation.values, operand: invocation.operand, accounts: store.accounts, out: io.out });
    return EXIT_OK;
  } catch (error) {
    io.err(`paytone: ${(error as Error).message}`);
    return EXIT_FAILED;
  } finally {
    await store?.close();
  }
}

function parse(argv: string[]): 'help' | { command: Command | DatabaseCommand; values: Values; operand: string | undefined } {
  const { values, positionals, tokens } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true, tokens: true });
  if (values.help || positionals[0] === 'help') return 'help';
  const command = DATABASE_COMMANDS.find((c) => c.words === positionals[0]) ?? COMMANDS.find((c) => c.words === positionals.slice(0, 2).join(' '));
  if (!command) throw new UsageError(positionals.length === 0 ? 'no command given' : `unknown command "${positionals.slice(0, 2).join(' ')}"`, USAGE);
  const fail = (problem: string): never => {
    throw new UsageError(problem, `usage: ${command.usage}`);
  };
  for (const token of tokens) {
    if (token.kind === 'option' && !command.options.includes(token.name as OptionName)) fail(`${command.words} does not take --${token.name}`);
  }
  for (const name of command.required ?? []) {
    if (values[name] === undefined) fail(`${command.words} needs --${name}`);
  }
  for (const [name, { test, form }] of Object.entries(OPTION_FORMS)) {
    const value = values[name as OptionName];
    if (typeof value === 'string' && !test(value)) fail(`--${name} must be ${form}`);
  }
  const operands = positionals.slice(command.words.split(' ').length);
  const operand = operands[0];
  if (operands.length > (command.operand ? 1 : 0)) fail(`${command.words} takes ${command.operand ? 'one argument' : 'no arguments'} besides options`);
  if (command.operand && (operand === undefined || !command.operand.test(operand))) fail(`${command.operand.name} must be ${command.operand.form}`);
  return { command, values: values as Values, operand };
}

async function existingAccount(accounts: AccountStore, sid: string | undefined): Promise<string> {
  if (sid === undefined || !(await accounts.getAccount(sid))) throw new Error(`account ${sid} does not exist`);
  return sid;
}

function accountJson(a: AccountRecord): Record<string, unknown> {
  return { sid: a.sid, friendly_name: a.friendlyName, status: a.status, keys_masked: a.keysMasked, date_created: isoDate(a.dateCreated), date_updated: isoDate(a.dateUpdated) };
}

function keyJson(k: ApiKeyRecord): Record<string, unknown> {
  return { sid: k.sid, friendly_name: k.friendlyName, date_created: isoDate(k.dateCreated) };
}

function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [header, ...rows].map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')).join('\n');
}
