import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UnavailableError } from '@vecgate/core';
import { assertTenantUid } from './pinecone.naming';
import { PineconeCredentials } from './pinecone.options';

/**
 * Where per-tenant Pinecone API keys come from (a tenant whose dedicated index lives in its own
 * project). Resolved from the tenant uid alone, on the server: a key never comes from request
 * input. Implement it to read a vault; the default reads the environment or mounted files.
 */
export abstract class PineconeSecretProvider {
  /** The tenant's API key, or undefined when none is configured for it. */
  abstract tenantApiKey(tenantUid: string): Promise<string | undefined>;
}

/** The environment variable holding a tenant's key. */
export function tenantKeyVariable(tenantUid: string): string {
  return `PINECONE_TENANT_KEY_${tenantUid}`;
}

/** The file (under the secrets directory) holding a tenant's key. */
export function tenantKeyFile(tenantUid: string): string {
  return `pinecone-${tenantUid}`;
}

export interface EnvFileSecretOptions {
  /** The environment to read (`process.env` by default). */
  readonly env?: NodeJS.ProcessEnv;
  /** A directory of mounted secret files (Docker or Kubernetes secrets). */
  readonly directory?: string;
  readonly cacheTtlMs: number;
  readonly now?: () => number;
}

/**
 * The default provider: `PINECONE_TENANT_KEY_<uid>` in the environment, else the file
 * `pinecone-<uid>` in the secrets directory (surrounding whitespace trimmed). Answers are kept
 * for `cacheTtlMs` so a request does not read a file, and a rotated key is picked up after it.
 */
export class EnvFileSecretProvider extends PineconeSecretProvider {
  private readonly cache = new Map<string, { key: string | undefined; at: number }>();
  private readonly env: NodeJS.ProcessEnv;
  private readonly now: () => number;

  constructor(private readonly options: EnvFileSecretOptions) {
    super();
    this.env = options.env ?? process.env;
    this.now = options.now ?? Date.now;
  }

  async tenantApiKey(tenantUid: string): Promise<string | undefined> {
    // The uid names a file: only 32 hex characters can, so no path can be smuggled in.
    assertTenantUid(tenantUid);
    const cached = this.cache.get(tenantUid);
    if (cached && this.now() - cached.at < this.options.cacheTtlMs) return cached.key;
    const key = this.fromEnv(tenantUid) ?? (await this.fromFile(tenantUid));
    this.cache.set(tenantUid, { key, at: this.now() });
    return key;
  }

  private fromEnv(tenantUid: string): string | undefined {
    const value = this.env[tenantKeyVariable(tenantUid)]?.trim();
    return value ? value : undefined;
  }

  private async fromFile(tenantUid: string): Promise<string | undefined> {
    if (!this.options.directory) return undefined;
    try {
      const value = (await readFile(join(this.options.directory, tenantKeyFile(tenantUid)), 'utf8'))
        .trim()
        .split(/\r?\n/)[0]
        ?.trim();
      return value ? value : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }
}

/**
 * The API key for a place: the project key, or the tenant's own, which must exist (a tenant
 * placed in its own project is never served, nor its index created, with the project key).
 */
export async function apiKeyFor(
  credentials: PineconeCredentials,
  tenantUid: string,
  projectKey: string,
  secrets: PineconeSecretProvider,
): Promise<string> {
  if (credentials === 'project') return projectKey;
  let key: string | undefined;
  try {
    key = await secrets.tenantApiKey(tenantUid);
  } catch {
    throw new UnavailableError(
      'the Pinecone API key of this tenant could not be read',
      5,
      'pinecone_tenant_key_unreadable',
    );
  }
  if (!key) {
    throw new UnavailableError(
      `no Pinecone API key is configured for this tenant (set ${tenantKeyVariable(tenantUid)} ` +
        `or mount ${tenantKeyFile(tenantUid)} in PINECONE_TENANT_KEYS_DIR)`,
      5,
      'pinecone_tenant_key_missing',
    );
  }
  return key;
}
