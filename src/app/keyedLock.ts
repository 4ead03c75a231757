/**
 * Runs async work one at a time per key (a payment session, a call), in arrival order.
 * Every change to a session goes through here, so a digit, a timer and an agent request never interleave.
 *
 * @example
 *   const lock = new KeyedLock();
 *   await lock.run(sessionSid, async () => { ... });
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
