/**
 * Random bytes for values that must be unpredictable and unique but are not secret (SIDs, encryption IVs), drawn
 * from a pool that node:crypto refills 4 KB at a time: asking it for a few bytes at once costs more than the
 * encryption those bytes are for. Secrets (auth tokens, keys, salts) are still asked of node:crypto directly.
 *
 * @example
 *   const iv = pooledRandomBytes(12);
 */
import { randomBytes } from 'node:crypto';

const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let taken = 0;

export function pooledRandomBytes(size: number): Buffer {
  if (taken + size > pool.length) {
    // A new pool, never a refill: bytes already handed out are views of the old one and must not change.
    pool = randomBytes(Math.max(POOL_BYTES, size));
    taken = 0;
  }
  taken += size;
  return pool.subarray(taken - size, taken);
}
