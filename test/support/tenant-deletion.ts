import type TestAgent from 'supertest/lib/agent';
import { eventually } from './eventually';

/**
 * Deletes a tenant and waits for the verified erasure: at once (204) alone on SQLite, or 202
 * and then the tenant's 404 with replicas (the e2e suites also run on PostgreSQL, see
 * VECGATE_E2E_DATABASE_URL). Returns 204 once erased, else the refusal's status.
 */
export async function deleteTenant(
  http: TestAgent,
  id: string,
  headers: Record<string, string>,
): Promise<number> {
  const res = await http.delete(`/v1/admin/tenants/${id}`).set(headers);
  if (res.status !== 202) return res.status;
  await eventually(30_000, async () => {
    return (await http.get(`/v1/admin/tenants/${id}`).set(headers)).status === 404;
  });
  return 204;
}
