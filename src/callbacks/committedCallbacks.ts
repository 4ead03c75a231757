/**
 * The callbacks this process committed and has not started sending, per session, lowest seq first: when this
 * process is the only sender, the outbox takes a session's next callback from here instead of reading it back.
 *
 * A session is known here from its first callback (seq 1) on, so none of its pending callbacks can be missing.
 * Any other session (one that began before a restart) is left to the database, and so is a session whose
 * callback waits for a retry, or one the outbox already sent from the database: from then on its rows are read
 * back, as they always may be. Rows stay the truth; this only saves reading them.
 *
 * @example
 *   const committed = new CommittedCallbacks();
 *   committed.add('PK...', [start], false);  // a session's first callback: it is known from now on
 *   const next = committed.head('PK...');    // the callback to send now
 *   const going = committed.takeInOrder('PK...', 32);   // it and those queued after it: in flight
 */
import type { OutgoingCallback } from './outbox.js';

/** A session whose callbacks are read from the database: what it commits is not queued here. */
const FROM_DATABASE = null;

interface KnownSession {
  queue: OutgoingCallback[];
  /** The session emits nothing after what is queued. */
  ended: boolean;
}

export class CommittedCallbacks {
  private readonly sessions = new Map<string, KnownSession | typeof FROM_DATABASE>();

  /**
   * Queues callbacks a commit wrote for a session. A session whose earlier callbacks may be pending unseen (one not
   * known here, or left to the database) queues nothing: `knows` says false and the outbox reads its rows.
   */
  add(sessionSid: string, callbacks: OutgoingCallback[], ended: boolean): void {
    let session = this.sessions.get(sessionSid);
    if (session === FROM_DATABASE) {
      // Its last callbacks committed: nothing more will come to be refused, so it need not be remembered.
      if (ended) this.sessions.delete(sessionSid);
      return;
    }
    if (session === undefined) {
      if (callbacks[0]?.seq !== 1) return;
      session = { queue: [], ended: false };
      this.sessions.set(sessionSid, session);
    }
    session.queue.push(...callbacks);
    session.ended ||= ended;
    // Ended with nothing left to send (a call whose last move owed no callback): nothing more will come for it. A
    // sequence still in flight finds it gone and reads whatever it left from the database.
    if (session.ended && session.queue.length === 0) this.sessions.delete(sessionSid);
  }

  knows(sessionSid: string): boolean {
    return this.sessions.get(sessionSid) != null;
  }

  /** The session's next callback to send, when it is known here and has one. */
  head(sessionSid: string): OutgoingCallback | undefined {
    return this.sessions.get(sessionSid)?.queue[0];
  }

  /**
   * Starts the session's queued callbacks that go to the same URL as its head, at most `limit`, lowest seq first:
   * they leave the queue and are returned (none when the session is not known here).
   */
  takeInOrder(sessionSid: string, limit: number): OutgoingCallback[] {
    const queue = this.sessions.get(sessionSid)?.queue;
    if (!queue || queue.length === 0) return [];
    const url = queue[0]!.url;
    let count = 1;
    while (count < Math.min(limit, queue.length) && queue[count]!.url === url) count += 1;
    return queue.splice(0, count);
  }

  /** Callbacks taken but not attempted go back to the front of the session's queue, in order. */
  giveBack(sessionSid: string, callbacks: OutgoingCallback[]): void {
    this.sessions.get(sessionSid)?.queue.unshift(...callbacks);
  }

  /**
   * The session's callback in flight is recorded. A session that has ended and has nothing left is forgotten, and
   * then true is returned: it has no callback left to look for, here or in the database.
   */
  settled(sessionSid: string): boolean {
    const session = this.sessions.get(sessionSid);
    if (!session?.ended || session.queue.length > 0) return false;
    this.sessions.delete(sessionSid);
    return true;
  }

  /**
   * One of the session's callbacks went from a row read in the database. Its commits are no longer queued here:
   * the row may be one a commit is about to hand over (the read raced it), and must not go twice.
   */
  sentFromDatabase(sessionSid: string, seq: number): void {
    // A session not known here refuses every commit but its first (seq 1).
    if (this.sessions.has(sessionSid) || seq === 1) this.leaveToDatabase(sessionSid);
  }

  /** From now on the session's callbacks are read from the database: one of them waits for a retry. */
  leaveToDatabase(sessionSid: string): void {
    // An ended session commits nothing more, so there is nothing left to refuse.
    if (this.sessions.get(sessionSid)?.ended) this.sessions.delete(sessionSid);
    else this.sessions.set(sessionSid, FROM_DATABASE);
  }
}
