/**
 * What a load balancer or an orchestrator asks a paytone process: is it alive (`/healthz`), and should it get
 * traffic (`/readyz`: the database answers, its schema has every migration this build has, and the process
 * is not shutting down).
 *
 * @example
 *   const health = new HealthChecks({ migrationStatus: () => migrationStatus(db) });
 *   const { ready, body } = await health.readiness();   // 200 when ready, 503 otherwise
 */
import type { MigrationStatus } from '../store/database.js';

export interface Readiness {
  ready: boolean;
  body: {
    status: 'ready' | 'unavailable' | 'draining';
    database: 'ok' | 'unreachable';
    migrations: { applied: number; pending: string[] } | null;
    /** What is wrong, in words; absent when ready. */
    reason?: string;
  };
}

export interface HealthOptions {
  /** Reads the applied migrations; a rejection (or no answer in time) means the database is unreachable. */
  migrationStatus(): Promise<MigrationStatus>;
  /** How long the database may take to answer a readiness check. */
  timeoutMs?: number;
}

export class HealthChecks {
  private draining = false;
  private readonly timeoutMs: number;

  constructor(private readonly options: HealthOptions) {
    this.timeoutMs = options.timeoutMs ?? 2000;
  }

  /** From now on the process is leaving: readiness fails so balancers send new work elsewhere. */
  beginDraining(): void {
    this.draining = true;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  async readiness(): Promise<Readiness> {
    if (this.draining) {
      return { ready: false, body: { status: 'draining', database: 'ok', migrations: null, reason: 'paytone is shutting down' } };
    }
    let status: MigrationStatus;
    try {
      status = await withTimeout(this.options.migrationStatus(), this.timeoutMs);
    } catch (error) {
      const reason = error instanceof TimedOut ? `the database did not answer within ${this.timeoutMs} ms` : 'the database could not be reached';
      return { ready: false, body: { status: 'unavailable', database: 'unreachable', migrations: null, reason } };
    }
    const migrations = { applied: status.applied.length, pending: status.pending };
    if (status.pending.length > 0) {
      const reason = `the database lacks migrations ${status.pending.join(', ')}: run \`paytone migrate\``;
      return { ready: false, body: { status: 'unavailable', database: 'ok', migrations, reason } };
    }
    return { ready: true, body: { status: 'ready', database: 'ok', migrations } };
  }
}

class TimedOut extends Error {}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new TimedOut()), ms);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
