import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
} from 'class-validator';
import { EMBEDDED_DEFAULTS } from '@vecgate/isolation';
import { DEFAULT_MAX_BODY_NODES } from '../http/json-shape';
import { DEFAULT_TIER_QUOTAS } from './tier-quotas';

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
const toBool = ({ value }: { value: unknown }): unknown =>
  value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;

/**
 * Every environment variable vecgate reads, with its default. Validated once at start-up;
 * the process refuses to start and names each bad key. The README's configuration table
 * mirrors this class.
 */
export class GatewayEnv {
  @IsOptional()
  @IsIn(['development', 'production', 'test'])
  NODE_ENV?: string;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 8080;

  @IsString()
  HOST = '0.0.0.0';

  /**
   * The gateway's address as clients reach it (scheme, host, port, optional path), from which
   * the Pinecone dialect builds the index hosts it hands out. Unset: the listening address.
   */
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  PUBLIC_URL?: string;

  @IsString()
  @MinLength(1)
  DATA_DIR = './data';

  /** What start-up does about data files or directories others may read: log, or not start. */
  @IsIn(['warn', 'refuse'])
  DATA_DIR_PERMISSIONS: 'warn' | 'refuse' = 'warn';

  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  JWT_SECRET?: string;

  @IsOptional()
  @Matches(/^([A-Za-z0-9._-]{1,64}:[^,]{32,})(,[A-Za-z0-9._-]{1,64}:[^,]{32,})*$/, {
    message:
      'JWT_SECRETS must be kid:secret[,kid:secret...] with secrets of at least 32 characters',
  })
  JWT_SECRETS?: string;

  @IsString()
  JWT_ISSUER = 'vecgate';

  @IsString()
  JWT_AUDIENCE = 'vecgate';

  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] })
  JWT_JWKS_URL?: string;

  @IsOptional()
  @IsString()
  JWT_JWKS_ISSUER?: string;

  @IsOptional()
  @IsString()
  JWT_JWKS_AUDIENCE?: string;

  @IsOptional()
  @Matches(/^[A-Za-z0-9_:./-]{1,128}$/)
  JWT_JWKS_TENANT_CLAIM?: string;

  @IsOptional()
  @Matches(/^[A-Za-z0-9_:./-]{1,128}$/)
  JWT_JWKS_ROLES_CLAIM?: string;

  @Matches(/^[A-Za-z0-9_:./-]{1,128}$/)
  JWT_TENANT_CLAIM = 'tenant_id';

  @Matches(/^[A-Za-z0-9_:./-]{1,128}$/)
  JWT_ROLES_CLAIM = 'roles';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(300)
  JWT_CLOCK_TOLERANCE_SECONDS = 5;

  @Transform(toInt)
  @IsInt()
  @Min(60)
  MAX_TOKEN_TTL = 2_592_000;

  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, {
    message: 'DATABASE_URL must start with postgres:// or postgresql://',
  })
  DATABASE_URL?: string;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(60_000)
  DATABASE_CONNECT_TIMEOUT_MS = 5000;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(300_000)
  DATABASE_STATEMENT_TIMEOUT_MS = 10_000;

  @Transform(toInt)
  @IsInt()
  @Min(1000)
  DATABASE_IDLE_TIMEOUT_MS = 30_000;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(4000)
  READINESS_TIMEOUT_MS = 2000;

  @IsString()
  PLACEMENT_POLICY =
    'enterprise=embedded:database,premium=embedded:collection,standard=embedded:partition_key';

  @Matches(/^[a-z][a-z0-9_-]{0,31}$/)
  DEFAULT_TIER = 'standard';

  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] })
  ALERT_WEBHOOK_URL?: string;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10)
  ALERT_WEBHOOK_RETRIES = 5;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10_000)
  ALERT_QUOTA_PER_WINDOW = 10;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  ALERT_WINDOW_MS = 60_000;

  @IsIn(['durable', 'async'])
  AUDIT_MODE: 'durable' | 'async' = 'durable';

  @Transform(toInt)
  @IsInt()
  @Min(100)
  AUDIT_QUEUE_MAX = 10_000;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(5000)
  AUDIT_BATCH_MAX = 500;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  AUDIT_COMMIT_TIMEOUT_MS = 5000;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  AUDIT_UNAUTHENTICATED_PER_SECOND = 50;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(1000)
  AUDIT_FLUSH_INTERVAL_MS = 10;

  @Transform(toBool)
  @IsBoolean()
  AUDIT_LOG = true;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  EMBEDDED_CACHE_MB = 512;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  EMBEDDED_MAX_OPEN_FILES = 256;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  EMBEDDED_WORKERS: number = EMBEDDED_DEFAULTS.workers;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000)
  EMBEDDED_TENANT_QUEUE: number = EMBEDDED_DEFAULTS.tenantQueue;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  EMBEDDED_QUEUE: number = EMBEDDED_DEFAULTS.queue;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  EMBEDDED_SLICE_MS: number = EMBEDDED_DEFAULTS.sliceMs;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  EMBEDDED_ANN_MIN_VECTORS: number = EMBEDDED_DEFAULTS.annMinVectors;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  TENANT_CACHE_TTL_MS = 5000;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  TENANT_DELETE_GRACE_MS = 30_000;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  MIGRATION_RECORDS_PER_SECOND = 5_000;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  MIGRATION_LOCK_CONNECTIONS = 4;

  @Transform(toInt)
  @IsInt()
  @Min(1024)
  MAX_BODY_BYTES = 16 * 1024 * 1024;

  @Transform(toInt)
  @IsInt()
  @Min(1024)
  MAX_BODY_NODES: number = DEFAULT_MAX_BODY_NODES;

  /** Bytes of request bodies received and served at once; 0: an eighth of the heap limit. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  BODY_BYTES_IN_FLIGHT = 0;

  @Transform(toInt)
  @IsInt()
  @Min(1000)
  REQUEST_TIMEOUT_MS = 30_000;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(600_000)
  REQUEST_DEADLINE_MS = 10_000;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000)
  TENANT_MAX_INFLIGHT = 16;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  MAX_CONNECTIONS = 4096;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  MAX_CONNECTIONS_PER_IP = 256;

  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(600_000)
  HEADERS_TIMEOUT_MS = 10_000;

  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(600_000)
  KEEP_ALIVE_TIMEOUT_MS = 5000;

  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(600_000)
  SOCKET_WRITE_TIMEOUT_MS = 30_000;

  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(100)
  MEMORY_GUARD_PERCENT = 85;

  @IsString()
  TIER_QUOTAS = DEFAULT_TIER_QUOTAS;

  /** Longest API key lifetime per tier, `tier:DAYS;...` (`unlimited` allowed). */
  @IsString()
  API_KEY_MAX_DAYS = 'default:unlimited';

  /** HMAC key of API key hashes; derived from the first JWT secret when not set. */
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'API_KEY_SECRET must be at least 32 characters' })
  API_KEY_SECRET?: string;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  RATE_LIMIT_RPS = 0;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_BURST = 100;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  UNAUTH_RATE_LIMIT_RPS = 50;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  UNAUTH_RATE_LIMIT_BURST = 100;

  @Matches(/^(off|\d{1,5})$/, { message: 'METRICS_PORT must be a port number or "off"' })
  METRICS_PORT = '9464';

  @IsString()
  METRICS_HOST = '127.0.0.1';

  @Transform(toBool)
  @IsBoolean()
  TRUST_PROXY = false;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';
}
