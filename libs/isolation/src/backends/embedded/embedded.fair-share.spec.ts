import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeadlineExceededError,
  TooManyRequestsError,
  UnavailableError,
  VecgateError,
} from '@vecgate/core';
import { rng } from '../../../../../test/support/rng';
import { FilterNode, makeTenantScope, TenantScope, VectorWrite } from '../../ports/vector.types';
import { EmbeddedBackend } from './embedded.backend';
import { EmbeddedOptions } from './embedded.options';

const DIMENSION = 16;
const NOISY_ROWS = 20_000;

/** Sixteen `$nin` clauses of 64 values over a 32-item array: the filter cost limit, in full. */
const HEAVY: FilterNode = {
  op: '$and',
  nodes: Array.from({ length: 16 }, (_, c) => ({
    op: '$nin' as const,
    field: 't',
    values: Array.from({ length: 64 }, (_, v) => 1000 + c * 64 + v),
  })),
};

async function outcomeOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
    return 'resolved';
  } catch (err) {
    return err;
  }
}

describe('EmbeddedBackend fair share', () => {
  let dir: string;
  const opened: EmbeddedBackend[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vg-fair-'));
  });

  afterAll(async () => {
    for (const b of opened) await b.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function open(options: Partial<EmbeddedOptions>): EmbeddedBackend {
    // One worker: every tenant below shares it, so fairness is between them.
    const backend = new EmbeddedBackend({
      directory: join(dir, `b${opened.length}`),
      cacheMb: 256,
      maxOpenFiles: 8,
      workers: 1,
      sliceMs: 2,
      ...options,
    });
    opened.push(backend);
    return backend;
  }

  async function tenant(on: EmbeddedBackend, rows: number): Promise<TenantScope> {
    const tenantUid = randomBytes(16).toString('hex');
    const space = { dimension: DIMENSION, metric: 'cosine' } as const;
    const placement = on.plan({ tenantId: 't', tenantUid, strategy: 'partition_key', space });
    const scope = makeTenantScope({ tenantId: `t-${tenantUid}`, tenantUid, placement, space });
    await on.provision(scope);
    const next = rng(rows);
    for (let at = 0; at < rows; at += 1000) {
      const batch: VectorWrite[] = [];
      for (let i = at; i < Math.min(rows, at + 1000); i++) {
        batch.push({
          id: `r${i}`,
          values: Float32Array.from({ length: DIMENSION }, () => next() * 2 - 1),
          metadata: { t: Array.from({ length: 32 }, (_, j) => (i + j) % 500) },
        });
      }
      await on.upsert(scope, batch);
    }
    return scope;
  }

  const query = { vector: new Float32Array(DIMENSION).fill(0.5), topK: 10 };
  const heavy = { ...query, filter: HEAVY, includeMetadata: true, includeValues: false };
  const light = { ...query, includeMetadata: false, includeValues: false };

  let backend: EmbeddedBackend;
  let noisy: TenantScope;
  let quiet: TenantScope;

  beforeAll(async () => {
    backend = open({ tenantQueue: 3 });
    noisy = await tenant(backend, NOISY_ROWS);
    quiet = await tenant(backend, 50);
    // Load both matrices, so what follows measures queueing, not loading.
    await backend.search(noisy, light);
    await backend.search(quiet, light);
  });

  it("serves a neighbour's fetch, count and search while a tenant's long filtered search runs", async () => {
    const order: string[] = [];
    const long = backend.search(noisy, heavy).then((hits) => {
      order.push('noisy search');
      return hits;
    });
    const neighbour = Promise.all([
      backend.fetch(quiet, ['r1'], { includeValues: true, includeMetadata: true }),
      backend.count(quiet),
      backend.search(quiet, light),
    ]).then((results) => {
      order.push('quiet calls');
      return results;
    });
    const [hits, [fetched, count, found]] = await Promise.all([long, neighbour]);
    expect(order).toEqual(['quiet calls', 'noisy search']);
    expect(hits).toHaveLength(10);
    expect(fetched.map((r) => r.id)).toEqual(['r1']);
    expect(count).toBe(50);
    expect(found).toHaveLength(10);
    for (const hit of found) expect(hit.tenantUid).toBe(quiet.tenantUid);
  });

  it('refuses a tenant over its queue with 429 and Retry-After, and only that tenant', async () => {
    const stop = new AbortController();
    const running = [1, 2, 3].map(() =>
      outcomeOf(backend.search(noisy, heavy, { signal: stop.signal })),
    );
    const refused = await outcomeOf(backend.search(noisy, light));
    expect(refused).toBeInstanceOf(TooManyRequestsError);
    expect((refused as VecgateError).status).toBe(429);
    expect((refused as VecgateError).extras.retryAfterSeconds).toBeGreaterThan(0);
    // The neighbour on the same worker is admitted and answered meanwhile.
    await expect(backend.count(quiet)).resolves.toBe(50);
    stop.abort();
    for (const outcome of await Promise.all(running))
      expect(outcome).toBeInstanceOf(DeadlineExceededError);
    await expect(backend.count(noisy)).resolves.toBe(NOISY_ROWS);
  });

  it('stops a long search once its deadline passes and rejects it with 504', async () => {
    const outcome = await outcomeOf(
      backend.search(noisy, heavy, { signal: AbortSignal.timeout(20) }),
    );
    expect(outcome).toBeInstanceOf(DeadlineExceededError);
    expect((outcome as VecgateError).status).toBe(504);
    // The tenant's queue is free again: the stopped job holds no slot.
    await expect(backend.count(noisy)).resolves.toBe(NOISY_ROWS);
  });

  it('rejects a call whose signal already aborted with 504, without queueing it', async () => {
    const outcome = await outcomeOf(
      backend.upsert(noisy, [{ id: 'never', values: new Float32Array(DIMENSION).fill(1) }], {
        signal: AbortSignal.abort(),
      }),
    );
    expect(outcome).toBeInstanceOf(DeadlineExceededError);
    expect(
      await backend.fetch(noisy, ['never'], { includeValues: false, includeMetadata: false }),
    ).toEqual([]);
  });

  it('drops a queued write whose signal aborts before it runs', async () => {
    const long = backend.search(noisy, heavy);
    const cancel = new AbortController();
    const late = outcomeOf(
      backend.upsert(noisy, [{ id: 'late', values: new Float32Array(DIMENSION).fill(1) }], {
        signal: cancel.signal,
      }),
    );
    cancel.abort();
    expect(await late).toBeInstanceOf(DeadlineExceededError);
    await long;
    expect(
      await backend.fetch(noisy, ['late'], { includeValues: false, includeMetadata: false }),
    ).toEqual([]);
    expect(await backend.count(noisy)).toBe(NOISY_ROWS);
  });

  it('answers every upsert as what happened to it, whenever its signal aborts', async () => {
    const outcomes: string[] = [];
    for (let i = 0; i < 30; i++) {
      const id = `w${i}`;
      const cancel = new AbortController();
      const values = new Float32Array(DIMENSION).fill(i);
      const call = outcomeOf(backend.upsert(quiet, [{ id, values }], { signal: cancel.signal }));
      // Abort at a different moment each time: before the post, while queued, while committing.
      if (i % 3 === 0) queueMicrotask(() => cancel.abort());
      else setTimeout(() => cancel.abort(), i % 5);
      const outcome = await call;
      const stored = await backend.fetch(quiet, [id], ALL_OFF);
      if (outcome === 'resolved') {
        expect(stored.map((r) => r.id)).toEqual([id]);
        outcomes.push('committed');
      } else {
        expect(outcome).toBeInstanceOf(DeadlineExceededError);
        expect(stored).toEqual([]);
        outcomes.push('stopped');
      }
    }
    expect(outcomes).toHaveLength(30);
  });

  it('answers 503 for everyone once the whole engine queue is full', async () => {
    const small = open({ queue: 2, tenantQueue: 2 });
    const a = await tenant(small, 5_000);
    const b = await tenant(small, 10);
    const c = await tenant(small, 10);
    const stop = new AbortController();
    const busy = [a, b].map((scope) =>
      outcomeOf(small.search(scope, heavy, { signal: stop.signal })),
    );
    const refused = await outcomeOf(small.count(c));
    expect(refused).toBeInstanceOf(UnavailableError);
    expect((refused as VecgateError).status).toBe(503);
    stop.abort();
    await Promise.all(busy);
    await expect(small.count(c)).resolves.toBe(10);
  });
});

const ALL_OFF = { includeValues: false, includeMetadata: false } as const;
