/**
 * What one operation (a create, a full session, a keypress) costs a cluster's database: PostgreSQL's CPU (its
 * backends', from /proc), and the round trips and SQL statements paytone's processes sent for it. Nothing for the
 * embedded database, which has no server and no round trips.
 */
import { cpuMsPer, type CpuShares } from './cpu.js';
import type { Paytone } from './processes.js';

export interface DatabaseCost {
  postgresCpuMs: number;
  roundTrips: number;
  statements: number;
}

/** Starts counting `paytone`'s database traffic; `stop` gives the cost per unit over the phase. */
export async function meterDatabase(paytone: Paytone): Promise<{ stop(shares: CpuShares, seconds: number, units: number): Promise<DatabaseCost | undefined> }> {
  const before = await paytone.traffic?.();
  return {
    async stop(shares, seconds, units) {
      if (!before || !paytone.traffic) return undefined;
      const after = await paytone.traffic();
      return {
        postgresCpuMs: cpuMsPer(shares, seconds, units, 'postgres'),
        roundTrips: (after.roundTrips - before.roundTrips) / units,
        statements: (after.statements - before.statements) / units,
      };
    },
  };
}
