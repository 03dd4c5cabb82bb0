/**
 * Development helper: prints an HS256 token of vecgate's built-in issuer.
 *
 *   npm run token -- --tenant acme --roles reader,writer [--ttl 3600] [--subject name]
 *   npm run token -- --platform --roles platform_admin [--ttl 3600] [--subject name]
 *
 * Keys and claim names come from the environment exactly as the gateway reads them:
 * JWT_SECRETS (kid:secret,...; the first kid signs) or JWT_SECRET (kid "default"), else the
 * development secret `<DATA_DIR or ./data>/.dev-jwt-secret` (kid "dev") that `npm start`
 * creates in development. JWT_ISSUER, JWT_AUDIENCE (default "vecgate"), JWT_TENANT_CLAIM
 * (default "tenant_id") and JWT_ROLES_CLAIM (default "roles") name the claims.
 */

import { createSecretKey, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { sign } from 'jsonwebtoken';
import {
  isPlatformRole,
  isTenantRole,
  PLATFORM_ROLES,
  TENANT_ID_PATTERN,
  TENANT_ROLES,
} from '../libs/tenancy/src/roles';
const KID = /^[A-Za-z0-9._-]{1,64}$/;
const CLAIM_NAME = /^[A-Za-z0-9_:./-]{1,128}$/;
const DEFAULT_TTL = 3600;

const USAGE = `usage:
  npm run token -- --tenant <id> --roles reader,writer,tenant_admin [--ttl seconds] [--subject name]
  npm run token -- --platform --roles platform_admin,auditor,cross_tenant_admin [--ttl seconds] [--subject name]`;

class UsageError extends Error {}

type Env = Readonly<Record<string, string | undefined>>;

export interface TokenArgs {
  platform: boolean;
  tenant?: string;
  roles?: string;
  ttl?: string;
  subject?: string;
  help?: boolean;
}

export function parseArgs(argv: readonly string[]): TokenArgs {
  const out: TokenArgs = { platform: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--'))
        throw new UsageError(`${name} needs a value`);
      i++;
      return next;
    };
    switch (name) {
      case '--tenant':
        out.tenant = value();
        break;
      case '--roles':
        out.roles = value();
        break;
      case '--ttl':
        out.ttl = value();
        break;
      case '--subject':
        out.subject = value();
        break;
      case '--platform':
        if (inline !== undefined) throw new UsageError('--platform takes no value');
        out.platform = true;
        break;
      case '--help':
      case '-h':
        out.help = true;
        break;
      default:
        throw new UsageError(`unknown argument ${arg}`);
    }
  }
  return out;
}

/** The signing key as the gateway chooses it: JWT_SECRETS, JWT_SECRET, or the dev secret file. */
function signingKey(env: Env): { kid: string; secret: string; source: string } {
  const secrets = nonEmpty(env.JWT_SECRETS);
  const secret = nonEmpty(env.JWT_SECRET);
  if (secrets && secret) throw new UsageError('set either JWT_SECRET or JWT_SECRETS, not both');
  if (secrets) {
    const first = secrets.split(',')[0] ?? '';
    const at = first.indexOf(':');
    const kid = first.slice(0, at);
    const value = first.slice(at + 1);
    if (at <= 0 || !KID.test(kid) || value.length < 32) {
      throw new UsageError(
        'JWT_SECRETS must be kid:secret[,kid:secret...] with secrets of at least 32 characters',
      );
    }
    return { kid, secret: value, source: `JWT_SECRETS (kid ${kid})` };
  }
  if (secret) {
    if (secret.length < 32) throw new UsageError('JWT_SECRET must be at least 32 characters');
    return { kid: 'default', secret, source: 'JWT_SECRET' };
  }
  const file = join(resolve(nonEmpty(env.DATA_DIR) || './data'), '.dev-jwt-secret');
  if (!existsSync(file)) {
    throw new UsageError(
      `no JWT_SECRET or JWT_SECRETS set, and no development secret at ${file}.\n` +
        'Start the gateway once in development (npm start) or set DATA_DIR to its data directory.',
    );
  }
  const dev = readFileSync(file, 'utf8').trim();
  if (dev.length === 0) throw new UsageError(`${file} is empty`);
  return { kid: 'dev', secret: dev, source: file };
}

