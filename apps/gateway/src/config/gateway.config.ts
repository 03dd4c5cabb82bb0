import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AuditOptions } from '@vecgate/audit';
import { makePrivateDirectory, type SqlTimeouts } from '@vecgate/core';
import type { BackendName, IsolationOptions } from '@vecgate/isolation';
import type { HmacKey, TenancyOptions } from '@vecgate/tenancy';
import { loadBackendOptions, ServerBackend } from './backends/backend-env';
import { dataDirProblem, replicaIdOf } from './data-dir';
import { dataDirExposure } from './data-dir-check';
import { placementProblems } from './placement.env';
import type { QuotaPolicy } from '@vecgate/search';
import { mostBasicFault } from '../runtime/constraint-rank';
import { parseTierDays, parseTierQuotas } from './tier-quotas';
import { GatewayEnv } from './gateway.env';
import { loadQdrantApiConfig, QdrantApiConfig } from '../dialects/qdrant/qdrant-api.config';
import { defaultBodyBudget } from '../http/body-budget';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** The validated configuration, shaped for the modules that use it. */
export interface GatewayConfig {
  readonly env: GatewayEnv;
  readonly development: boolean;
  readonly dataDir: string;
  /** Entries of the data directory others can access, found at start-up (a warning). */
  readonly dataDirExposure?: string;
  readonly http: {
    readonly port: number;
    readonly host: string;
    /** Where clients reach the gateway (no trailing slash); unset: its listening address. */
    readonly publicUrl?: string;
    readonly bodyLimit: number;
    /** Objects, arrays and keys a JSON body may hold, counted before it is parsed. */
    readonly bodyNodes: number;
    /** Bytes of request bodies received and served at once (BodyBudget). */
    readonly bodyBytesInFlight: number;
    readonly requestTimeoutMs: number;
    readonly trustProxy: boolean;
    readonly deadlineMs: number;
    readonly tenantMaxInflight: number;
    readonly maxConnections: number;
    readonly maxConnectionsPerIp: number;
    readonly headersTimeoutMs: number;
    readonly keepAliveTimeoutMs: number;
    readonly socketWriteTimeoutMs: number;
    readonly memoryGuardPercent: number;
  };
  readonly quotas: QuotaPolicy;
  readonly metrics: { readonly port: number | null; readonly host: string };
  /** The Qdrant API's own listener (off unless QDRANT_API_PORT is set). */
  readonly qdrantApi: QdrantApiConfig;
  readonly databaseUrl?: string;
  readonly databaseTimeouts: SqlTimeouts;
  /** Each readiness check answers within this, whatever its dependency does. */
  readonly readinessTimeoutMs: number;
  readonly tenancy: TenancyOptions;
  readonly isolation: IsolationOptions;
  readonly audit: AuditOptions;
  /** Set when a development secret was generated or reused from the data directory. */
  readonly devSecretFile?: string;
  readonly logLevel: string;
}

const DEV_SECRET_FILE = '.dev-jwt-secret';

/**
 * Reads and validates the environment once. Throws a ConfigError naming every bad key.
 * Only in development (NODE_ENV=development, set explicitly) is a missing JWT secret
 * replaced by one generated and kept under DATA_DIR.
 */
