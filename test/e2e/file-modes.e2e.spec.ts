import { Logger } from '@nestjs/common';
import { exposedEntries } from '@vecgate/core';
import { chmodSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadGatewayConfig } from '../../apps/gateway/src/config/gateway.config';
import { createTenant } from '../support/fixtures';
import { startGateway, tempDataDir } from '../support/test-gateway';
import { bearer, TEST_SECRET } from '../support/tokens';

const modeOf = (path: string): string => (statSync(path).mode & 0o777).toString(8);

/** Nobody but the gateway's own user can read its data: registry, audit trail and vectors. */
describe('data directory modes', () => {
  let umask: number;
  beforeEach(() => {
    // The most permissive umask, so the modes cannot come from it.
    umask = process.umask(0);
  });
  afterEach(() => process.umask(umask));

  it('creates the data directory 0700 and every file in it 0600, -wal and -shm included', async () => {
    const dataDir = join(tempDataDir(), 'fresh', 'data');
    const gw = await startGateway({ dataDir });
    try {
      for (const [id, tier] of [
        ['modes-db', 'enterprise'],
        ['modes-coll', 'premium'],
        ['modes-shared', 'standard'],
      ] as const) {
        await createTenant(gw.http, gw.tokens, { id, tier, dimension: 3, metric: 'cosine' });
        const put = await gw.http
          .put('/v1/vectors')
          .set(bearer(gw.tokens.tenant(id, ['writer'])))
          .send({ vectors: [{ id: 'a', values: [1, 2, 3] }] });
        expect(put.status).toBe(200);
      }
      await gw.flushAudit();
      expect(modeOf(dataDir)).toBe('700');
      const tenants = join(dataDir, 'embedded', 'tenants');
      const files = readdirSync(tenants);
      expect(files.some((f) => f.endsWith('-wal'))).toBe(true);
      expect(readdirSync(dataDir).some((f) => f.endsWith('-shm'))).toBe(true);
      expect(exposedEntries(dataDir)).toEqual([]);
    } finally {
      await gw.close(true);
    }
  });

  it('warns at start-up about entries others can read, naming them', async () => {
    const dataDir = tempDataDir();
    writeFileSync(join(dataDir, 'old.db'), '', { mode: 0o644 });
    mkdirSync(join(dataDir, 'embedded'), { mode: 0o755 });
    const warnings = jest.spyOn(Logger.prototype, 'warn');
    const gw = await startGateway({ dataDir });
    try {
      const messages = warnings.mock.calls.map((call) => String(call[0]));
      const warning = messages.find((m) => m.includes('data directory'));
      expect(warning).toContain(`${join(dataDir, 'old.db')} is 0644`);
      expect(warning).toContain(`${join(dataDir, 'embedded')} is 0755`);
      expect(warning).toContain('chmod -R go-rwx');
    } finally {
      warnings.mockRestore();
      await gw.close(true);
    }
  });

  it('refuses to start with DATA_DIR_PERMISSIONS=refuse, and starts once the modes are fixed', () => {
    const dataDir = tempDataDir();
    writeFileSync(join(dataDir, 'vecgate.db'), '', { mode: 0o644 });
    const env = {
      JWT_SECRET: TEST_SECRET,
      DATA_DIR: dataDir,
      DATA_DIR_PERMISSIONS: 'refuse',
    };
    let refused: unknown;
    try {
      loadGatewayConfig(env);
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as ConfigError).problems.join()).toMatch(
      /^DATA_DIR_PERMISSIONS.*vecgate\.db is 0644/,
    );
    chmodSync(join(dataDir, 'vecgate.db'), 0o600);
    expect(loadGatewayConfig(env).dataDirExposure).toBeUndefined();
    expect(() => loadGatewayConfig({ ...env, DATA_DIR_PERMISSIONS: 'sometimes' })).toThrow(
      /DATA_DIR_PERMISSIONS/,
    );
  });
});