function claimName(env: Env, key: string, fallback: string): string {
  const value = nonEmpty(env[key]) || fallback;
  if (!CLAIM_NAME.test(value)) throw new UsageError(`${key} is not a valid claim name`);
  return value;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

export function buildToken(
  args: TokenArgs,
  env: Env,
  now = Math.floor(Date.now() / 1000),
): {
  token: string;
  payload: Record<string, unknown> & { jti: string; exp: number };
  kid: string;
  source: string;
} {
  if (args.platform && args.tenant !== undefined) {
    throw new UsageError('--platform and --tenant cannot be combined: a token is one or the other');
  }
  if (!args.platform && args.tenant === undefined) {
    throw new UsageError('give --tenant <id> for a tenant token, or --platform');
  }
  if (args.roles === undefined) throw new UsageError('--roles is required');
  const roles = [
    ...new Set(
      args.roles
        .split(',')
        .map((r) => r.trim())
        .filter(Boolean),
    ),
  ];
  if (roles.length === 0) throw new UsageError('--roles names no role');
  const unknown = roles.filter((r) => !isTenantRole(r) && !isPlatformRole(r));
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown role(s): ${unknown.join(', ')}; tenant roles: ${TENANT_ROLES.join(', ')}; ` +
        `platform roles: ${PLATFORM_ROLES.join(', ')}`,
    );
  }
  const allowed = args.platform ? isPlatformRole : isTenantRole;
  const wrong = roles.filter((r) => !allowed(r));
  if (wrong.length > 0) {
    throw new UsageError(
      args.platform
        ? `a platform token cannot carry tenant role(s) ${wrong.join(', ')} ` +
            `(platform roles: ${PLATFORM_ROLES.join(', ')})`
        : `a tenant token cannot carry platform role(s) ${wrong.join(', ')} ` +
            `(tenant roles: ${TENANT_ROLES.join(', ')}); use --platform without --tenant`,
    );
  }
  const tenant = args.tenant ?? '';
  if (!args.platform && !TENANT_ID_PATTERN.test(tenant)) {
    throw new UsageError(`--tenant ${JSON.stringify(args.tenant)} is not a valid tenant id`);
  }
  const ttlText = args.ttl === undefined ? String(DEFAULT_TTL) : args.ttl;
  if (!/^\d{1,9}$/.test(ttlText) || Number(ttlText) < 1) {
    throw new UsageError('--ttl must be a positive number of seconds');
  }
  const ttl = Number(ttlText);
  const subject = args.subject === undefined ? 'dev-cli' : args.subject;
  if (subject.length === 0 || subject.length > 256) {
    throw new UsageError('--subject must be 1 to 256 characters');
  }

  const { kid, secret, source } = signingKey(env);
  const rolesClaim = claimName(env, 'JWT_ROLES_CLAIM', 'roles');
  const tenantClaim = claimName(env, 'JWT_TENANT_CLAIM', 'tenant_id');
  if (rolesClaim === tenantClaim) {
    throw new UsageError('JWT_ROLES_CLAIM and JWT_TENANT_CLAIM must differ');
  }
  const payload: Record<string, unknown> & { jti: string; exp: number } = {
    iss: nonEmpty(env.JWT_ISSUER) || 'vecgate',
    aud: nonEmpty(env.JWT_AUDIENCE) || 'vecgate',
    sub: subject,
    iat: now,
    exp: now + ttl,
    [rolesClaim]: roles,
    jti: randomUUID(),
  };
  if (!args.platform) payload[tenantClaim] = tenant;
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  const token = sign(payload, key, { algorithm: 'HS256', keyid: kid });
  return { token, payload, kid, source };
}

function main(): void {
  let args: TokenArgs;
  try {
    args = parseArgs(process.argv.slice(2));
    if (args.help) {
      process.stdout.write(`${USAGE}\n`);
      return;
    }
    const { token, payload, kid, source } = buildToken(args, process.env);
    process.stdout.write(`${token}\n`);
    process.stderr.write(
      `signed with ${source}, kid ${kid}; jti ${payload.jti}; ` +
        `expires ${new Date(payload.exp * 1000).toISOString()}\n`,
    );
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`token: ${err.message}\n${USAGE}\n`);
      process.exit(1);
    }
    throw err;
  }
}

if (require.main === module) main();
