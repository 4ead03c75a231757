/**
 * What one process asks of PostgreSQL, counted in the driver: round trips (each `query` a connection sends and
 * waits for; queries written while others are still on their way, as a pipelined transaction's are, share their
 * round trip) and SQL statements (a round trip may carry several, as `BEGIN; SELECT ...` does). Per operation they
 * say where a request's time goes in a cluster, and how many connections a load needs (docs/scaling.md).
 *
 * @example
 *   const traffic = new DatabaseTraffic();
 *   const pool = postgresPool(url, 10, {}, traffic);   // every connection of the pool is counted
 *   traffic.roundTrips; traffic.statements;
 */
import type pg from 'pg';

export class DatabaseTraffic {
  roundTrips = 0;
  statements = 0;

  /** Counts what `client` sends from now on. */
  watch(client: pg.Client | pg.PoolClient): void {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    let onTheWay = 0;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      if (onTheWay === 0) this.roundTrips += 1;
      this.statements += statementsIn(args[0]);
      const answer = query(...args);
      if (!(answer instanceof Promise)) return answer;
      onTheWay += 1;
      return answer.finally(() => (onTheWay -= 1));
    };
  }
}

/** Statements in one query: a prepared statement is one; a simple query text holds one per `;`-separated part. */
function statementsIn(query: unknown): number {
  const text = typeof query === 'string' ? query : (query as { text?: unknown } | null)?.text;
  if (typeof text !== 'string' || !text.includes(';')) return 1;
  return Math.max(1, text.split(';').filter((part) => part.trim() !== '').length);
}
