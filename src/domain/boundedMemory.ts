/**
 * A Map that keeps at most `limit` entries: adding one more forgets the oldest. For what is remembered only to save
 * work (prepared statements, card types by issuer prefix, receiver URLs, calls in progress), so that input a client
 * controls cannot grow it without end.
 *
 * @example
 *   const origins = new BoundedMemory<string, string>(1000);
 *   const origin = origins.remember(url, () => new URL(url).origin);
 */
export class BoundedMemory<K, V> extends Map<K, V> {
  constructor(private readonly limit: number) {
    super();
  }

  override set(key: K, value: V): this {
    if (!this.has(key) && this.size >= this.limit) this.delete(this.keys().next().value as K);
    return super.set(key, value);
  }

  /** The value kept for `key`; computed and kept first when there is none. */
  remember(key: K, compute: () => V): V {
    if (this.has(key)) return this.get(key) as V;
    const value = compute();
    this.set(key, value);
    return value;
  }
}
