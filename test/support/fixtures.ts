import type TestAgent from 'supertest/lib/agent';
import { startGateway, TestGateway } from './test-gateway';
import { bearer, Tokens } from './tokens';

export const ADMIN_ROLES = ['platform_admin'];

/** Creates a tenant through the admin API and returns its body; fails the test otherwise. */
export async function createTenant(
  http: TestAgent,
  tokens: Tokens,
  body: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const response = await http.post('/v1/admin/tenants').set(bearer(tokens.platform())).send(body);
  if (response.status !== 201) {
    throw new Error(
      `creating ${JSON.stringify(body)} answered ${response.status}: ${JSON.stringify(response.body)}`,
    );
  }
  return response.body as Record<string, unknown>;
}

/** Deterministic unit-ish vectors for a dimension, distinct per index. */
export function vectorFor(index: number, dimension: number): number[] {
  const values = new Array<number>(dimension).fill(0.01);
  values[index % dimension] = 1;
  const second = (index * 7 + 3) % dimension;
  values[second] = (values[second] ?? 0) + 0.5 + (index % 5) * 0.1;
  return values;
}

/** A gateway with two 3-dimensional cosine tenants, `acme` and `globex`: a tenant and its twin. */
export async function startWithTwoTenants(): Promise<TestGateway> {
  const gw = await startGateway();
  for (const id of ['acme', 'globex'])
    await createTenant(gw.http, gw.tokens, { id, dimension: 3, metric: 'cosine' });
  return gw;
}

/** Creates tenant `id` on `gw`: 3-dimensional and cosine unless `spec` says otherwise. */
export function createTenantOn(
  gw: TestGateway,
  id: string,
  spec: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  return createTenant(gw.http, gw.tokens, { id, dimension: 3, metric: 'cosine', ...spec });
}

/** A gateway started with `env`, holding a cosine tenant of `dimension` for each [id, tier]. */
export async function startWithTenants(
  env: Record<string, string>,
  tenants: readonly (readonly [id: string, tier: string])[],
  dimension = 3,
): Promise<TestGateway> {
  const gw = await startGateway({ env });
  for (const [id, tier] of tenants) await createTenantOn(gw, id, { tier, dimension });
  return gw;
}
