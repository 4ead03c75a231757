/**
 * The connectors file (`PAYTONE_CONNECTORS_FILE`), for infrastructure as code: the same connectors the API
 * creates, per account, in snake_case JSON:
 *
 *   { "AC...": [ { "unique_name": "Acme", "type": "generic", "mode": "live",
 *                  "endpoint_url": "https://pay.acme.example/twilio", "username": "twilio",
 *                  "password_env": "ACME_PAY_PASSWORD" } ] }
 *
 * A secret may be written inline (`password`, `api_key`) or, better, named by the environment variable that
 * holds it (`password_env`, `api_key_env`). Every mistake in the file is reported at once, and nothing is
 * loaded unless the whole file is valid.
 *
 * @example
 *   const entries = readConnectorsFile('/etc/paytone/connectors.json', process.env);
 */
import fs from 'node:fs';
import { PaytoneError } from '../domain/errors.js';
import { isSid } from '../domain/sids.js';
import type { FormValues } from '../domain/form.js';
import { parseConnector, type ConnectorDefinition, type ConnectorSecrets } from '../domain/connectorSettings.js';

export class ConnectorsFileError extends Error {}

const FIELDS: Readonly<Record<string, string>> = {
  unique_name: 'UniqueName',
  type: 'Type',
  mode: 'Mode',
  endpoint_url: 'EndpointUrl',
  username: 'Username',
  password: 'Password',
  api_key: 'ApiKey',
  api_base: 'ApiBase',
  supports_charge: 'SupportsCharge',
  supports_tokenize: 'SupportsTokenize',
  payment_methods: 'PaymentMethods',
  token_types: 'TokenTypes',
  currencies: 'Currencies',
};
const FROM_ENV: Readonly<Record<string, string>> = { password_env: 'Password', api_key_env: 'ApiKey' };

export function readConnectorsFile(path: string, env: NodeJS.ProcessEnv): Array<{ accountSid: string; definition: ConnectorDefinition; secrets: ConnectorSecrets }> {
  const where = `PAYTONE_CONNECTORS_FILE ${path}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConnectorsFileError(`${where}: cannot be read as JSON (${err instanceof Error ? err.message : String(err)}).`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConnectorsFileError(`${where}: must be a JSON object of account SIDs to lists of connectors.`);
  }
  const problems: string[] = [];
  const entries: Array<{ accountSid: string; definition: ConnectorDefinition; secrets: ConnectorSecrets }> = [];
  for (const [accountSid, list] of Object.entries(parsed)) {
    const shown = JSON.stringify(accountSid.slice(0, 40));
    if (!isSid('AC', accountSid)) problems.push(`${where}: ${shown} is not an account SID (AC followed by 32 hex digits).`);
    if (!Array.isArray(list)) {
      problems.push(`${where}: ${accountSid} must list its connectors in an array.`);
      continue;
    }
    const names = new Set<string>();
    list.forEach((entry: unknown, index) => {
      const label = `${where}: ${accountSid}[${index}]`;
      try {
        const form = toForm(entry, env);
        const connector = parseConnector(form);
        if (names.has(connector.definition.uniqueName)) throw new ConnectorsFileError(`unique_name ${connector.definition.uniqueName} is listed twice.`);
        names.add(connector.definition.uniqueName);
        entries.push({ accountSid, ...connector });
      } catch (err) {
        if (!(err instanceof PaytoneError || err instanceof ConnectorsFileError)) throw err;
        problems.push(`${label}: ${err.message}`);
      }
    });
  }
  if (problems.length > 0) throw new ConnectorsFileError(problems.join('\n'));
  return entries;
}

/** A file entry as the API's form values, so both are checked by the same rules. */
function toForm(entry: unknown, env: NodeJS.ProcessEnv): FormValues {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw new ConnectorsFileError('each connector must be a JSON object.');
  const form: FormValues = {};
  for (const [key, value] of Object.entries(entry)) {
    const envField = FROM_ENV[key];
    if (envField !== undefined) {
      const secret = typeof value === 'string' ? env[value] : undefined;
      if (secret === undefined || secret === '') throw new ConnectorsFileError(`${key} names the environment variable ${JSON.stringify(value)}, which is not set.`);
      form[envField] = secret;
      continue;
    }
    const field = FIELDS[key];
    if (field === undefined) throw new ConnectorsFileError(`"${key.slice(0, 40)}" is not a connector setting; use ${[...Object.keys(FIELDS), ...Object.keys(FROM_ENV)].join(', ')}.`);
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) form[field] = value.join(' ');
    else if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number') form[field] = String(value);
    else throw new ConnectorsFileError(`${key} must be a string, a boolean or a list of strings.`);
  }
  return form;
}