export function loadGatewayConfig(source: NodeJS.ProcessEnv): GatewayConfig {
  const keys = Object.keys(new GatewayEnv()).concat(optionalKeys);
  const picked: Record<string, string> = {};
  for (const key of new Set(keys)) {
    const value = source[key];
    if (value !== undefined && value !== '') picked[key] = value;
  }
  const env = plainToInstance(GatewayEnv, picked, { exposeDefaultValues: true });
  // One problem per key, its most basic: PORT=abc is "not an integer", not also out of range.
  const problems = validateSync(env, { whitelist: false }).map((error) => {
    const message = mostBasicFault(error.constraints ?? {}) ?? 'is invalid';
    return message.startsWith(error.property) ? message : `${error.property}: ${message}`;
  });
  const development = env.NODE_ENV === 'development';
  if (env.JWT_SECRET && env.JWT_SECRETS)
    problems.push('JWT_SECRETS: set either JWT_SECRET or JWT_SECRETS, not both');
  if (!env.JWT_SECRET && !env.JWT_SECRETS && !development) {
    problems.push('JWT_SECRET: required outside development (or set JWT_SECRETS)');
  }
  if (env.JWT_JWKS_URL && !env.JWT_JWKS_ISSUER) {
    problems.push('JWT_JWKS_ISSUER: required when JWT_JWKS_URL is set');
  }
  const backends = loadBackendOptions(source);
  problems.push(...backends.problems);
  const enabled = new Set<BackendName>([
    'embedded',
    ...(Object.keys(backends.options) as ServerBackend[]),
  ]);
  problems.push(...placementProblems(env.PLACEMENT_POLICY, env.DEFAULT_TIER, enabled));
  const dataDir = resolve(env.DATA_DIR);
  const dirProblem = dataDirProblem(dataDir);
  if (dirProblem) problems.push(dirProblem);
  const quotas = parseTierQuotas('TIER_QUOTAS', env.TIER_QUOTAS, problems);
  const apiKeyMaxDays = parseTierDays('API_KEY_MAX_DAYS', env.API_KEY_MAX_DAYS, problems);
  const qdrantApi = loadQdrantApiConfig(
    source,
    { host: env.HOST, production: env.NODE_ENV === 'production' },
    problems,
  );
  const metricsPort = env.METRICS_PORT === 'off' ? null : Number(env.METRICS_PORT);
  if (metricsPort !== null && metricsPort > 65535)
    problems.push('METRICS_PORT: must be a port number (0 to 65535) or "off"');
  problems.push(
    ...listenerClashes([
      { key: 'PORT', port: env.PORT, host: env.HOST },
      { key: 'METRICS_PORT', port: metricsPort, host: env.METRICS_HOST },
      { key: 'QDRANT_API_PORT', port: qdrantApi.port, host: qdrantApi.host },
    ]),
  );
  if (env.MAX_CONNECTIONS_PER_IP > env.MAX_CONNECTIONS)
    problems.push('MAX_CONNECTIONS_PER_IP: must not exceed MAX_CONNECTIONS');
  if (env.BODY_BYTES_IN_FLIGHT > 0 && env.BODY_BYTES_IN_FLIGHT < 4 * env.MAX_BODY_BYTES)
    problems.push(
      'BODY_BYTES_IN_FLIGHT: must be at least 4 × MAX_BODY_BYTES (a tenant may hold a quarter)',
    );
  if (problems.length > 0) throw new ConfigError(problems);

  // Checked before anything opens a file there; the DataDirCheck provider logs a warning.
  const exposure = dataDirExposure(dataDir);
  if (exposure !== undefined && env.DATA_DIR_PERMISSIONS === 'refuse') {
    throw new ConfigError([`DATA_DIR_PERMISSIONS is refuse and ${exposure}`]);
  }
  let devSecretFile: string | undefined;
  let hmacKeys: HmacKey[];
  if (env.JWT_SECRETS) {
    hmacKeys = env.JWT_SECRETS.split(',').map((entry) => {
      const at = entry.indexOf(':');
      return { kid: entry.slice(0, at), secret: entry.slice(at + 1) };
    });
  } else if (env.JWT_SECRET) {
    hmacKeys = [{ kid: 'default', secret: env.JWT_SECRET }];
  } else {
    devSecretFile = join(dataDir, DEV_SECRET_FILE);
    hmacKeys = [{ kid: 'dev', secret: developmentSecret(dataDir) }];
  }

  return {
    env,
    development,
    dataDir,
    dataDirExposure: exposure,
    http: {
      port: env.PORT,
      host: env.HOST,
      ...(env.PUBLIC_URL ? { publicUrl: env.PUBLIC_URL.replace(/\/+$/, '') } : {}),
      bodyLimit: env.MAX_BODY_BYTES,
      bodyNodes: env.MAX_BODY_NODES,
      bodyBytesInFlight: env.BODY_BYTES_IN_FLIGHT || defaultBodyBudget(env.MAX_BODY_BYTES),
      requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
      trustProxy: env.TRUST_PROXY,
      deadlineMs: env.REQUEST_DEADLINE_MS,
      tenantMaxInflight: env.TENANT_MAX_INFLIGHT,
      maxConnections: env.MAX_CONNECTIONS,
      maxConnectionsPerIp: env.MAX_CONNECTIONS_PER_IP,
      // Node refuses a headers timeout longer than the request timeout, which bounds it anyway.
      headersTimeoutMs: Math.min(env.HEADERS_TIMEOUT_MS, env.REQUEST_TIMEOUT_MS),
      keepAliveTimeoutMs: env.KEEP_ALIVE_TIMEOUT_MS,
      socketWriteTimeoutMs: env.SOCKET_WRITE_TIMEOUT_MS,
      memoryGuardPercent: env.MEMORY_GUARD_PERCENT,
    },
    quotas,
    metrics: { port: metricsPort, host: env.METRICS_HOST },
    qdrantApi,
    databaseUrl: env.DATABASE_URL,
    databaseTimeouts: {
      connectMs: env.DATABASE_CONNECT_TIMEOUT_MS,
      statementMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
      idleMs: env.DATABASE_IDLE_TIMEOUT_MS,
    },
    readinessTimeoutMs: env.READINESS_TIMEOUT_MS,
    tenancy: {
      hmacKeys,
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      tenantClaim: env.JWT_TENANT_CLAIM,
      rolesClaim: env.JWT_ROLES_CLAIM,
      external: env.JWT_JWKS_URL
        ? {
            jwksUrl: env.JWT_JWKS_URL,
            issuer: env.JWT_JWKS_ISSUER as string,
            audience: env.JWT_JWKS_AUDIENCE ?? env.JWT_AUDIENCE,
            tenantClaim: env.JWT_JWKS_TENANT_CLAIM ?? env.JWT_TENANT_CLAIM,
            rolesClaim: env.JWT_JWKS_ROLES_CLAIM ?? env.JWT_ROLES_CLAIM,
          }
        : undefined,
      clockToleranceSeconds: env.JWT_CLOCK_TOLERANCE_SECONDS,
      maxTokenTtlSeconds: env.MAX_TOKEN_TTL,
      cacheTtlMs: env.TENANT_CACHE_TTL_MS,
      deleteGraceMs: env.TENANT_DELETE_GRACE_MS,
      migrationRecordsPerSecond: env.MIGRATION_RECORDS_PER_SECOND,
      migrationLockConnections: env.MIGRATION_LOCK_CONNECTIONS,
      replicaId: replicaIdOf(dataDir),
      rateLimitPerSecond: env.RATE_LIMIT_RPS,
      rateLimitBurst: env.RATE_LIMIT_BURST,
      unauthenticatedPerSecond: env.UNAUTH_RATE_LIMIT_RPS,
      unauthenticatedBurst: env.UNAUTH_RATE_LIMIT_BURST,
      apiKeySecret: env.API_KEY_SECRET,
      apiKeyMaxDays,
    },
    isolation: {
      embedded: {
        directory: join(dataDir, 'embedded'),
        cacheMb: env.EMBEDDED_CACHE_MB,
        maxOpenFiles: env.EMBEDDED_MAX_OPEN_FILES,
        workers: env.EMBEDDED_WORKERS,
        tenantQueue: env.EMBEDDED_TENANT_QUEUE,
        queue: env.EMBEDDED_QUEUE,
        sliceMs: env.EMBEDDED_SLICE_MS,
        ann: { minVectors: env.EMBEDDED_ANN_MIN_VECTORS },
      },
      ...backends.options,
      placementPolicy: env.PLACEMENT_POLICY,
      defaultTier: env.DEFAULT_TIER,
    },
    audit: {
      mode: env.AUDIT_MODE,
      queueMax: env.AUDIT_QUEUE_MAX,
      batchMax: env.AUDIT_BATCH_MAX,
      commitTimeoutMs: env.AUDIT_COMMIT_TIMEOUT_MS,
      unauthenticatedPerSecond: env.AUDIT_UNAUTHENTICATED_PER_SECOND,
      flushIntervalMs: env.AUDIT_FLUSH_INTERVAL_MS,
      alertWebhookUrl: env.ALERT_WEBHOOK_URL,
      alertRetries: env.ALERT_WEBHOOK_RETRIES,
      alertQuota: env.ALERT_QUOTA_PER_WINDOW,
      alertWindowMs: env.ALERT_WINDOW_MS,
      log: env.AUDIT_LOG,
    },
    devSecretFile,
    logLevel: env.LOG_LEVEL,
  };
}

