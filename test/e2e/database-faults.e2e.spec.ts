import { AddressInfo, createServer, Socket } from 'node:net';
import { createTenant, vectorFor } from '../support/fixtures';
import { createTempDatabase, TempDatabase } from '../support/postgres';
import { Client } from 'pg';
import { TcpProxy } from '../support/tcp-proxy';
import { startGateway, TestGateway } from '../support/test-gateway';
import { bearer } from '../support/tokens';
import { sqlTargets } from '../stores/sql-targets';
import { eventually } from '../support/eventually';

const postgres = sqlTargets().find((t) => t.name === 'postgres');
const describeOnPostgres = postgres?.skipReason ? describe.skip : describe;

/** Short bounds, so each fault shows its 503 in about a second. */
const FAST = {
  DATABASE_CONNECT_TIMEOUT_MS: '1000',
  DATABASE_STATEMENT_TIMEOUT_MS: '1000',
  READINESS_TIMEOUT_MS: '500',
  // The registry is read on every request, so an outage reaches requests at once.
  TENANT_CACHE_TTL_MS: '100',
  AUDIT_COMMIT_TIMEOUT_MS: '3000',
};

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await work();
  return { value, ms: Date.now() - started };
}

describeOnPostgres('registry database faults (PostgreSQL)', () => {
  let database: TempDatabase;

  beforeAll(async () => {
    database = await createTempDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  describe('connections terminated mid-load', () => {
    let gw: TestGateway;
    beforeAll(async () => {
      gw = await startGateway({ env: { ...FAST, DATABASE_URL: database.url } });
      await createTenant(gw.http, gw.tokens, { id: 'killed', dimension: 4, metric: 'cosine' });
    });
    afterAll(() => gw?.close(true));

    it('survives pg_terminate_backend under load: only 200 or 503, and every acknowledged write is kept', async () => {
      const writer = bearer(gw.tokens.tenant('killed', ['writer', 'reader']));
      const statuses = new Map<number, number>();
      const acknowledged: string[] = [];
      let stop = false;
      const client = async (worker: number) => {
        for (let i = 0; !stop; i++) {
          const id = `w${worker}-${i}`;
          const res = await gw.http
            .put('/v1/vectors')
            .set(writer)
            .send({ vectors: [{ id, values: vectorFor(i, 4) }] });
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status === 200) acknowledged.push(id);
          if (res.status === 503) expect(res.headers['content-type']).toMatch(/problem\+json/);
        }
      };
      const load = Promise.all([0, 1, 2, 3].map(client));
      let terminated = 0;
      // Back-to-back terminations for a while, so some land on statements in flight.
      const until = Date.now() + 2000;
      while (Date.now() < until) terminated += await database.terminateConnections();
      stop = true;
      await load;
      expect(terminated).toBeGreaterThan(0);
      expect([...statuses.keys()].filter((s) => s !== 200 && s !== 503)).toEqual([]);
      // Serving again once the connections are back.
      await eventually(5000, async () => {
        const res = await gw.http.get('/health/ready');
        return res.status === 200;
      });
      for (const id of acknowledged) {
        const res = await gw.http.get(`/v1/vectors/${id}`).set(writer);
        expect({ id, status: res.status }).toEqual({ id, status: 200 });
      }
      console.log(
        `terminated ${terminated} connections; answers ${JSON.stringify(Object.fromEntries(statuses))}; ${acknowledged.length} acknowledged writes all readable`,
      );
    });
  });

  describe('caches after an outage', () => {
    let gw: TestGateway;
    beforeAll(async () => {
      // A minute of cache: only the reconnection can explain seeing a change sooner.
      gw = await startGateway({
        env: { ...FAST, TENANT_CACHE_TTL_MS: '60000', DATABASE_URL: database.url },
      });
      await createTenant(gw.http, gw.tokens, { id: 'missed', dimension: 4, metric: 'cosine' });
    });
    afterAll(() => gw?.close(true));

    it('drops the tenant cache on reconnection, so a change missed during the outage is seen', async () => {
      const reader = bearer(gw.tokens.tenant('missed', ['reader']));
      expect((await gw.http.get('/v1/vectors/none').set(reader)).status).toBe(404);
      await database.terminateConnections();
      // Changed behind the gateway's back while its LISTEN connection was down: no notification.
      const direct = new Client({ connectionString: database.url });
      await direct.connect();
      await direct.query(`update vg_tenants set status = 'suspended' where id = 'missed'`);
      await direct.end();
      const seenAfter = await eventually(10_000, async () => {
        return (await gw.http.get('/v1/vectors/none').set(reader)).status === 403;
      });
      console.log(`a change missed during the outage was seen ${seenAfter} ms later`);
    });
  });

  describe.each(['stall', 'reset'] as const)('a TCP proxy that starts to %s', (mode) => {
    let proxy: TcpProxy;
    let gw: TestGateway;
    beforeAll(async () => {
      const target = new URL(database.url);
      proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
      gw = await startGateway({ env: { ...FAST, DATABASE_URL: proxy.url(database.url) } });
      await createTenant(gw.http, gw.tokens, { id: `via-${mode}`, dimension: 4, metric: 'cosine' });
    });
    afterAll(async () => {
      await gw?.close(true);
      await proxy?.close();
    });

    it('answers 503 problem+json within the configured bounds, and serves again when the link is back', async () => {
      const writer = bearer(gw.tokens.tenant(`via-${mode}`, ['writer', 'reader']));
      const put = () =>
        gw.http
          .put('/v1/vectors')
          .set(writer)
          .send({ vectors: [{ id: 'x', values: vectorFor(1, 4) }] });
      expect((await put()).status).toBe(200);
      proxy.set(mode);
      await new Promise((r) => setTimeout(r, 200));

      const ready = await timed(() => gw.http.get('/health/ready'));
      expect(ready.value.status).toBe(503);
      expect(ready.ms).toBeLessThan(2000);

      const write = await timed(() => put());
      expect(write.value.status).toBe(503);
      expect(write.value.headers['content-type']).toMatch(/problem\+json/);
      // connect (1 s) + statement (1 s) + the audit commit bound (3 s), with room for a slow CI.
      expect(write.ms).toBeLessThan(8000);

      const stats = await timed(() =>
        gw.http.get('/v1/stats').set(bearer(gw.tokens.tenant(`via-${mode}`, ['tenant_admin']))),
      );
      expect(stats.value.status).toBe(503);

      proxy.set('forward');
      const back = await eventually(10_000, async () => (await put()).status === 200);
      expect((await gw.http.get('/health/ready')).status).toBe(200);
      console.log(
        `${mode}: readiness 503 in ${ready.ms} ms, write 503 in ${write.ms} ms, stats 503 in ${stats.ms} ms, serving again ${back} ms after the link came back`,
      );
    });
  });

  describe('start-up', () => {
    it('refuses to start against a port that accepts and never answers, naming DATABASE_URL, within the bound', async () => {
      const held: Socket[] = [];
      const silent = createServer((socket) => held.push(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const url = new URL(database.url);
      url.hostname = '127.0.0.1';
      url.port = String((silent.address() as AddressInfo).port);
      try {
        const started = Date.now();
        await expect(
          startGateway({ env: { ...FAST, DATABASE_URL: url.toString() } }),
        ).rejects.toThrow(
          /^DATABASE_URL: cannot use the PostgreSQL database at .*127\.0\.0\.1.*timeout/,
        );
        const took = Date.now() - started;
        // The connect timeout is 1 s here.
        expect(took).toBeGreaterThanOrEqual(900);
        expect(took).toBeLessThan(5000);
        expect(held.length).toBeGreaterThan(0);
      } finally {
        held.forEach((socket) => socket.destroy());
        await new Promise((resolve) => silent.close(resolve));
      }
    });

    it('refuses to start against a refused port, naming DATABASE_URL and ECONNREFUSED, without the password', async () => {
      const url = new URL(database.url);
      url.port = '1';
      url.password = 'secret-password';
      const failure = startGateway({ env: { ...FAST, DATABASE_URL: url.toString() } });
      await expect(failure).rejects.toThrow(/^DATABASE_URL: .*ECONNREFUSED/);
      await expect(failure).rejects.not.toThrow(/secret-password/);
    });
  });
});
