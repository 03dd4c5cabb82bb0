import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { embeddedSandbox, newUid } from '../../../../../test/support/embedded-sandbox';
import { rng } from '../../../../../test/support/rng';
import { peek } from '../../../../../test/support/sqlite-peek';
import { openSqliteFile } from '../../../../core/src/sql/sqlite-file';
import {
  makeTenantScope,
  StrategyName,
  TenantScope,
  VectorSpace,
  VectorWrite,
} from '../../ports/vector.types';
import { EmbeddedBackend } from './embedded.backend';
import { locate } from './embedded.naming';
import { upgradeRecordTable } from './embedded.schema';

/** The record table of the release before namespaces, verbatim (its `RecordTable.schema`). */
function previousReleaseDdl(table: string): string {
  return `CREATE TABLE IF NOT EXISTS "${table}" (
      tenant_uid TEXT NOT NULL,
      id TEXT NOT NULL,
      vector BLOB NOT NULL,
      metadata TEXT,
      PRIMARY KEY (tenant_uid, id)
    )`;
}

const space: VectorSpace = { dimension: 8, metric: 'cosine' };
const ALL = { includeValues: true, includeMetadata: true } as const;
const COUNT = 40;

function rows(seed: number, tag: string): VectorWrite[] {
  const next = rng(seed);
  return Array.from({ length: COUNT }, (_, i) => ({
    id: `r${i}`,
    values: Float32Array.from({ length: space.dimension }, () => next() * 2 - 1),
    metadata: { owner: tag, i, parity: i % 2 === 0 ? 'even' : 'odd' },
  }));
}

interface OldTenant {
  readonly strategy: StrategyName;
  readonly uid: string;
  readonly records: VectorWrite[];
}

/** Writes records the way the previous release did: its DDL, its insert, its file settings. */
function writePreviousRelease(directory: string, tenants: readonly OldTenant[]): void {
  mkdirSync(join(directory, 'tenants'), { recursive: true });
  for (const t of tenants) {
    const { file, table } = locate(t.strategy, t.uid, space);
    const db = openSqliteFile(join(directory, file), { incrementalVacuum: true });
    try {
      db.exec(previousReleaseDdl(table));
      const insert = db.prepare(
        `INSERT INTO "${table}" (tenant_uid, id, vector, metadata) VALUES (?, ?, ?, ?)`,
      );
      db.transaction(() => {
        // Written in reverse, so rowid order (ties) differs from id order.
        for (const r of [...t.records].reverse()) {
          const vector = Buffer.from(r.values.buffer, r.values.byteOffset, r.values.byteLength);
          insert.run(t.uid, r.id, vector, JSON.stringify(r.metadata));
        }
      })();
    } finally {
      db.close();
    }
  }
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  a.forEach((x, i) => {
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  });
  return dot / Math.sqrt(na * nb);
}

function columns(file: string, table: string): { names: string[]; key: string[] } {
  const info = peek(
    file,
    (db) =>
      db.prepare(`SELECT name, pk FROM pragma_table_info(?)`).all(table) as {
        name: string;
        pk: number;
      }[],
  );
  const key = info.filter((c) => c.pk > 0).sort((x, y) => x.pk - y.pk);
  return { names: info.map((c) => c.name), key: key.map((c) => c.name) };
}

