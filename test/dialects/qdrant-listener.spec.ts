import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { get } from 'node:https';
import { connect, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../support/eventually';
import { QdrantGateway, quietInsecureKeyWarning, startQdrantGateway } from './qdrant-support';

/** A self-signed certificate for 127.0.0.1, or the reason none could be made. */
function selfSigned(): { cert: string; key: string } | string {
  const dir = mkdtempSync(join(tmpdir(), 'qdrant-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    return { cert, key };
  } catch (err) {
    return `openssl could not make a test certificate (${(err as Error).message})`;
  }
}

const tls = selfSigned();
if (typeof tls === 'string') console.warn(`Qdrant API TLS test skipped: ${tls}`);
const describeTls = typeof tls === 'string' ? describe.skip : describe;

describeTls('Qdrant API over TLS', () => {
  let q: QdrantGateway;
  beforeAll(async () => {
    const files = tls as { cert: string; key: string };
    q = await startQdrantGateway(
      { acme: { dimension: 3, metric: 'cosine' } },
      { env: { QDRANT_API_TLS_CERT_FILE: files.cert, QDRANT_API_TLS_KEY_FILE: files.key } },
    );
  });
  afterAll(() => q.close());

  it('serves the API over HTTPS with the configured certificate', async () => {
    const key = await q.apiKey('acme', ['reader']);
    const port = new URL(q.url).port;
    const ca = readFileSync((tls as { cert: string }).cert);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      get(`https://127.0.0.1:${port}/collections`, { ca, headers: { 'api-key': key } }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      }).on('error', reject);
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ result: { collections: [] }, status: 'ok' });
  });
});

describe('Qdrant API connection caps', () => {
  let q: QdrantGateway;
  beforeAll(async () => {
    q = await startQdrantGateway(
      { acme: { dimension: 3, metric: 'cosine' } },
      { env: { MAX_CONNECTIONS: '2', MAX_CONNECTIONS_PER_IP: '2' } },
    );
  });
  afterAll(() => q.close());

  it('applies the main listener’s per-address cap to its own port', async () => {
    const port = Number(new URL(q.url).port);
    const open = (): Promise<{ socket: Socket; closed: () => boolean }> =>
      new Promise((resolve, reject) => {
        let closed = false;
        const socket = connect(port, '127.0.0.1', () => resolve({ socket, closed: () => closed }));
        socket.on('close', () => (closed = true)).on('error', reject);
      });
    const held = [await open(), await open()];
    const third = await open();
    await eventually(10_000, () => Promise.resolve(third.closed()));
    expect(held.map((c) => c.closed())).toEqual([false, false]);
    for (const c of [...held, third]) c.socket.destroy();
  });
});

describe('Qdrant API rate limits', () => {
  let q: QdrantGateway;
  beforeAll(async () => {
    quietInsecureKeyWarning();
    q = await startQdrantGateway(
      { acme: { dimension: 3, metric: 'cosine' } },
      { env: { RATE_LIMIT_RPS: '1', RATE_LIMIT_BURST: '2' } },
    );
  });
  afterAll(() => q.close());

  it('answers a tenant over its rate 429 with Retry-After in Qdrant’s shape, which the client does not retry', async () => {
    const client = q.client(await q.apiKey('acme', ['reader']));
    const before = q.requests();
    // Twenty at once against a burst of two: past the burst, each would need its own second.
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () =>
        client.getCollections().then(
          () => 200,
          (err: { status?: number; retry_after?: number }) => {
            expect(err.retry_after).toBeGreaterThan(0);
            return err.status ?? 429;
          },
        ),
      ),
    );
    expect(outcomes.filter((s) => s === 200).length).toBeGreaterThanOrEqual(2);
    expect(outcomes.filter((s) => s !== 200).every((s) => s === 429)).toBe(true);
    expect(outcomes).toContain(429);
    expect(q.requests() - before).toBe(20);
  });
});
