import { createTenant } from '../support/fixtures';
import { eventually } from '../support/eventually';
import { describeOnPostgres, ReplicaPair, withReplicaPair } from '../support/replicas';
import { TestGateway } from '../support/test-gateway';
import { bearer } from '../support/tokens';

async function migrationState(gw: TestGateway, id: string): Promise<string | undefined> {
  const res = await gw.http.get(`/v1/admin/tenants/${id}`).set(bearer(gw.tokens.platform()));
  return (res.body as { migration?: { state: string } }).migration?.state;
}

describeOnPostgres('moving a tenant with two replicas on one PostgreSQL registry', () => {
  let pair: ReplicaPair;
  withReplicaPair((p) => {
    pair = p;
  });

  it('is refused (421) by a replica that does not hold the embedded tenant, and starts nothing', async () => {
    await createTenant(pair.a.http, pair.a.tokens, { id: 'held', dimension: 4, metric: 'cosine' });
    const res = await pair.b.http
      .patch('/v1/admin/tenants/held')
      .set(bearer(pair.b.tokens.platform()))
      .send({ tier: 'enterprise' });
    expect(res.status).toBe(421);
    expect(res.body).toMatchObject({ reason: 'tenant_on_other_replica' });
    expect(await migrationState(pair.a, 'held')).toBeUndefined();
  });

  it('announces the move and its cancellation to the other replica well within the cache bound', async () => {
    await createTenant(pair.a.http, pair.a.tokens, { id: 'told', dimension: 4, metric: 'cosine' });
    expect(await migrationState(pair.b, 'told')).toBeUndefined();
    const patch = await pair.a.http
      .patch('/v1/admin/tenants/told')
      .set(bearer(pair.a.tokens.platform()))
      .send({ tier: 'enterprise' });
    expect(patch.status).toBe(202);
    // The copy waits TENANT_CACHE_TTL_MS (a minute here) before it starts: still announced.
    await eventually(10_000, async () => (await migrationState(pair.b, 'told')) === 'announced');
    const cancel = await pair.a.http
      .delete('/v1/admin/tenants/told/migration')
      .set(bearer(pair.a.tokens.platform()));
    expect(cancel.status).toBe(202);
    await eventually(10_000, async () => (await migrationState(pair.b, 'told')) === 'cancelling');
  });
});
