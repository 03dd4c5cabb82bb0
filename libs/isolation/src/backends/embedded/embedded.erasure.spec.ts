import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { embeddedSandbox, provisionedTenant } from '../../../../../test/support/embedded-sandbox';
import { rng } from '../../../../../test/support/rng';
import { peek } from '../../../../../test/support/sqlite-peek';
import { StrategyName, VectorWrite } from '../../ports/vector.types';
import { EmbeddedBackend } from './embedded.backend';

const DIMENSION = 32;
const space = { dimension: DIMENSION, metric: 'euclidean' } as const;

function rows(seed: number, count: number, tag: string): VectorWrite[] {
  const next = rng(seed);
  return Array.from({ length: count }, (_, i) => ({
    id: `${tag}-${i}`,
    values: Float32Array.from({ length: DIMENSION }, () => next()),
    metadata: { owner: tag, note: `${tag} record ${i}` },
  }));
}

function inspect(file: string) {
  return peek(file, (db) => ({
    autoVacuum: db.pragma('auto_vacuum', { simple: true }),
    freePages: db.pragma('freelist_count', { simple: true }),
  }));
}

describe('EmbeddedBackend erasure of shared files', () => {
  const sandbox = embeddedSandbox('vg-erase-');
  const tenant = (on: EmbeddedBackend, strategy: StrategyName) =>
    provisionedTenant(on, strategy, space);

  it.each(['partition_key', 'collection'] as const)(
    'erases a large %s tenant in slices, serving its neighbour meanwhile, and leaves no byte of it nor a free page',
    async (strategy) => {
      // One worker, so the erasure and the neighbour's calls share it.
      const backend = sandbox.open({ cacheMb: 64, sliceMs: 1, workers: 1 });
      const marker = `GONE${randomBytes(6).toString('hex')}`;
      const keep = `KEEP${randomBytes(6).toString('hex')}`;
      const erased = await tenant(backend, strategy);
      const neighbour = await tenant(backend, strategy);
      for (let b = 0; b < 6; b++) await backend.upsert(erased, rows(b, 1000, `${marker}${b}`));
      await backend.upsert(neighbour, rows(99, 500, keep));
      const shared = join(sandbox.dir, 'embedded.db');
      const holding = (text: string) =>
        [shared, `${shared}-wal`].filter((f) => existsSync(f) && readFileSync(f).includes(text));
      expect(holding(marker).length).toBeGreaterThan(0);

      const order: string[] = [];
      const erasing = backend.erase(erased).then((report) => {
        order.push('erased');
        return report;
      });
      const counted = backend.count(neighbour).then((n) => {
        order.push('neighbour counted');
        return n;
      });
      const [report, count] = await Promise.all([erasing, counted]);
      expect(order).toEqual(['neighbour counted', 'erased']);
      expect(count).toBe(500);
      for (const place of report.places) expect(place.remaining).toBe(0);

      expect(inspect(shared)).toEqual({ autoVacuum: 2, freePages: 0 });
      expect(holding(marker)).toEqual([]);
      expect(holding(keep)).toEqual([shared]);
      expect(await backend.count(neighbour)).toBe(500);
      const [hit] = await backend.search(neighbour, {
        vector: new Float32Array(DIMENSION).fill(0.5),
        topK: 1,
        includeValues: false,
        includeMetadata: true,
      });
      expect(hit?.metadata?.owner).toBe(keep);
    },
  );

  it('converts a shared file made without auto_vacuum once, at start-up, keeping its records', () => {
    mkdirSync(sandbox.dir, { recursive: true });
    const shared = join(sandbox.dir, 'embedded.db');
    const old = new Database(shared);
    old.pragma('journal_mode = WAL');
    old.exec('CREATE TABLE legacy (x TEXT)');
    old.prepare('INSERT INTO legacy VALUES (?)').run('before');
    old.close();
    expect(inspect(shared).autoVacuum).toBe(0);

    sandbox.open();
    expect(inspect(shared).autoVacuum).toBe(2);
    const check = new Database(shared, { readonly: true });
    try {
      expect(check.prepare('SELECT x FROM legacy').pluck().all()).toEqual(['before']);
    } finally {
      check.close();
    }
  });

  it('creates new shared and per-tenant files with incremental auto_vacuum', async () => {
    const backend = sandbox.open();
    const own = await tenant(backend, 'database');
    await backend.upsert(own, rows(5, 3, 'own'));
    expect(inspect(join(sandbox.dir, 'embedded.db')).autoVacuum).toBe(2);
    expect(inspect(join(sandbox.dir, 'tenants', `${own.tenantUid}.db`)).autoVacuum).toBe(2);
  });
});
