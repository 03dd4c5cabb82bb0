import {
  BackendDrivers,
  EmbeddedBackend,
  ISOLATION_OPTIONS,
  IsolationOptions,
  TenantScope,
  VectorWrite,
} from '@vecgate/isolation';
import { createTenant } from '../support/fixtures';
import { startGateway, TestGateway } from '../support/test-gateway';
import { bearer } from '../support/tokens';

/** The embedded backend, with a gate that holds upserts as a slow remote backend would. */
class GatedBackend extends EmbeddedBackend {
  gate?: Promise<void>;
  override async upsert(
    scope: TenantScope,
    records: readonly VectorWrite[],
  ): Promise<{ upserted: number }> {
    if (this.gate) await this.gate;
    return super.upsert(scope, records);
  }
}

describe('erasure against a write already under way', () => {
  let gw: TestGateway;
  let backend: GatedBackend;

  beforeAll(async () => {
    gw = await startGateway({
      // The erasure inside the request (204) of a registry of its own, even when the suites run
      // on PostgreSQL, where it continues after a 202.
      env: { DATABASE_URL: '' },
      override: (builder) =>
        builder.overrideProvider(BackendDrivers).useFactory({
          inject: [ISOLATION_OPTIONS],
          factory: (o: IsolationOptions) =>
            new BackendDrivers([(backend = new GatedBackend(o.embedded))]),
        }),
    });
  });
  afterAll(() => gw.close(true));

  it('waits for the admitted write to finish, then erases it: nothing of the tenant outlives the 204', async () => {
    await createTenant(gw.http, gw.tokens, { id: 'racer', dimension: 2, metric: 'dot' });
    const tenant = await gw.http.get('/v1/admin/tenants/racer').set(bearer(gw.tokens.platform()));
    const uid = (tenant.body as { uid: string }).uid;
    let open!: () => void;
    backend.gate = new Promise<void>((r) => (open = r));
    const write = gw.http
      .put('/v1/vectors')
      .set(bearer(gw.tokens.tenant('racer', ['writer'])))
      .send({ vectors: [{ id: 'late', values: [1, 2], metadata: { secret: 'x' } }] })
      .then((r) => r);
    await new Promise((r) => setTimeout(r, 100));
    const events: string[] = [];
    const deletion = gw.http
      .delete('/v1/admin/tenants/racer')
      .set(bearer(gw.tokens.platform()))
      .then((r) => {
        events.push(`delete ${r.status}`);
        return r;
      });
    await new Promise((r) => setTimeout(r, 150));
    expect(events).toEqual([]);
    backend.gate = undefined;
    open();
    const [written, deleted] = await Promise.all([write, deletion]);
    expect(written.status).toBe(200);
    expect(deleted.status).toBe(204);
    const scope = {
      tenantId: 'racer',
      tenantUid: uid,
      placement: {
        backend: 'embedded',
        strategy: 'partition_key',
        location: { file: 'embedded.db', table: 'vg_shared_2_dot' },
      },
      space: { dimension: 2, metric: 'dot' },
      namespace: '',
    } as unknown as TenantScope;
    // A second backend on the same directory, closed after (it runs engine worker threads).
    const check = new EmbeddedBackend({
      directory: `${gw.dataDir}/embedded`,
      cacheMb: 1,
      maxOpenFiles: 1,
    });
    try {
      await expect(check.count(scope)).resolves.toBe(0);
    } finally {
      await check.close();
    }
  });
});
