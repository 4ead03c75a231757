/**
 * The record of connector transactions, keyed by the session's transaction id: a retry after a crash or a
 * repeated complete finds the recorded answer instead of making a second transaction.
 */
import type { Db } from './database.js';
import type { GatewayOutcome } from '../domain/types.js';
import type { GatewayLedger, GatewayRequestSummary } from '../connectors/connector.js';

export class StoredGatewayLedger implements GatewayLedger {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  async find(transactionId: string): Promise<GatewayOutcome | null> {
    const row = await this.db.selectFrom('gateway_transactions').select('outcome').where('transaction_id', '=', transactionId).executeTakeFirst();
    return row ? (JSON.parse(row.outcome) as GatewayOutcome) : null;
  }

  async record(transactionId: string, summary: GatewayRequestSummary, outcome: GatewayOutcome): Promise<void> {
    await this.db
      .insertInto('gateway_transactions')
      .values({
        transaction_id: transactionId,
        connector: summary.connector,
        method: summary.method,
        summary: JSON.stringify(summary),
        outcome: JSON.stringify(outcome),
        created_at: this.now(),
      })
      .onConflict((oc) => oc.column('transaction_id').doNothing())
      .execute();
  }
}
