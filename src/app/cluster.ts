/**
 * Cluster mode: what a process does differently when `DATABASE_URL` points at PostgreSQL shared with others.
 *
 * - It joins as a member (an advisory lock PostgreSQL drops when the process dies), so the others can tell when its
 *   work must be taken over.
 * - Every change to a session or call runs under a cluster-wide advisory lock and starts from the stored session.
 * - Every `sweepMs` it fires the session timers that are due, whichever process armed them (the process that armed
 *   a timer also fires it on the dot; the domain ignores a deadline that is no longer due, so it fires once), and
 *   takes over the gateway calls of completing sessions whose member is gone.
 *
 * @example
 *   const cluster = await joinCluster({ databaseUrl, db, log });
 *   const sessions = new PaymentSessions({ ..., coordination: cluster.coordination });
 *   cluster.startSweeping(sessions);
 *   await cluster.leave();
 */
import { AdvisoryLocks, ClusterMember, dueDeadlines, orphanedCompletions } from '../store/cluster.js';
import type { Db } from '../store/database.js';
import type { DatabaseTraffic } from '../store/databaseTraffic.js';
import type { Logger } from '../log.js';
import type { PaymentSessions, SessionCoordination } from './paymentSessions.js';

/** How often each process looks for due timers and orphaned gateway calls: timers fire within this much. */
export const CLUSTER_SWEEP_MS = 250;
const SWEEP_BATCH = 200;

export interface Cluster {
  memberId: string;
  coordination: SessionCoordination;
  /** The member's own connection (LISTEN for live events shares it). */
  member: ClusterMember;
  startSweeping(sessions: PaymentSessions): void;
  leave(): Promise<void>;
}

export async function joinCluster(a: { databaseUrl: string; db: Db; log: Logger; onLost: (err: Error) => void; traffic?: DatabaseTraffic }): Promise<Cluster> {
  const member = await ClusterMember.join(a.databaseUrl, a.onLost, a.traffic);
  const locks = new AdvisoryLocks(a.databaseUrl, undefined, a.traffic);
  let sweeper: ClusterSweep | null = null;
  a.log.info({ memberId: member.id }, 'joined the cluster');
  return {
    memberId: member.id,
    member,
    coordination: { serialize: (key, task) => locks.run(key, task), serializeReading: (key, read, task) => locks.runReading(key, read, task) },
    startSweeping(sessions) {
      sweeper = new ClusterSweep(a.db, sessions, member.id, a.log);
      sweeper.start();
    },
    async leave() {
      await sweeper?.stop();
      await locks.close();
      await member.leave();
    },
  };
}

class ClusterSweep {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  /** Sessions this process is already firing or adopting, so a slow one is not queued again each sweep. */
  private readonly busy = new Set<string>();

  constructor(
    private readonly db: Db,
    private readonly sessions: PaymentSessions,
    private readonly memberId: string,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.sweep().finally(() => (this.running = null));
    }, CLUSTER_SWEEP_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  private async sweep(): Promise<void> {
    try {
      for (const sid of await dueDeadlines(this.db, Date.now(), SWEEP_BATCH)) {
        this.once(sid, () => this.sessions.passDeadline(sid));
      }
      for (const { sid, owner } of await orphanedCompletions(this.db, this.memberId)) {
        this.once(sid, () => this.sessions.adopt(sid, owner));
      }
    } catch (err) {
      this.log.warn({ err }, 'cluster sweep failed');
    }
  }

  private once(sid: string, task: () => Promise<void>): void {
    if (this.busy.has(sid)) return;
    this.busy.add(sid);
    task()
      .catch((err: unknown) => this.log.error({ err, paymentSid: sid }, 'cluster sweep could not move a session on'))
      .finally(() => this.busy.delete(sid));
  }
}
