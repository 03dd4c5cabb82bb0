import { ConfigError, loadGatewayConfig } from './gateway.config';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SECRET = 'a-secret-of-at-least-thirty-two-characters!';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadGatewayConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const config = loadGatewayConfig({
      JWT_SECRET: SECRET,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'cfg-')),
    });
    expect(config.http).toMatchObject({ port: 8080, host: '0.0.0.0', bodyLimit: 16 * 1024 * 1024 });
    expect(config.tenancy).toMatchObject({
      issuer: 'vecgate',
      audience: 'vecgate',
      tenantClaim: 'tenant_id',
      rolesClaim: 'roles',
    });
    expect(config.isolation).toMatchObject({
      placementPolicy:
        'enterprise=embedded:database,premium=embedded:collection,standard=embedded:partition_key',
      defaultTier: 'standard',
    });
    expect(config.audit.mode).toBe('durable');
    expect(config.metrics).toEqual({ port: 9464, host: '127.0.0.1' });
    expect(config.databaseUrl).toBeUndefined();
  });

  it('reads MAX_BODY_NODES and refuses a bound too small for any write', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const base = { JWT_SECRET: SECRET, DATA_DIR: dir };
    expect(loadGatewayConfig({ ...base, MAX_BODY_NODES: '1000000' }).http.bodyNodes).toBe(
      1_000_000,
    );
    expect(problemsOf({ ...base, MAX_BODY_NODES: '100' })).toEqual([
      expect.stringMatching(/^MAX_BODY_NODES/),
    ]);
  });

  it('applies the documented resource defaults', () => {
    const config = loadGatewayConfig({
      JWT_SECRET: SECRET,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'cfg-')),
    });
    expect(config.http).toMatchObject({
      deadlineMs: 10_000,
      tenantMaxInflight: 16,
      maxConnections: 4096,
      maxConnectionsPerIp: 256,
      headersTimeoutMs: 10_000,
      keepAliveTimeoutMs: 5000,
      socketWriteTimeoutMs: 30_000,
      memoryGuardPercent: 85,
      bodyNodes: 128_000,
    });
    expect(config.quotas).toEqual({
      tiers: {},
      fallback: {
        vectors: 1_000_000,
        bytes: 4 * 1024 ** 3,
        namespaces: 1000,
        metadataBytes: 40 * 1024,
      },
    });
  });

  it('refuses resource settings out of range, and a per-address cap above the total', () => {
    const problems = problemsOf({
      JWT_SECRET: SECRET,
      REQUEST_DEADLINE_MS: '10',
      TENANT_MAX_INFLIGHT: '0',
      MEMORY_GUARD_PERCENT: '120',
      MAX_CONNECTIONS: '10',
      MAX_CONNECTIONS_PER_IP: '20',
      TIER_QUOTAS: 'standard:vectors=lots',
    });
    for (const key of [
      'REQUEST_DEADLINE_MS',
      'TENANT_MAX_INFLIGHT',
      'MEMORY_GUARD_PERCENT',
      'MAX_CONNECTIONS_PER_IP',
      'TIER_QUOTAS',
    ]) {
      expect(problems.some((p) => p.startsWith(key))).toBe(true);
    }
  });

  it('bounds the migration lock pool of a replica: 4 connections by default, 1 to 100', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const config = loadGatewayConfig({ JWT_SECRET: SECRET, DATA_DIR: dir });
    expect(config.tenancy.migrationLockConnections).toBe(4);
    const named = (value: string): boolean =>
      problemsOf({ JWT_SECRET: SECRET, DATA_DIR: dir, MIGRATION_LOCK_CONNECTIONS: value }).some(
        (p) => p.startsWith('MIGRATION_LOCK_CONNECTIONS'),
      );
    expect(['0', '101', 'many', '1', '100'].map(named)).toEqual([true, true, true, false, false]);
  });

  it('caps the headers timeout at the request timeout, which Node requires', () => {
    const config = loadGatewayConfig({
      JWT_SECRET: SECRET,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'cfg-')),
      REQUEST_TIMEOUT_MS: '2000',
    });
    expect(config.http.headersTimeoutMs).toBe(2000);
  });

  it('takes PUBLIC_URL as an absolute http(s) URL without its trailing slash, and no default', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const base = { JWT_SECRET: SECRET, DATA_DIR: dir };
    expect(loadGatewayConfig(base).http.publicUrl).toBeUndefined();
    const set = loadGatewayConfig({ ...base, PUBLIC_URL: 'https://vg.example.com/api/' });
    expect(set.http.publicUrl).toBe('https://vg.example.com/api');
    for (const bad of ['vg.example.com', 'ftp://vg.example.com', 'not a url'])
      expect(problemsOf({ ...base, PUBLIC_URL: bad }).join()).toContain('PUBLIC_URL');
  });

  it('refuses to start naming every bad key at once', () => {
    const problems = problemsOf({
      JWT_SECRET: SECRET,
      PORT: 'eighty',
      AUDIT_MODE: 'fast',
      METRICS_PORT: 'maybe',
      DATABASE_URL: 'mysql://x',
      EMBEDDED_CACHE_MB: '0',
      EMBEDDED_WORKERS: '0',
      EMBEDDED_SLICE_MS: 'fast',
      JWT_JWKS_URL: 'not a url',
    });
    for (const key of [
      'PORT',
      'AUDIT_MODE',
      'METRICS_PORT',
      'DATABASE_URL',
      'EMBEDDED_CACHE_MB',
      'EMBEDDED_WORKERS',
      'EMBEDDED_SLICE_MS',
      'JWT_JWKS_URL',
    ]) {
      expect(problems.some((p) => p.startsWith(key))).toBe(true);
    }
  });

  it.each([
    ['PORT', 'abc', 'PORT must be an integer number'],
    ['PORT', '80.5', 'PORT must be an integer number'],
    ['PORT', '70000', 'PORT must not be greater than 65535'],
    ['TENANT_MAX_INFLIGHT', '1.5', 'TENANT_MAX_INFLIGHT must be an integer number'],
    ['METRICS_PORT', '99999', 'METRICS_PORT: must be a port number (0 to 65535) or "off"'],
  ])('names %s=%s by its most basic fault only', (key, value, problem) => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    expect(problemsOf({ JWT_SECRET: SECRET, DATA_DIR: dir, [key]: value })).toEqual([problem]);
  });

  it('refuses two listeners on one port, naming the second, but not port 0 or distinct hosts', () => {
    const base = { JWT_SECRET: SECRET, DATA_DIR: mkdtempSync(join(tmpdir(), 'cfg-')) };
    const qdrant = { QDRANT_API_HOST: '127.0.0.1' };
    expect(problemsOf({ ...base, ...qdrant, PORT: '7000', QDRANT_API_PORT: '7000' })).toEqual([
      'QDRANT_API_PORT: 7000 is also PORT; each listener needs its own port',
    ]);
    expect(problemsOf({ ...base, PORT: '9464' })).toEqual([
      'METRICS_PORT: 9464 is also PORT; each listener needs its own port',
    ]);
    expect(
      problemsOf({ ...base, ...qdrant, METRICS_PORT: '7001', QDRANT_API_PORT: '7001' }),
    ).toEqual(['QDRANT_API_PORT: 7001 is also METRICS_PORT; each listener needs its own port']);
    expect(problemsOf({ ...base, ...qdrant, PORT: '0', QDRANT_API_PORT: '0' })).toEqual([]);
    expect(
      problemsOf({ ...base, ...qdrant, HOST: '127.0.0.2', PORT: '7002', QDRANT_API_PORT: '7002' }),
    ).toEqual([]);
    expect(problemsOf({ ...base, METRICS_PORT: 'off', PORT: '9464' })).toEqual([]);
  });

  it('requires JWT_SECRET outside development and refuses a short one', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([
      expect.stringMatching(/^JWT_SECRET: required/),
    ]);
    expect(problemsOf({})).toEqual([expect.stringMatching(/^JWT_SECRET: required/)]);
    expect(problemsOf({ JWT_SECRET: 'short' })).toEqual([expect.stringMatching(/^JWT_SECRET/)]);
    expect(problemsOf({ JWT_SECRET: SECRET, JWT_SECRETS: `a:${SECRET}` })).toEqual([
      expect.stringMatching(/^JWT_SECRETS/),
    ]);
  });

  it('in explicit development only, generates a secret kept under DATA_DIR with mode 0600', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const config = loadGatewayConfig({ NODE_ENV: 'development', DATA_DIR: dataDir });
    expect(config.devSecretFile).toBe(join(dataDir, '.dev-jwt-secret'));
    expect(statSync(config.devSecretFile as string).mode & 0o777).toBe(0o600);
    const again = loadGatewayConfig({ NODE_ENV: 'development', DATA_DIR: dataDir });
    expect(again.tenancy.hmacKeys).toEqual(config.tenancy.hmacKeys);
    expect(readFileSync(config.devSecretFile as string, 'utf8').trim()).toBe(
      config.tenancy.hmacKeys[0]?.secret,
    );
  });

  it('reads rotating keys from JWT_SECRETS, the first one signing', () => {
    const config = loadGatewayConfig({ JWT_SECRETS: `new:${SECRET}1,old:${SECRET}2` });
    expect(config.tenancy.hmacKeys.map((k) => k.kid)).toEqual(['new', 'old']);
  });
});
