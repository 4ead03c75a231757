/**
 * Live events across a cluster, with PostgreSQL's LISTEN/NOTIFY: the transaction that writes a feed row also
 * NOTIFYs it (src/store/liveEvents.ts), PostgreSQL hands the notice to every process LISTENing once the
 * transaction commits, and each process passes it to its own subscribers. A browser's stream therefore sees the
 * events of sessions run by any process, in commit order, and never an event whose transaction rolled back.
 *
 * Chosen over NATS (or another broker) because it needs nothing beyond the database the cluster already runs, and
 * because a notice sent inside the committing transaction cannot be lost between the commit and the send. A notice
 * missed while a process is down is not lost either: clients resume from the feed table with Last-Event-ID.
 *
 * @example
 *   const bus = await PostgresLiveEventBus.listen(member.client, new LiveEventStore(db), log);
 *   new LiveEventFeed(store, bus);
 */
import type pg from 'pg';
import type { LiveEvent } from '../domain/liveEvents.js';
import { LIVE_EVENTS_CHANNEL, type LiveEventStore } from '../store/liveEvents.js';
import type { Logger } from '../log.js';
import { InProcessLiveEventBus, type LiveEventBus, type LiveEventListener } from './liveEvents.js';

export class PostgresLiveEventBus implements LiveEventBus {
  private readonly local: InProcessLiveEventBus;

  private constructor(
    private readonly store: LiveEventStore,
    private readonly log: Logger,
  ) {
    this.local = new InProcessLiveEventBus(log);
  }

  /** Starts listening on `client` (a connection of its own: a LISTEN lasts as long as its session). */
  static async listen(client: pg.Client, store: LiveEventStore, log: Logger): Promise<PostgresLiveEventBus> {
    const bus = new PostgresLiveEventBus(store, log);
    client.on('notification', (notice) => {
      if (notice.channel === LIVE_EVENTS_CHANNEL && notice.payload) void bus.deliver(notice.payload);
    });
    await client.query(`LISTEN ${LIVE_EVENTS_CHANNEL}`);
    return bus;
  }

  /** Nothing to do here: the committing transaction's NOTIFY reaches every process, this one included. */
  publish(): void {}

  subscribe(accountSid: string, listener: LiveEventListener): () => void {
    return this.local.subscribe(accountSid, listener);
  }

  private async deliver(payload: string): Promise<void> {
    try {
      const notice = JSON.parse(payload) as LiveEvent | { id: number; accountSid: string };
      // An event too large for a notice comes by id: read it from the feed.
      const event = 'kind' in notice ? notice : (await this.store.since(notice.accountSid, notice.id - 1, {}, 1))[0];
      if (event) this.local.publish([event]);
    } catch (err) {
      this.log.warn({ err }, 'live event notice could not be read');
    }
  }
}
