/**
 * The operations parts of one process, built from its database and configuration: health checks, metrics
 * (with their scrape-time database sources) and the metrics token.
 *
 * @example
 *   const ops = createOps(db, config, log);
 *   ops.health.beginDraining();
 */
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { migrationStatus, type Db } from '../store/database.js';
import { outboxBacklog, sessionCountsByStatus } from '../store/stats.js';
import type { DatabaseTraffic } from '../store/databaseTraffic.js';
import { HealthChecks } from './health.js';
import { PaytoneMetrics } from './metrics.js';

export interface OpsContext {
  health: HealthChecks;
  metrics: PaytoneMetrics;
  /** When set, `/metrics` wants `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
}

/** `traffic`: a cluster's PostgreSQL round trips and statements, exposed as counters. */
export function createOps(db: Db, config: Pick<Config, 'metricsToken'>, log: Logger, traffic?: DatabaseTraffic): OpsContext {
  return {
    health: new HealthChecks({ migrationStatus: () => migrationStatus(db) }),
    metrics: new PaytoneMetrics({
      sources: { sessionsByStatus: () => sessionCountsByStatus(db), outboxBacklog: () => outboxBacklog(db), databaseTraffic: traffic && (() => traffic) },
      onSourceError: (error) => log.warn({ error: error instanceof Error ? error.message : String(error) }, 'metrics query failed'),
    }),
    metricsToken: config.metricsToken,
  };
}
