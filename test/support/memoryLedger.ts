/**
 * A GatewayLedger in memory, for connector unit tests: what was sent, and what was recorded.
 */
import type { GatewayLedger, GatewayRequestSummary } from '../../src/connectors/connector.js';
import type { GatewayOutcome } from '../../src/domain/types.js';

export class MemoryLedger implements GatewayLedger {
  readonly records: { transactionId: string; summary: GatewayRequestSummary; outcome: GatewayOutcome }[] = [];
  readonly sends = new Map<string, number>();

  async find(transactionId: string): Promise<GatewayOutcome | null> {
    return this.records.find((r) => r.transactionId === transactionId)?.outcome ?? null;
  }

  async markSent(summary: GatewayRequestSummary): Promise<number> {
    const before = this.sends.get(summary.transactionId) ?? 0;
    this.sends.set(summary.transactionId, before + 1);
    return before;
  }

  async record(transactionId: string, summary: GatewayRequestSummary, outcome: GatewayOutcome): Promise<void> {
    this.records.push({ transactionId, summary, outcome });
  }
}
