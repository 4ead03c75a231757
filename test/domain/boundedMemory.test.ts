import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BoundedMemory } from '../../src/domain/boundedMemory.js';

test('keeps at most its limit, forgetting the oldest entry first', () => {
  const memory = new BoundedMemory<string, number>(2);
  memory.set('a', 1).set('b', 2).set('a', 10).set('c', 3);
  assert.deepEqual([...memory.entries()], [['b', 2], ['c', 3]]);
});

test('remember computes a value once, including a null one', () => {
  const memory = new BoundedMemory<string, number | null>(10);
  let computed = 0;
  const compute = () => {
    computed += 1;
    return null;
  };
  assert.equal(memory.remember('k', compute), null);
  assert.equal(memory.remember('k', compute), null);
  assert.equal(computed, 1);
});
