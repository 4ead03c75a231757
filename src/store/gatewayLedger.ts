/**
 * The record of connector transactions, keyed by the session's transaction id: a retry after a crash or a
 * repeated complete finds the recorded answer instead of making a second transaction. Each send is noted
 * first (`gateway_sends`), so a restart can tell a transaction never sent from one that awaits reconciling.
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

  async markSent(summary: GatewayRequestSummary): Promise<number> {
    const now = this.now();
    await this.db
      .insertInto('gateway_sends')
      .values({ transaction_id: summary.transactionId, connector: summary.connector, sends: 1, first_sent_at: now, last_sent_at: now })
      .onConflict((oc) => oc.column('transaction_id').doUpdateSet((eb) => ({ sends: eb('gateway_sends.sends', '+', 1), last_sent_at: now })))
      .execute();
    const row = await this.db.selectFrom('gateway_sends').select('sends').where('transaction_id', '=', summary.transactionId).executeTakeFirstOrThrow();
    return Number(row.sends) - 1;
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
