import { QdrantClient } from '@qdrant/js-client-rest';
import { randomUUID } from 'node:crypto';
import { QdrantListener } from '../../apps/gateway/src/dialects/qdrant';
import { auditOf, AuditRecord } from '../support/audit-trail';
import { createTenant } from '../support/fixtures';
import { startGateway, StartOptions, TestGateway } from '../support/test-gateway';
import { bearer } from '../support/tokens';

export interface QdrantGateway {
  readonly gw: TestGateway;
  readonly url: string;
  /** Requests the Qdrant listener has received so far. */
  requests(): number;
  /** A tenant API key (`vgk_...`) with these roles. */
  apiKey(tenant: string, roles: string[]): Promise<string>;
  /** A Qdrant client with this key, tagging its requests with `requestId` for the audit trail. */
  client(key: string, requestId?: string, headers?: Record<string, string>): QdrantClient;
  /** The events of a client's requests, read through the platform audit API. */
  audit(requestId: string): Promise<AuditRecord[]>;
  close(): Promise<void>;
}

/** A gateway with the Qdrant API on a random loopback port and tenants of these spaces. */
export async function startQdrantGateway(
  tenants: Record<string, { dimension: number; metric: string }>,
  options: StartOptions = {},
): Promise<QdrantGateway> {
  const gw = await startGateway({
    ...options,
    env: { QDRANT_API_PORT: '0', QDRANT_API_HOST: '127.0.0.1', ...options.env },
  });
  for (const [id, space] of Object.entries(tenants))
    await createTenant(gw.http, gw.tokens, { id, ...space });
  const listener = gw.app.get(QdrantListener);
  const url = `http://127.0.0.1:${listener.port}`;
  let received = 0;
  listener.httpServer?.on('request', () => received++);
  return {
    gw,
    url,
    requests: () => received,
    async apiKey(tenant, roles) {
      const res = await gw.http
        .post(`/v1/admin/tenants/${tenant}/api-keys`)
        .set(bearer(gw.tokens.platform()))
        .send({ name: `qdrant-${roles.join('-')}-${randomUUID().slice(0, 8)}`, roles });
      if (res.status !== 201) throw new Error(`api key: ${res.status} ${JSON.stringify(res.body)}`);
      return (res.body as { key: string }).key;
    },
    client: (key, requestId = randomUUID(), headers = {}) =>
      new QdrantClient({
        url,
        apiKey: key,
        checkCompatibility: false,
        headers: { 'x-request-id': requestId, ...headers },
      }),
    audit: (requestId) => auditOf(gw, requestId),
    close: () => gw.close(true),
  };
}

/** What a client call that the gateway refuses throws: the status and Qdrant's error text. */
export async function refusal(call: Promise<unknown>): Promise<{ status: number; error: string }> {
  try {
    await call;
  } catch (err) {
    const e = err as { status?: number; data?: { status?: { error?: string } } };
    return { status: e.status ?? 0, error: e.data?.status?.error ?? '' };
  }
  throw new Error('the call succeeded');
}

/** Silences the client's warning about an API key over plain HTTP (the tests use loopback). */
export function quietInsecureKeyWarning(): void {
  const warn = console.warn.bind(console);
  jest.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
    if (String(args[0]).includes('Api key is used with unsecure connection')) return;
    warn(...args);
  });
}