describe('EmbeddedBackend opening a data directory of the release before namespaces', () => {
  const sandbox = embeddedSandbox('vg-upgrade-');
  let backend: EmbeddedBackend | undefined;

  function scopeOf(t: OldTenant, namespace?: string): TenantScope {
    const placement = backend!.plan({
      tenantId: 't',
      tenantUid: t.uid,
      strategy: t.strategy,
      space,
    });
    return makeTenantScope({
      tenantId: `t-${t.uid.slice(0, 8)}`,
      tenantUid: t.uid,
      placement,
      space,
      namespace,
    });
  }

  const uid = newUid;

  it('finds every old record in the default namespace, searchable, and writes other namespaces beside them', async () => {
    const tenants: OldTenant[] = [
      { strategy: 'database', uid: uid(), records: rows(1, 'database') },
      { strategy: 'collection', uid: uid(), records: rows(2, 'collection') },
      // Two tenants in one shared table: the upgrade keeps them apart.
      { strategy: 'partition_key', uid: uid(), records: rows(3, 'shared-a') },
      { strategy: 'partition_key', uid: uid(), records: rows(4, 'shared-b') },
    ];
    writePreviousRelease(sandbox.dir, tenants);
    backend = sandbox.open();

    for (const t of tenants) {
      const scope = scopeOf(t);
      expect(await backend.count(scope)).toBe(COUNT);
      const fetched = await backend.fetch(
        scope,
        t.records.map((r) => r.id),
        ALL,
      );
      expect(fetched).toHaveLength(COUNT);
      for (const record of fetched) {
        const want = t.records.find((r) => r.id === record.id)!;
        expect(record.tenantUid).toBe(t.uid);
        expect(record.namespace).toBe('');
        expect(Array.from(record.values!)).toEqual(Array.from(want.values));
        expect(record.metadata).toEqual(want.metadata);
      }

      const query = t.records[5]!.values;
      const hits = await backend.search(scope, { vector: query, topK: 5, ...ALL });
      const expected = [...t.records]
        .sort((x, y) => cosine(query, y.values) - cosine(query, x.values))
        .slice(0, 5);
      expect(hits.map((h) => h.id)).toEqual(expected.map((r) => r.id));
      for (const hit of hits) {
        expect(hit.tenantUid).toBe(t.uid);
        expect(hit.namespace).toBe('');
      }
      const odd = await backend.search(scope, {
        vector: query,
        topK: 100,
        filter: { op: '$eq', field: 'parity', value: 'odd' },
        ...ALL,
      });
      expect(odd).toHaveLength(COUNT / 2);

      // The same id in another namespace is another record; the old one is untouched.
      const docs = scopeOf(t, 'docs');
      const fresh = new Float32Array(space.dimension).fill(0.25);
      await expect(
        backend.upsert(docs, [{ id: 'r0', values: fresh, metadata: { ns: 'docs' } }]),
      ).resolves.toEqual({ upserted: 1 });
      expect(await backend.count(docs)).toBe(1);
      expect(await backend.count(scope)).toBe(COUNT);
      const [old] = await backend.fetch(scope, ['r0'], ALL);
      expect(Array.from(old!.values!)).toEqual(Array.from(t.records[0]!.values));
      const [inDocs] = await backend.fetch(docs, ['r0'], ALL);
      expect(inDocs).toMatchObject({ namespace: 'docs', metadata: { ns: 'docs' } });
      await backend.upsert(scope, [{ id: 'new', values: fresh }]);
      expect(await backend.count(scope)).toBe(COUNT + 1);
    }

    for (const t of tenants) {
      const { file, table } = locate(t.strategy, t.uid, space);
      expect(columns(join(sandbox.dir, file), table)).toEqual({
        names: ['tenant_uid', 'namespace', 'id', 'vector', 'metadata'],
        key: ['tenant_uid', 'namespace', 'id'],
      });
    }

    // Reopened, the directory is already current: nothing is rebuilt and nothing is lost.
    await backend.close();
    backend = sandbox.open();
    for (const t of tenants) {
      expect(await backend.count(scopeOf(t))).toBe(COUNT + 1);
      expect(await backend.count(scopeOf(t, 'docs'))).toBe(1);
    }
  });

  it('keeps each record its rowid, so equal scores still rank the oldest record first', async () => {
    const t: OldTenant = { strategy: 'partition_key', uid: uid(), records: rows(5, 'ties') };
    const same = new Float32Array(space.dimension).fill(1);
    t.records.forEach((r) => r.values.set(same));
    writePreviousRelease(sandbox.dir, [t]);
    const { file, table } = locate(t.strategy, t.uid, space);
    const rowids = () =>
      peek(join(sandbox.dir, file), (db) =>
        db.prepare(`SELECT rowid, id FROM "${table}" ORDER BY id`).all(),
      );
    const before = rowids();
    backend = sandbox.open();
    const hits = await backend.search(scopeOf(t), { vector: same, topK: 3, ...ALL });
    // Written in reverse: r39 is the oldest row.
    expect(hits.map((h) => h.id)).toEqual(['r39', 'r38', 'r37']);
    expect(rowids()).toEqual(before);
  });

  it('rebuilds a table in one transaction: a failure part-way leaves the old table whole', () => {
    const file = join(sandbox.dir, 'embedded.db');
    const t: OldTenant = { strategy: 'collection', uid: uid(), records: rows(6, 'atomic') };
    writePreviousRelease(sandbox.dir, [t]);
    const { table } = locate(t.strategy, t.uid, space);
    const db = openSqliteFile(file, { incrementalVacuum: true });
    try {
      // A view on the table makes SQLite refuse the final RENAME, after the copy and the DROP.
      db.exec(`CREATE VIEW probe AS SELECT id FROM "${table}"`);
      expect(() => upgradeRecordTable(db, table)).toThrow(/no such table/);
      expect(columns(file, table).key).toEqual(['tenant_uid', 'id']);
      expect(db.prepare(`SELECT count(*) FROM "${table}"`).pluck().get()).toBe(COUNT);
      const leftovers = db
        .prepare(`SELECT name FROM sqlite_master WHERE name LIKE '%upgrade%'`)
        .pluck()
        .all();
      expect(leftovers).toEqual([]);

      db.exec('DROP VIEW probe');
      expect(upgradeRecordTable(db, table)).toBe(true);
      expect(upgradeRecordTable(db, table)).toBe(false);
      expect(columns(file, table).key).toEqual(['tenant_uid', 'namespace', 'id']);
      expect(db.prepare(`SELECT count(*) FROM "${table}" WHERE namespace = ''`).pluck().get()).toBe(
        COUNT,
      );
    } finally {
      db.close();
    }
  });

  it('survives the process dying part-way through the rebuild: the old table stays whole', async () => {
    const t: OldTenant = { strategy: 'collection', uid: newUid(), records: rows(9, 'crash') };
    writePreviousRelease(sandbox.dir, [t]);
    const { file, table } = locate(t.strategy, t.uid, space);
    const path = join(sandbox.dir, file);
    // A process that starts the upgrade and is killed (SIGKILL, no cleanup) once the rows are
    // copied, just before the old table would be dropped.
    const child = [
      `require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register();`,
      `const { openSqliteFile } = require(${JSON.stringify(require.resolve('../../../../core/src/sql/sqlite-file'))});`,
      `const { upgradeRecordTable } = require(${JSON.stringify(require.resolve('./embedded.schema'))});`,
      `const db = openSqliteFile(${JSON.stringify(path)}, { incrementalVacuum: true });`,
      `const exec = db.exec.bind(db);`,
      `db.exec = (sql) => {`,
      `  if (sql.startsWith(${JSON.stringify(`DROP TABLE "${table}"`)})) process.kill(process.pid, 'SIGKILL');`,
      `  return exec(sql);`,
      `};`,
      `upgradeRecordTable(db, ${JSON.stringify(table)});`,
    ].join('\n');
    const killed = spawnSync(process.execPath, ['-e', child], { timeout: 60_000 });
    expect(killed.signal).toBe('SIGKILL');

    expect(columns(path, table).key).toEqual(['tenant_uid', 'id']);
    expect(peek(path, (db) => db.prepare(`SELECT count(*) FROM "${table}"`).pluck().get())).toBe(
      COUNT,
    );
    const leftovers = peek(path, (db) =>
      db.prepare(`SELECT name FROM sqlite_master WHERE name LIKE '%upgrade%'`).pluck().all(),
    );
    expect(leftovers).toEqual([]);

    backend = sandbox.open();
    expect(await backend.count(scopeOf(t))).toBe(COUNT);
    expect(columns(path, table).key).toEqual(['tenant_uid', 'namespace', 'id']);
  });

  it('upgrades a shared table once when tenants on both workers open it at the same time', async () => {
    // Uids whose first 8 hex digits are even and odd are pinned to different workers.
    const even = `00000002${uid().slice(8)}`;
    const odd = `00000003${uid().slice(8)}`;
    const tenants: OldTenant[] = [
      { strategy: 'partition_key', uid: even, records: rows(7, 'even') },
      { strategy: 'partition_key', uid: odd, records: rows(8, 'odd') },
    ];
    writePreviousRelease(sandbox.dir, tenants);
    backend = sandbox.open({ workers: 2 });
    const counts = await Promise.all(
      tenants.flatMap((t) => [backend!.count(scopeOf(t)), backend!.count(scopeOf(t, 'docs'))]),
    );
    expect(counts).toEqual([COUNT, 0, COUNT, 0]);
    for (const t of tenants) {
      const hits = await backend.search(scopeOf(t), {
        vector: t.records[0]!.values,
        topK: 100,
        ...ALL,
      });
      expect(hits).toHaveLength(COUNT);
      for (const hit of hits) expect(hit.tenantUid).toBe(t.uid);
    }
  });
});
