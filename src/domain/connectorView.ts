/**
 * The public JSON of a payment connector (our `PayConnectors` resource), in snake_case. Secrets are
 * write-only: the view says whether one is set (`password_set`, `api_key_set`), never what it is.
 *
 * @example
 *   connectorView(stored).password_set // true; there is no `password` field at all
 */
import type { ConnectorDefinition, ConnectorSecrets } from './connectorSettings.js';

export interface ConnectorRecord {
  accountSid: string;
  definition: ConnectorDefinition;
  secrets: ConnectorSecrets;
  dateCreated: number;
  dateUpdated: number;
  /** The sandbox `Default` every account has until it defines its own. */
  builtIn?: boolean;
}

export function connectorView(record: ConnectorRecord): Record<string, unknown> {
  const { definition: d, secrets } = record;
  const typed: Record<string, unknown> =
    d.type === 'generic'
      ? { endpoint_url: d.endpointUrl, username: d.username, password_set: secrets.password !== undefined }
      : d.type === 'stripe'
        ? { api_base: d.apiBase, api_key_set: secrets.apiKey !== undefined }
        : {};
  const date = (ms: number) => (record.builtIn ? null : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));
  return {
    account_sid: record.accountSid,
    unique_name: d.uniqueName,
    type: d.type,
    mode: d.mode,
    built_in: record.builtIn === true,
    ...typed,
    supports_charge: d.capabilities.charge,
    supports_tokenize: d.capabilities.tokenize,
    payment_methods: d.capabilities.paymentMethods,
    token_types: d.capabilities.tokenTypes,
    currencies: d.capabilities.currencies,
    date_created: date(record.dateCreated),
    date_updated: date(record.dateUpdated),
    url: `/v1/Accounts/${record.accountSid}/PayConnectors/${d.uniqueName}.json`,
  };
}
