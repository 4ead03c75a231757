/**
 * Live events across a cluster, with PostgreSQL's LISTEN/NOTIFY: the transaction that writes feed rows also
 * NOTIFYs (src/store/liveEvents.ts), PostgreSQL tells every LISTENing process once the transaction commits, and
 * each process reads the feed's new rows, in id order, and passes them to its own subscribers. A
 * browser's stream therefore sees the events of sessions run by any process, in the feed's order, and never an
 * event whose transaction rolled back.
 *
 * The notice carries nothing: writers commit side by side, not in the order of their ids, so a process that
 * passed on what the notices carried, as they came, could pass on id 11 before id 10 and a stream resumed after 11
 * would never see 10. The feed's read waits for the writers in flight instead (store/liveEvents.ts). Each process
 * reads at most once at a time, however many notices come meanwhile: under load one read takes many rows.
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
import { LIVE_EVENTS_CHANNEL, type LiveEventStore } from '../store/liveEvents.js';
import type { Logger } from '../log.js';
import { InProcessLiveEventBus, type LiveEventBus, type LiveEventListener } from './liveEvents.js';

/** Events one read of the feed takes. */
const READ_PAGE = 500;
/** How long after a failed read the feed is read again. */
const RETRY_MS = 250;

export class PostgresLiveEventBus implements LiveEventBus {
  private readonly local: InProcessLiveEventBus;
  private reading: Promise<void> | null = null;
  private readAgain = false;

  private constructor(
    private readonly store: LiveEventStore,
    private readonly log: Logger,
    /** The last id passed on. */
    private lastId: number,
  ) {
    this.local = new InProcessLiveEventBus(log);
  }

  /** Starts listening on `client` (a connection of its own: a LISTEN lasts as long as its session). */
  static async listen(client: pg.Client, store: LiveEventStore, log: Logger): Promise<PostgresLiveEventBus> {
    let bus: PostgresLiveEventBus | undefined;
    client.on('notification', (notice) => {
      if (notice.channel === LIVE_EVENTS_CHANNEL) bus?.wake();
    });
    await client.query(`LISTEN ${LIVE_EVENTS_CHANNEL}`);
    // Listening first: whatever commits after the last id is read here is announced.
    bus = new PostgresLiveEventBus(store, log, await store.lastId());
    bus.wake();
    return bus;
  }

  /** Nothing to do here: the committing transaction's NOTIFY reaches every process, this one included. */
  publish(): void {}

  subscribe(accountSid: string, listener: LiveEventListener): () => void {
    return this.local.subscribe(accountSid, listener);
  }

  private wake(): void {
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = this.readNew().finally(() => (this.reading = null));
  }

  /** Reads the feed after the last id passed on, for as long as there is more, and passes it on in order. */
  private async readNew(): Promise<void> {
    do {
      this.readAgain = false;
      try {
        const events = await this.store.after(this.lastId, READ_PAGE);
        if (events.length === 0) continue;
        this.lastId = events.at(-1)!.id;
        this.local.publish(events);
        if (events.length === READ_PAGE) this.readAgain = true;
      } catch (err) {
        this.log.warn({ err }, 'live events could not be read');
        setTimeout(() => this.wake(), RETRY_MS).unref();
        return;
      }
    } while (this.readAgain);
  }
}
