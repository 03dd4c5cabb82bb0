import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TenantService } from '@vecgate/tenancy';
import { createTenant } from '../support/fixtures';
import { eventually } from '../support/eventually';
import { startGateway, tempDataDir, TestGateway } from '../support/test-gateway';
import { peek } from '../support/sqlite-peek';
import { liveBytesHold } from '../support/sqlite-bytes';
import { bearer } from '../support/tokens';

const DIM = 8;
type Values = number[];
type Body = Record<string, unknown> & {
  strategy?: string;
  location?: Record<string, string>;
  migration?: { state: string; copied: number; total: number };
};

function valuesOf(seed: number): Values {
  return Array.from({ length: DIM }, (_, j) => ((seed * 31 + j * 7) % 97) / 97 + 0.01);
}

/** Whether any file of the place (with its WAL) still holds the marker's bytes. */
function placeHolds(gw: TestGateway, file: string, marker: string): boolean {
  return ['', '-wal'].some((suffix) => {
    const path = join(gw.dataDir, 'embedded', file + suffix);
    return existsSync(path) && readFileSync(path).includes(Buffer.from(marker));
  });
}

/** Every event of an audit query, following its pages (a filtered page may come back short). */
async function auditEvents(gw: TestGateway, token: string, path: string): Promise<Body[]> {
  const events: Body[] = [];
  let cursor: string | null = null;
  do {
    const res = await gw.http.get(`${path}${cursor ? `&cursor=${cursor}` : ''}`).set(bearer(token));
    expect(res.status).toBe(200);
    const page = res.body as { items: Body[]; nextCursor: string | null };
    events.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return events;
}

/** PATCH /v1/admin/tenants/{id} as the platform admin. */
function patchTenant(gw: TestGateway, id: string, body: object) {
  return gw.http.patch(`/v1/admin/tenants/${id}`).set(bearer(gw.tokens.platform())).send(body);
}

async function tenantOf(gw: TestGateway, id: string): Promise<Body> {
  const res = await gw.http.get(`/v1/admin/tenants/${id}`).set(bearer(gw.tokens.platform()));
  expect(res.status).toBe(200);
  return res.body as Body;
}

async function moved(gw: TestGateway, id: string, strategy: string): Promise<Body> {
  let last: Body = {};
  await eventually(120_000, async () => {
    last = await tenantOf(gw, id);
    return last.migration === undefined && last.strategy === strategy;
  });
  return last;
}

/**
 * A client of one tenant that writes (upserts, overwrites, deletes) and reads without pause,
 * keeping a model of every acknowledged write: the truth the tenant must hold afterwards.
 */
class Load {
  readonly model = new Map<string, Values | null>();
  readonly problems: string[] = [];
  /**
   * The id of the upsert on its way (sent, not yet answered), and how many upserts were sent:
   * a read may see an upsert committed before its answer reaches this client.
   */
  private inFlight?: string;
  private readonly sent = new Map<string, number>();
  private stopped = false;
  private seed = 0;

  constructor(
    private readonly gw: TestGateway,
    private readonly token: string,
    private readonly prefix: string,
    private readonly foreignPrefix: string,
  ) {}

  stop(): void {
    this.stopped = true;
  }

  async writes(): Promise<void> {
    while (!this.stopped) {
      const n = this.seed++;
      const ids = [...this.model.keys()];
      if (n % 5 === 4 && ids.length > 0) {
        const id = ids[(n * 13) % ids.length] as string;
        const res = await this.gw.http
          .post('/v1/vectors/delete')
          .set(bearer(this.token))
          .send({ ids: [id] });
        if (res.status === 200) this.model.set(id, null);
        else this.problems.push(`delete ${id}: ${res.status}`);
        continue;
      }
      const id =
        n % 3 === 0 && ids.length > 0 ? (ids[n % ids.length] as string) : `${this.prefix}-w${n}`;
      const values = valuesOf(n + 1000);
      this.sent.set(id, (this.sent.get(id) ?? 0) + 1);
      this.inFlight = id;
      const res = await this.gw.http
        .put('/v1/vectors')
        .set(bearer(this.token))
        .send({ vectors: [{ id, values, metadata: { n } }] });
      this.inFlight = undefined;
      if (res.status === 200) this.model.set(id, values);
      else this.problems.push(`upsert ${id}: ${res.status}`);
    }
  }

  async reads(): Promise<void> {
    while (!this.stopped) {
      const deleted = [...this.model].filter(([, v]) => v === null).map(([id]) => id);
      const id = deleted[this.seed % Math.max(1, deleted.length)];
      if (id !== undefined) {
        const racing = this.inFlight === id;
        const sent = this.sent.get(id) ?? 0;
        const res = await this.gw.http.get(`/v1/vectors/${id}`).set(bearer(this.token));
        // Only a delete acknowledged before this read counts, and the model says so; an
        // upsert of the id sent before the read's answer may be committed before its own.
        const upserted = racing || (this.sent.get(id) ?? 0) !== sent;
        if (res.status === 200 && this.model.get(id) === null && !upserted)
          this.problems.push(`read ${id} after its delete`);
      }
      const search = await this.gw.http
        .post('/v1/search')
        .set(bearer(this.token))
        .send({ vector: valuesOf(this.seed), topK: 20 });
      if (search.status !== 200) this.problems.push(`search: ${search.status}`);
      const matches = (search.body as { matches?: { id: string }[] }).matches ?? [];
      for (const m of matches)
        if (m.id.startsWith(this.foreignPrefix)) this.problems.push(`saw ${m.id}`);
    }
  }

  /** Every acknowledged write, checked in the tenant as it is now. */
  async check(): Promise<string[]> {
    const wrong: string[] = [];
    for (const [id, values] of this.model) {
      const res = await this.gw.http.get(`/v1/vectors/${id}`).set(bearer(this.token));
      if (values === null) {
        if (res.status !== 404) wrong.push(`${id} deleted but answered ${res.status}`);
        continue;
      }
      const got = (res.body as { values?: number[] }).values ?? [];
      const same = got.length === DIM && got.every((v, i) => Math.abs(v - (values[i] ?? 0)) < 1e-6);
      if (res.status !== 200 || !same)
        wrong.push(`${id} answered ${res.status} ${JSON.stringify(got)}`);
    }
    return wrong;
  }
}

async function preload(gw: TestGateway, load: Load, token: string, prefix: string, count: number) {
  for (let i = 0; i < count; i += 100) {
    const vectors = Array.from({ length: Math.min(100, count - i) }, (_, k) => ({
      id: `${prefix}-p${i + k}`,
      values: valuesOf(i + k),
      metadata: { text: `${prefix} ${i + k}`, nested: { k } },
    }));
    const res = await gw.http.put('/v1/vectors').set(bearer(token)).send({ vectors });
    expect(res.status).toBe(200);
    for (const v of vectors) load.model.set(v.id, v.values);
  }
}

describe('moving a tenant to another placement, online', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ env: { MIGRATION_RECORDS_PER_SECOND: '1500' } });
  });
  afterAll(() => gw.close(true));

  it('loses no acknowledged write, never shows a neighbour record, and leaves no byte in the old place', async () => {
    const marker = 'MOVERMARK';
    await createTenant(gw.http, gw.tokens, {
      id: 'mover',
      tier: 'standard',
      dimension: DIM,
      metric: 'cosine',
    });
    await createTenant(gw.http, gw.tokens, {
      id: 'nbr',
      tier: 'standard',
      dimension: DIM,
      metric: 'cosine',
    });
    const moverToken = gw.tokens.tenant('mover', ['reader', 'writer']);
    const nbrToken = gw.tokens.tenant('nbr', ['reader', 'writer']);
    const mover = new Load(gw, moverToken, marker, 'NBR');
    const nbr = new Load(gw, nbrToken, 'NBR', marker);
    await preload(gw, mover, moverToken, marker, 3000);
    await preload(gw, nbr, nbrToken, 'NBR', 200);
    const ns = await gw.http
      .put('/v1/vectors')
      .set(bearer(moverToken))
      .send({
        namespace: 'docs',
        vectors: [{ id: `${marker}-ns`, values: valuesOf(1), metadata: { in: 'docs' } }],
      });
    expect(ns.status).toBe(200);
    const before = await tenantOf(gw, 'mover');
    const oldFile = before.location?.file as string;
    expect(placeHolds(gw, oldFile, marker)).toBe(true);

    const running = [mover.writes(), mover.reads(), nbr.writes(), nbr.reads()];
    const patch = await patchTenant(gw, 'mover', { tier: 'enterprise' });
    expect(patch.status).toBe(202);
    expect(patch.body).toMatchObject({
      strategy: 'partition_key',
      migration: {
        state: 'announced',
        from: { tier: 'standard', backend: 'embedded', strategy: 'partition_key' },
        to: { tier: 'enterprise', backend: 'embedded', strategy: 'database' },
      },
    });
    await eventually(
      60_000,
      async () => (await tenantOf(gw, 'mover')).migration?.state === 'copying',
    );
    const during = await tenantOf(gw, 'mover');
    expect(during.strategy).toBe('partition_key');
    const after = await moved(gw, 'mover', 'database');
    mover.stop();
    nbr.stop();
    await Promise.all(running);

    expect(after).toMatchObject({ tier: 'enterprise', uid: before.uid });
    expect(mover.problems).toEqual([]);
    expect(nbr.problems).toEqual([]);
    expect(await mover.check()).toEqual([]);
    expect(await nbr.check()).toEqual([]);
    expect(mover.model.size).toBeGreaterThan(3000);
    const inDocs = await gw.http
      .get(`/v1/vectors/${marker}-ns?namespace=docs`)
      .set(bearer(moverToken));
    expect(inDocs.status).toBe(200);
    // The old place was shared with the neighbour: its file lives on, without a byte of the mover.
    // Only what SQLite leaves in the unused gap of a page a split rebuilt (docs/SECURITY.md).
    expect(liveBytesHold(join(gw.dataDir, 'embedded', oldFile), marker)).toBe(false);
    expect(placeHolds(gw, oldFile, 'NBR')).toBe(true);

    await gw.flushAudit();
    for (const phase of [
      'announced',
      'copying',
      'verifying',
      'switched',
      'retiring',
      'completed',
    ]) {
      const action = `admin.tenant.migration.${phase}`;
      expect(
        await auditEvents(gw, gw.tokens.platform(), `/v1/admin/audit?action=${action}`),
      ).toEqual([
        expect.objectContaining({
          action,
          targetTenant: 'mover',
          targetTenantUid: before.uid,
          outcome: 'allowed',
        }),
      ]);
      const own = gw.tokens.tenant('mover', ['tenant_admin']);
      expect(await auditEvents(gw, own, `/v1/audit?action=${action}`)).toHaveLength(1);
      const neighbour = gw.tokens.tenant('nbr', ['tenant_admin']);
      expect(await auditEvents(gw, neighbour, `/v1/audit?action=${action}`)).toEqual([]);
    }
  }, 240_000);

  it('a cancelled move leaves the tenant where it was, with its records, and erases the new place', async () => {
    const slow = await startGateway({ env: { MIGRATION_RECORDS_PER_SECOND: '50' } });
    try {
      await createTenant(slow.http, slow.tokens, {
        id: 'stay',
        tier: 'premium',
        dimension: DIM,
        metric: 'cosine',
      });
      const token = slow.tokens.tenant('stay', ['reader', 'writer']);
      const load = new Load(slow, token, 'STAY', 'none');
      await preload(slow, load, token, 'STAY', 1000);
      const patch = await patchTenant(slow, 'stay', { backend: 'embedded', strategy: 'database' });
      expect(patch.status).toBe(202);
      await eventually(
        30_000,
        async () => ((await tenantOf(slow, 'stay')).migration?.copied ?? 0) > 0,
      );
      // Meanwhile the tier is the move's: changing it (even to a label) is 409, nothing else is.
      for (const tier of ['gold', 'standard', 'premium']) {
        const relabel = await patchTenant(slow, 'stay', { tier });
        expect([tier, relabel.status]).toEqual([tier, 409]);
      }
      // A label written after a move started (two PATCHes racing) is refused at the write too.
      await expect(slow.app.get(TenantService).update('stay', { tier: 'gold' })).rejects.toThrow(
        /already moving/,
      );
      const nothing = await patchTenant(slow, 'stay', {});
      expect([nothing.status, (nothing.body as Body).tier]).toEqual([200, 'premium']);
      const cancel = await slow.http
        .delete('/v1/admin/tenants/stay/migration')
        .set(bearer(slow.tokens.platform()));
      expect(cancel.status).toBe(202);
      // Repeated while the first is under way (a retry after a lost answer): the same answer,
      // the move still cancelling, and one cancelling phase on the trail.
      const repeated = await slow.http
        .delete('/v1/admin/tenants/stay/migration')
        .set(bearer(slow.tokens.platform()));
      expect([repeated.status, (repeated.body as Body).migration?.state]).toEqual([
        202,
        'cancelling',
      ]);
      const after = await moved(slow, 'stay', 'collection');
      await slow.flushAudit();
      const cancelling = '/v1/admin/audit?action=admin.tenant.migration.cancelling';
      expect(await auditEvents(slow, slow.tokens.platform(), cancelling)).toHaveLength(1);
      expect(after.tier).toBe('premium');
      expect(await load.check()).toEqual([]);
      expect(
        liveBytesHold(join(slow.dataDir, 'embedded', `tenants/${after.uid as string}.db`), 'STAY'),
      ).toBe(false);
      const again = await slow.http
        .delete('/v1/admin/tenants/stay/migration')
        .set(bearer(slow.tokens.platform()));
      expect(again.status).toBe(404);
    } finally {
      await slow.close(true);
    }
  }, 120_000);

  it('deleting a tenant while it moves erases both places', async () => {
    const slow = await startGateway({ env: { MIGRATION_RECORDS_PER_SECOND: '50' } });
    try {
      const created = await createTenant(slow.http, slow.tokens, {
        id: 'doomed',
        tier: 'standard',
        dimension: DIM,
        metric: 'cosine',
      });
      const token = slow.tokens.tenant('doomed', ['reader', 'writer']);
      await preload(slow, new Load(slow, token, 'DOOMED', 'none'), token, 'DOOMED', 500);
      const patch = await patchTenant(slow, 'doomed', { tier: 'enterprise' });
      expect(patch.status).toBe(202);
      await eventually(
        30_000,
        async () => ((await tenantOf(slow, 'doomed')).migration?.copied ?? 0) > 0,
      );
      const gone = await slow.http
        .delete('/v1/admin/tenants/doomed')
        .set(bearer(slow.tokens.platform()));
      expect(gone.status).toBe(204);
      const own = join(slow.dataDir, 'embedded', 'tenants', `${created.uid as string}.db`);
      expect(existsSync(own)).toBe(false);
      expect(liveBytesHold(join(slow.dataDir, 'embedded', 'embedded.db'), 'DOOMED')).toBe(false);
      const after = await slow.http
        .get('/v1/admin/tenants/doomed')
        .set(bearer(slow.tokens.platform()));
      expect(after.status).toBe(404);
    } finally {
      await slow.close(true);
    }
  }, 60_000);

  it('a move interrupted by a shutdown is resumed at start-up, and completes with every record', async () => {
    const dataDir = tempDataDir();
    let first = await startGateway({ dataDir, env: { MIGRATION_RECORDS_PER_SECOND: '100' } });
    try {
      await createTenant(first.http, first.tokens, {
        id: 'resumed',
        tier: 'premium',
        dimension: DIM,
        metric: 'cosine',
      });
      const token = first.tokens.tenant('resumed', ['reader', 'writer']);
      const load = new Load(first, token, 'RESUMED', 'none');
      await preload(first, load, token, 'RESUMED', 600);
      const patch = await patchTenant(first, 'resumed', { tier: 'standard' });
      expect(patch.status).toBe(202);
      await eventually(
        30_000,
        async () => ((await tenantOf(first, 'resumed')).migration?.copied ?? 0) > 0,
      );
      await first.close();
      first = await startGateway({ dataDir, env: { MIGRATION_RECORDS_PER_SECOND: '100000' } });
      const after = await moved(first, 'resumed', 'partition_key');
      expect(after.tier).toBe('standard');
      const reader = new Load(first, first.tokens.tenant('resumed', ['reader']), 'RESUMED', 'none');
      for (const [id, values] of load.model) reader.model.set(id, values);
      expect(await reader.check()).toEqual([]);
      const tables = peek(join(first.dataDir, 'embedded', 'embedded.db'), (db) =>
        db
          .prepare(`SELECT name FROM sqlite_master WHERE name = ?`)
          .all(`vg_t_${after.uid as string}`),
      );
      expect(tables).toEqual([]);
    } finally {
      await first.close(true);
    }
  }, 120_000);

  it('a tier without a placement rule is a label, and a move to the same placement moves nothing', async () => {
    await createTenant(gw.http, gw.tokens, {
      id: 'label',
      tier: 'premium',
      dimension: DIM,
      metric: 'cosine',
    });
    for (const body of [{ tier: 'gold' }, { backend: 'embedded', strategy: 'collection' }]) {
      const res = await patchTenant(gw, 'label', body);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ strategy: 'collection' });
      expect((res.body as Body).migration).toBeUndefined();
    }
  });

  it('keeps a placement given at creation through a PATCH that names none, or the same tier', async () => {
    // The standard tier's rule is the shared table; this tenant was placed in its own file.
    await createTenant(gw.http, gw.tokens, {
      id: 'override',
      strategy: 'database',
      dimension: DIM,
      metric: 'cosine',
    });
    for (const body of [{}, { status: 'suspended' }, { tier: 'standard' }, { status: 'active' }]) {
      const res = await patchTenant(gw, 'override', body);
      expect([body, res.status, (res.body as Body).strategy]).toEqual([body, 200, 'database']);
      expect((res.body as Body).migration).toBeUndefined();
    }
    expect(await tenantOf(gw, 'override')).toMatchObject({ status: 'active', tier: 'standard' });
  });

  it('refuses a strategy the target backend does not have with a 422, and starts nothing', async () => {
    await createTenant(gw.http, gw.tokens, {
      id: 'nowhere',
      tier: 'premium',
      dimension: DIM,
      metric: 'cosine',
    });
    const res = await patchTenant(gw, 'nowhere', { backend: 'embedded', strategy: 'namespace' });
    expect(res.status).toBe(422);
    expect((await tenantOf(gw, 'nowhere')).migration).toBeUndefined();
  });

  it('refuses a move or a label into a tier whose quota the tenant exceeds with a 507 naming it, and starts nothing', async () => {
    const tight = await startGateway({
      env: { TIER_QUOTAS: 'enterprise:vectors=5;small:vectors=5;default:vectors=unlimited' },
    });
    try {
      const created = await createTenant(tight.http, tight.tokens, {
        id: 'big',
        tier: 'standard',
        dimension: DIM,
        metric: 'cosine',
      });
      const token = tight.tokens.tenant('big', ['reader', 'writer']);
      await preload(tight, new Load(tight, token, 'BIG', 'none'), token, 'BIG', 10);
      const res = await patchTenant(tight, 'big', { tier: 'enterprise' });
      expect(res.status).toBe(507);
      expect(res.body).toMatchObject({ reason: 'limit:quota_vectors' });
      expect((res.body as { detail: string }).detail).toMatch(/tier enterprise allows 5 vectors/);
      const after = await tenantOf(tight, 'big');
      expect(after).toMatchObject({ tier: 'standard', strategy: 'partition_key' });
      expect(after.migration).toBeUndefined();
      expect(
        existsSync(join(tight.dataDir, 'embedded', 'tenants', `${created.uid as string}.db`)),
      ).toBe(false);
      // A tier without a placement rule is a label, and the tenant must fit its quota too.
      const small = await patchTenant(tight, 'big', { tier: 'small' });
      expect([small.status, (small.body as { reason: string }).reason]).toEqual([
        507,
        'limit:quota_vectors',
      ]);
      expect((await tenantOf(tight, 'big')).tier).toBe('standard');
      expect((await patchTenant(tight, 'big', { tier: 'roomy' })).status).toBe(200);
      expect((await tenantOf(tight, 'big')).tier).toBe('roomy');
    } finally {
      await tight.close(true);
    }
  });
});
