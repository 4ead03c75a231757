/**
 * Live events in motion: a bus that tells every listener of an account about events just committed, and a feed
 * that opens a stream for one client (what it missed, read from the store, then what happens next, each once).
 *
 * The bus is an interface so that a cluster can fan events out across processes (for example with PostgreSQL
 * LISTEN/NOTIFY); `InProcessLiveEventBus` serves a single process. Whatever the bus, it is fed only after the
 * commit that made the events true, and the events carry the ids the feed table gave them.
 *
 * @example
 *   const feed = new LiveEventFeed(new LiveEventStore(db), new InProcessLiveEventBus());
 *   const stop = await feed.open(accountSid, { callSid }, lastEventId, (event) => write(event));
 *   // later
 *   stop();
 */
import { matchesFilter, type LiveEvent, type LiveEventFilter, type NewLiveEvent } from '../domain/liveEvents.js';
import type { LiveEventStore } from '../store/liveEvents.js';

export type LiveEventListener = (events: LiveEvent[]) => void;

export interface LiveEventBus {
  /** Hands committed events to every listener of their account (in this process and, in a cluster, the others). */
  publish(events: LiveEvent[]): void;
  /** Listens to one account's events; returns the function that stops listening. */
  subscribe(accountSid: string, listener: LiveEventListener): () => void;
}

export class InProcessLiveEventBus implements LiveEventBus {
  private readonly listeners = new Map<string, Set<LiveEventListener>>();

  constructor(private readonly log?: { warn(obj: object, msg?: string): void }) {}

  publish(events: LiveEvent[]): void {
    const byAccount = new Map<string, LiveEvent[]>();
    for (const event of events) byAccount.set(event.accountSid, [...(byAccount.get(event.accountSid) ?? []), event]);
    for (const [accountSid, batch] of byAccount) {
      for (const listener of this.listeners.get(accountSid) ?? []) {
        // One broken listener must not keep the others, or the commit that published, from going on.
        try {
          listener(batch);
        } catch (err) {
          this.log?.warn({ error: err instanceof Error ? err.message : String(err), accountSid }, 'live event listener failed');
        }
      }
    }
  }

  subscribe(accountSid: string, listener: LiveEventListener): () => void {
    const set = this.listeners.get(accountSid) ?? new Set();
    set.add(listener);
    this.listeners.set(accountSid, set);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(accountSid) === set) this.listeners.delete(accountSid);
    };
  }
}

/** How many stored events one query of a resume reads. */
const REPLAY_PAGE = 500;

export class LiveEventFeed {
  constructor(
    private readonly store: LiveEventStore,
    readonly bus: LiveEventBus,
  ) {}

  /** Writes and publishes events that come with no other change (what a call's TwiML says). */
  async record(events: NewLiveEvent[]): Promise<void> {
    this.bus.publish(await this.store.append(events));
  }

  /**
   * Sends the account's events that pass `filter` to `send`: first, when `afterId` is given, the stored ones after
   * it, then each new one as it is committed. Listening starts before the store is read, so nothing committed in
   * between is lost; an event both read and heard is sent once (ids become visible in increasing order, see
   * store/liveEvents.ts, so anything heard with an id up to the last one read was read). Returns the stop function.
   */
  async open(accountSid: string, filter: LiveEventFilter, afterId: number | null, send: (event: LiveEvent) => void): Promise<() => void> {
    let heardDuringReplay: LiveEvent[] | null = [];
    const unsubscribe = this.bus.subscribe(accountSid, (events) => {
      for (const event of events) {
        if (!matchesFilter(event, filter)) continue;
        if (heardDuringReplay) heardDuringReplay.push(event);
        else send(event);
      }
    });
    try {
      let lastRead = afterId ?? 0;
      if (afterId !== null) {
        for (;;) {
          const page = await this.store.since(accountSid, lastRead, filter, REPLAY_PAGE);
          for (const event of page) {
            send(event);
            lastRead = event.id;
          }
          if (page.length < REPLAY_PAGE) break;
        }
      }
      const heard = heardDuringReplay;
      heardDuringReplay = null;
      for (const event of heard) if (afterId === null || event.id > lastRead) send(event);
    } catch (err) {
      unsubscribe();
      throw err;
    }
    return unsubscribe;
  }
}
