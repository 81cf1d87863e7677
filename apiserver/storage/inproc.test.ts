/**
 * The StoreClient conformance suite over the in-process backend: EtcdStore
 * over the in-process channel to a single kubeling member in this process
 * (the all-in-one mode's store, cli/inprocess.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startInProcessStore } from '../../cli/inprocess.js';
import { storeConformance, type Backend } from './conformance.js';
import { StoreUnavailableError } from './errors.js';

async function backend(): Promise<Backend> {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-inproc-'));
  const s = await startInProcessStore(dir);
  return {
    client: s.client,
    stop: async () => {
      await s.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

storeConformance('the in-process store', backend);

describe('EtcdStore over the in-process channel', () => {
  it('a closed client rejects with StoreUnavailableError; a restart on the same directory has the data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeling-inproc-'));
    try {
      const first = await startInProcessStore(dir);
      const created = await first.client.create('/registry/namespaces/kept', new TextEncoder().encode('{}'));
      await first.stop();
      await assert.rejects(first.client.get('/registry/namespaces/kept'), StoreUnavailableError);

      const second = await startInProcessStore(dir);
      try {
        const got = await second.client.get('/registry/namespaces/kept');
        assert.equal(got.value?.modRevision, created.modRevision);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
