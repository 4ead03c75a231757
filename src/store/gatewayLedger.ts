/**
 * The record of connector transactions, keyed by the session's transaction id: a retry after a crash or a
 * repeated complete finds the recorded answer instead of making a second transaction. Each send is noted
 * first (`gateway_sends`), so a restart can tell a transaction never sent from one that awaits reconciling.
 * Every completion runs these statements, so they are built once (compiledQuery.ts).
 */
import type { Db } from './database.js';
import type { GatewayOutcome } from '../domain/types.js';
import type { GatewayLedger, GatewayRequestSummary } from '../connectors/connector.js';
import { builtOnce, type Param } from './compiledQuery.js';

const selectOutcome = builtOnce((db, p: Param<{ transaction_id: string }>) =>
  db.selectFrom('gateway_transactions').select('outcome').where('transaction_id', '=', p('transaction_id')),
);

/** Counts one more send of the transaction and returns the count, this one included. */
const countSend = builtOnce((db, p: Param<{ transaction_id: string; connector: string; now: number }>) =>
  db
    .insertInto('gateway_sends')
    .values({ transaction_id: p('transaction_id'), connector: p('connector'), sends: 1, first_sent_at: p('now'), last_sent_at: p('now') })
    .onConflict((oc) => oc.column('transaction_id').doUpdateSet((eb) => ({ sends: eb('gateway_sends.sends', '+', 1), last_sent_at: p('now') })))
    .returning('sends'),
);

/** The first answer recorded for a transaction id stays: a later one for the same id changes nothing. */
const insertOutcome = builtOnce(
  (db, p: Param<{ transaction_id: string; connector: string; method: string; summary: string; outcome: string; created_at: number }>) =>
    db
      .insertInto('gateway_transactions')
      .values({
        transaction_id: p('transaction_id'),
        connector: p('connector'),
        method: p('method'),
        summary: p('summary'),
        outcome: p('outcome'),
        created_at: p('created_at'),
      })
      .onConflict((oc) => oc.column('transaction_id').doNothing()),
);

export class StoredGatewayLedger implements GatewayLedger {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  async find(transactionId: string): Promise<GatewayOutcome | null> {
    const [row] = (await selectOutcome.execute(this.db, { transaction_id: transactionId })).rows;
    return row ? (JSON.parse(row.outcome) as GatewayOutcome) : null;
  }

  async markSent(summary: GatewayRequestSummary): Promise<number> {
    const [row] = (await countSend.execute(this.db, { transaction_id: summary.transactionId, connector: summary.connector, now: this.now() })).rows;
    return Number(row!.sends) - 1;
  }

  async record(transactionId: string, summary: GatewayRequestSummary, outcome: GatewayOutcome): Promise<void> {
    await insertOutcome.execute(this.db, {
      transaction_id: transactionId,
      connector: summary.connector,
      method: summary.method,
      summary: JSON.stringify(summary),
      outcome: JSON.stringify(outcome),
      created_at: this.now(),
    });
  }
}