/** Keys without a default, which `new GatewayEnv()` does not list. */
const optionalKeys = [
  'NODE_ENV',
  'JWT_SECRET',
  'JWT_SECRETS',
  'JWT_JWKS_URL',
  'JWT_JWKS_ISSUER',
  'JWT_JWKS_AUDIENCE',
  'JWT_JWKS_TENANT_CLAIM',
  'JWT_JWKS_ROLES_CLAIM',
  'DATABASE_URL',
  'ALERT_WEBHOOK_URL',
  'PUBLIC_URL',
];

/** Reuses the development secret kept in the data directory, or makes one (mode 0600). */
function developmentSecret(dataDir: string): string {
  const file = join(dataDir, DEV_SECRET_FILE);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  makePrivateDirectory(dataDir);
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return secret;
}

interface Listener {
  readonly key: string;
  readonly port: number | null;
  readonly host: string;
}

const ANY_ADDRESS = new Set(['0.0.0.0', '::', '']);

/**
 * Two listeners of this process on one port: the second to bind fails with EADDRINUSE, which
 * would be reported as the main port's fault after the others started. Port 0 (any free one)
 * never clashes; different specific addresses do not either.
 */
function listenerClashes(listeners: Listener[]): string[] {
  const problems: string[] = [];
  for (const [i, a] of listeners.entries()) {
    for (const b of listeners.slice(0, i)) {
      if (a.port === null || a.port === 0 || a.port !== b.port) continue;
      if (a.host !== b.host && !ANY_ADDRESS.has(a.host) && !ANY_ADDRESS.has(b.host)) continue;
      problems.push(`${a.key}: ${a.port} is also ${b.key}; each listener needs its own port`);
    }
  }
  return problems;
}
