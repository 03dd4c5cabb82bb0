import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import { EventInserts, EventRow } from './audit.inserts';
import { AuditTables } from './audit.tables';

function compileOnly(dialect: 'sqlite' | 'postgres'): Kysely<AuditTables> {
  const sqlite = dialect === 'sqlite';
  return new Kysely<AuditTables>({
    dialect: {
      createAdapter: () => (sqlite ? new SqliteAdapter() : new PostgresAdapter()),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) =>
        sqlite ? new SqliteIntrospector(db) : new PostgresIntrospector(db),
      createQueryCompiler: () => (sqlite ? new SqliteQueryCompiler() : new PostgresQueryCompiler()),
    },
  });
}

function row(n: number, overrides: Partial<EventRow> = {}): EventRow {
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    at: 1_700_000_000_000 + n,
    request_id: `req-${n}`,
    client_request_id: n % 2 ? null : `client-${n}`,
    subject: `subject-${n}`,
    minted_by: null,
    tenant_uid: 'a'.repeat(32),
    tenant_id: 'acme',
    claimed_tenant: null,
    target_tenant: null,
    target_tenant_uid: null,
    action: 'vectors.search',
    resource: 'POST /v1/search',
    outcome: n % 3 ? 'allowed' : 'denied',
    status: n % 3 ? 200 : 403,
    reason: n % 3 ? null : 'role',
    result_count: n,
    latency_ms: n / 7,
    ip: '127.0.0.1',
    severity: 'info',
    ...overrides,
  };
}

describe.each(['sqlite', 'postgres'] as const)('audit event INSERTs (%s)', (dialect) => {
  const db = compileOnly(dialect);
  const builder = (rows: EventRow[]) => db.insertInto('vg_audit_events').values(rows).compile();

  it('writes the same statement and parameters as the query builder, batch after batch', () => {
    const inserts = new EventInserts(db);
    for (const size of [1, 3, 1, 3, 200]) {
      const rows = Array.from({ length: size }, (_, i) => row(i + size));
      const reused = inserts.query(rows);
      const expected = builder(rows);
      expect(reused.sql).toBe(expected.sql);
      expect(reused.parameters).toEqual(expected.parameters);
    }
  });

  it('leaves a row with a missing value to the builder, which writes no parameter for it', () => {
    const inserts = new EventInserts(db);
    const complete = inserts.query([row(1), row(2)]);
    const rows = [row(3), row(4, { reason: undefined as unknown as null })];
    const query = inserts.query(rows);
    expect(query.sql).toBe(builder(rows).sql);
    expect(query.sql).not.toBe(complete.sql);
    expect(query.parameters).toEqual(builder(rows).parameters);
    expect(query.parameters).toHaveLength(complete.parameters.length - 1);
  });
});
