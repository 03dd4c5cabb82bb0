import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import {
  makeTenantScope,
  PgvectorBackend,
  StrategyName,
  TENANT_SETTING,
  TenantScope,
} from '@vecgate/isolation';
import {
  connectPglite,
  LivePglite,
  PGLITE_DATA_ROLE,
  pgliteOptions,
  pgliteReleased,
  startPglite,
} from '../support/pglite';
import { PgvectorSession } from '../../libs/isolation/src/backends/pgvector/pgvector.session';
import { probeWall } from '../support/rls-wall';

/**
 * Row-level security as a second wall, on PGlite with real pgvector: statements that forget
 * the tenant condition, sent by the data plane's role, see and write nothing of another
 * tenant. PGlite runs every login as its superuser, so the probe switches to the data role
 * with `SET LOCAL ROLE`, as the backend does; the login-role variant runs on PostgreSQL 15
 * (test/stores/pgvector-rls.postgres.spec.ts).
 */

jest.setTimeout(120_000);

const SPACE = { dimension: 4, metric: 'euclidean' } as const;
const STRATEGIES: readonly StrategyName[] = ['collection', 'partition', 'partition_key'];

let pglite: LivePglite;
const tenants = new Map<StrategyName, [TenantScope, TenantScope]>();
let client: Client;

interface Identity {
  readonly role: string;
  readonly tenant: string | null;
}
const IDENTITY = `SELECT current_user AS role, current_setting('${TENANT_SETTING}', true) AS tenant`;
let inside: { rows: Identity[] };
let after: { rows: Identity[] };

function scopeFor(driver: PgvectorBackend, strategy: StrategyName): TenantScope {
  const tenantUid = randomBytes(16).toString('hex');
  const tenantId = `rls-${tenantUid.slice(0, 8)}`;
  const placement = driver.plan({ tenantId, tenantUid, strategy, space: SPACE });
  return makeTenantScope({ tenantId, tenantUid, placement, space: SPACE });
}

beforeAll(async () => {
  pglite = await startPglite();
  const driver = new PgvectorBackend(pgliteOptions(pglite.url));
  try {
    for (const strategy of STRATEGIES) {
      const pair = [scopeFor(driver, strategy), scopeFor(driver, strategy)] as const;
      for (const scope of pair) {
        await driver.provision(scope);
        await driver.upsert(scope, [
          { id: 'same', values: Float32Array.of(1, 2, 3, 4), metadata: { k: 1 } },
          { id: scope.tenantUid, values: Float32Array.of(4, 3, 2, 1) },
        ]);
      }
      tenants.set(strategy, [pair[0], pair[1]]);
    }
  } finally {
    // PGlite serves one connection: the driver lets it go before the next user takes it.
    await driver.close();
  }
  // What the backend's own transactions run as, and what is left on the connection after.
  await pgliteReleased(pglite.url);
  const session = new PgvectorSession(pgliteOptions(pglite.url));
  try {
    const uid = 'c'.repeat(32);
    inside = await session.asTenant(uid, undefined, (c) => c.query<Identity>(IDENTITY));
    after = await session.asAdmin('probe', (c) => c.query<Identity>(IDENTITY));
  } finally {
    await session.close();
  }
  client = await connectPglite(pglite.url);
});

afterAll(async () => {
  await client?.end();
  await pglite?.stop();
});

describe('the row-level security wall on PGlite (SET LOCAL ROLE)', () => {
  it("the backend's data-plane transaction runs as the data role, named for its tenant", () => {
    expect(inside.rows).toEqual([{ role: PGLITE_DATA_ROLE, tenant: 'c'.repeat(32) }]);
  });

  it('neither the role nor the tenant outlives the transaction on the pooled connection', () => {
    expect(after.rows).toHaveLength(1);
    expect(after.rows[0]!.role).not.toBe(PGLITE_DATA_ROLE);
    expect(after.rows[0]!.tenant ?? '').toBe('');
  });

  it.each(STRATEGIES)(
    '%s: an unscoped statement of the data role reaches no row of another tenant',
    async (strategy) => {
      const [a, b] = tenants.get(strategy)!;
      // The shared table of partition_key and the partitioned parent hold both tenants' rows.
      const table = a.placement.location.parent ?? a.placement.location.table!;
      const findings = await probeWall({
        client,
        enter: [`SET LOCAL ROLE ${PGLITE_DATA_ROLE}`],
        table,
        own: a.tenantUid,
        other: b.tenantUid,
        vector: '[0,0,0,1]',
      });
      expect(findings.unscoped).toBe(0);
      expect(findings.seen).toEqual([a.tenantUid]);
      expect(findings.foreignInsert).toBe('42501');
      expect(findings.foreignUpdate).not.toBe('none');
      expect(findings.deletedOther).toBe(0);
      // The same probe as the superuser, whom RLS does not hold, does see both: the probe can fail.
      const control = await probeWall({
        client,
        enter: [],
        table,
        own: a.tenantUid,
        other: b.tenantUid,
        vector: '[0,0,0,1]',
      });
      const holders = strategy === 'collection' ? [a.tenantUid] : [a.tenantUid, b.tenantUid];
      expect(control.unscoped).toBe(2 * holders.length);
      expect(control.seen.sort()).toEqual(holders.sort());
      expect(control.foreignInsert).toBe('none');
    },
  );

  it.each(STRATEGIES)(
    "%s: named as another tenant, the data role sees nothing in a tenant's own place",
    async (strategy) => {
      const [a, b] = tenants.get(strategy)!;
      const findings = await probeWall({
        client,
        enter: [`SET LOCAL ROLE ${PGLITE_DATA_ROLE}`],
        table: a.placement.location.table!,
        own: b.tenantUid,
        other: b.tenantUid,
        vector: '[0,0,0,1]',
      });
      // Named as tenant b, the data role sees nothing in tenant a's own place.
      expect(findings.seen).toEqual(strategy === 'partition_key' ? [b.tenantUid] : []);
      expect(findings.unscoped).toBe(0);
    },
  );

  it('every table and partition that holds tenant rows has RLS enabled, forced, with the policy', async () => {
    const { rows } = await client.query<{
      relname: string;
      relrowsecurity: boolean;
      relforcerowsecurity: boolean;
      policies: string;
    }>(
      `SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
              (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
         FROM pg_class c WHERE c.relkind IN ('r', 'p') AND c.relname LIKE 'vg\\_%'`,
    );
    // 2 tenant tables, 2 partitions and their parent, 1 shared table.
    expect(rows).toHaveLength(6);
    for (const row of rows) {
      expect(row).toMatchObject({ relrowsecurity: true, relforcerowsecurity: true, policies: '1' });
    }
  });

  it('the data role owns no table and cannot bypass RLS', async () => {
    const { rows } = await client.query<{ bypass: boolean; owned: string }>(
      `SELECT r.rolbypassrls AS bypass,
              (SELECT count(*) FROM pg_class c WHERE c.relowner = r.oid) AS owned
         FROM pg_roles r WHERE r.rolname = $1`,
      [PGLITE_DATA_ROLE],
    );
    expect(rows).toEqual([{ bypass: false, owned: '0' }]);
  });
});
