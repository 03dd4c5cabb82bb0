import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedBackend } from '../../libs/isolation/src/backends/embedded/embedded.backend';
import { EmbeddedOptions } from '../../libs/isolation/src/backends/embedded/embedded.options';
import {
  makeTenantScope,
  StrategyName,
  TenantScope,
  VectorSpace,
} from '../../libs/isolation/src/ports/vector.types';

export interface EmbeddedSandbox {
  /** This test's own data directory. */
  readonly dir: string;
  /** An embedded backend on the directory, closed after the test. */
  open(options?: Partial<EmbeddedOptions>): EmbeddedBackend;
}

/**
 * A fresh data directory for each test of the enclosing `describe`, and every backend opened
 * on it closed (and the directory removed) after the test.
 */
export function embeddedSandbox(prefix: string): EmbeddedSandbox {
  let dir = '';
  const opened: EmbeddedBackend[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(async () => {
    for (const backend of opened.splice(0)) await backend.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return dir;
    },
    open(options = {}) {
      const backend = new EmbeddedBackend({
        directory: dir,
        cacheMb: 8,
        maxOpenFiles: 4,
        ...options,
      });
      opened.push(backend);
      return backend;
    },
  };
}

export function newUid(): string {
  return randomBytes(16).toString('hex');
}

/** Plans and provisions a tenant the way tenancy does, in the given namespace. */
export async function provisionedTenant(
  on: EmbeddedBackend,
  strategy: StrategyName,
  space: VectorSpace,
  options: { tenantUid?: string; namespace?: string } = {},
): Promise<TenantScope> {
  const tenantUid = options.tenantUid ?? newUid();
  const tenantId = `t-${tenantUid.slice(0, 8)}`;
  const placement = on.plan({ tenantId, tenantUid, strategy, space });
  const scope = makeTenantScope({
    tenantId,
    tenantUid,
    placement,
    space,
    namespace: options.namespace,
  });
  await on.provision(scope);
  return scope;
}
