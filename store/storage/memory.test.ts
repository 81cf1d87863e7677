import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { storageConformance } from './conformance.js';
import { MemoryStorage } from './memory.js';

storageConformance('MemoryStorage', () => ({ storage: new MemoryStorage() }));

void describe('MemoryStorage', () => {
  void it('takes its initial membership from the constructor', () => {
    const cs = { voters: [1, 2, 3], learners: [4] };
    const s = new MemoryStorage(cs);
    assert.deepEqual(s.initialState().confState, cs);
    assert.equal(s.snapshot().metadata.index, 0);
    assert.equal(s.lastIndex(), 0);
  });
});
