import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Handle } from '../framework/interface.js';
import { inTreeRegistry } from './registry.js';

describe('inTreeRegistry', () => {
  const cases = Object.keys(inTreeRegistry).map((name) => ({ name }));
  for (const c of cases) {
    it(`${c.name} builds a plugin of that name with default args`, () => {
      const plugin = inTreeRegistry[c.name]!(undefined, {} as Handle);
      assert.equal(plugin.name, c.name);
    });
  }
});
