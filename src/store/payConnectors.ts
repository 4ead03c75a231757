/**
 * An account's payment connectors. The definition is kept in clear (it holds no secret); passwords and API
 * keys are sealed by the vault for this account and unique name, so a sealed value copied onto another
 * connector row does not open there.
 *
 * @example
 *   const store = new PayConnectorStore(db, vault);
 *   await store.save(accountSid, definition, { password: 's3cret' });
 *   (await store.get(accountSid, 'Acme'))?.secrets.password; // 's3cret'
 */
import type { Kysely, Selectable } from 'kysely';
import type { ConnectorDefinition, ConnectorSecrets } from '../domain/connectorSettings.js';
import type { Vault } from '../vault/vault.js';
import type { Database, PayConnectorsTable } from './schema.js';
import { builtOnce, type Param } from './compiledQuery.js';

export interface StoredConnector {
  accountSid: string;
  definition: ConnectorDefinition;
  /** SECRET */
  secrets: ConnectorSecrets;
  dateCreated: number;
  dateUpdated: number;
}

/** The vault context of a connector's secrets: bound to its account and unique name. */
export function connectorSecretsContext(accountSid: string, uniqueName: string): string {
  return `pay-connector:${accountSid}:${uniqueName}`;
}

const connectorByName = builtOnce((db, p: Param<{ account_sid: string; unique_name: string }>) =>
  db.selectFrom('pay_connectors').selectAll().where('account_sid', '=', p('account_sid')).where('unique_name', '=', p('unique_name')),
);

export class PayConnectorStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly vault: Vault,
    private readonly now: () => number = Date.now,
  ) {}

  /** Read on every session start and completion (see ConnectorRegistry.find). */
  async get(accountSid: string, uniqueName: string): Promise<StoredConnector | null> {
    const [row] = (await connectorByName.execute(this.db, { account_sid: accountSid, unique_name: uniqueName })).rows;
    return row ? this.fromRow(row) : null;
  }

  async list(accountSid: string): Promise<StoredConnector[]> {
    const rows = await this.db.selectFrom('pay_connectors').selectAll().where('account_sid', '=', accountSid).orderBy('unique_name').execute();
    return rows.map((row) => this.fromRow(row));
  }

  /**
   * Inserts the connector, or replaces the one with the same unique name (keeping its creation date).
   * `mustBeNew` refuses to replace: the caller learns `false` and nothing changes.
   */
  async save(accountSid: string, definition: ConnectorDefinition, secrets: ConnectorSecrets, options: { mustBeNew?: boolean } = {}): Promise<boolean> {
    const now = this.now();
    const hasSecrets = Object.keys(secrets).length > 0;
    const values = {
      type: definition.type,
      mode: definition.mode,
      settings: JSON.stringify(definition),
      secrets_sealed: hasSecrets ? this.vault.seal(JSON.stringify(secrets), connectorSecretsContext(accountSid, definition.uniqueName)) : null,
      date_updated: now,
    };
    const result = await this.db
      .insertInto('pay_connectors')
      .values({ account_sid: accountSid, unique_name: definition.uniqueName, date_created: now, ...values })
      .onConflict((oc) => (options.mustBeNew ? oc.columns(['account_sid', 'unique_name']).doNothing() : oc.columns(['account_sid', 'unique_name']).doUpdateSet(values)))
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async remove(accountSid: string, uniqueName: string): Promise<boolean> {
    const result = await this.db.deleteFrom('pay_connectors').where('account_sid', '=', accountSid).where('unique_name', '=', uniqueName).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  private fromRow(row: Selectable<PayConnectorsTable>): StoredConnector {
    const secrets = row.secrets_sealed === null ? {} : (JSON.parse(this.vault.unseal(row.secrets_sealed, connectorSecretsContext(row.account_sid, row.unique_name))) as ConnectorSecrets);
    return {
      accountSid: row.account_sid,
      definition: JSON.parse(row.settings) as ConnectorDefinition,
      secrets,
      dateCreated: Number(row.date_created),
      dateUpdated: Number(row.date_updated),
    };
  }
}
