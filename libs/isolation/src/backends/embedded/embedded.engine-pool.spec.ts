import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { UnavailableError } from '@vecgate/core';
import { makeTenantScope } from '../../ports/vector.types';
import { EmbeddedBackend } from './embedded.backend';

describe('EnginePool', () => {
  let dir: string;
  let backend: EmbeddedBackend;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vg-pool-'));
    backend = new EmbeddedBackend({ directory: dir, cacheMb: 8, maxOpenFiles: 4, workers: 1 });
  });

  afterEach(async () => {
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 for the calls of a worker that died, and serves the next call from a new one', async () => {
    const tenantUid = randomBytes(16).toString('hex');
    const space = { dimension: 4, metric: 'dot' } as const;
    const placement = backend.plan({ tenantId: 't', tenantUid, strategy: 'database', space });
    const scope = makeTenantScope({ tenantId: 't', tenantUid, placement, space });
    await backend.provision(scope);
    await backend.upsert(scope, [{ id: 'kept', values: Float32Array.from([1, 2, 3, 4]) }]);

    // Reach into the pool the way a crash would: the worker thread goes away with a call sent.
    const workers = (backend as unknown as { engine: { workers: Worker[] } }).engine.workers;
    const stopping = workers[0]!.terminate();
    const lost = await backend.count(scope).catch((err: unknown) => err);
    await stopping;
    expect(lost).toBeInstanceOf(UnavailableError);

    expect(await backend.count(scope)).toBe(1);
    const [hit] = await backend.search(scope, {
      vector: Float32Array.from([1, 1, 1, 1]),
      topK: 1,
      includeValues: true,
      includeMetadata: false,
    });
    expect(hit?.id).toBe('kept');
    expect(Array.from(hit!.values!)).toEqual([1, 2, 3, 4]);
  });
});
