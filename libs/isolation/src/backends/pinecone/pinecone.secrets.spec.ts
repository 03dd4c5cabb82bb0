import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvFileSecretProvider, tenantKeyFile, tenantKeyVariable } from './pinecone.secrets';

const A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';

describe('EnvFileSecretProvider', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vg-pinecone-secrets-'));
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a tenant key from the environment, then from a mounted secret file', async () => {
    writeFileSync(join(dir, tenantKeyFile(A)), 'from-file-a\n');
    writeFileSync(join(dir, tenantKeyFile(B)), '  from-file-b  \n\n');
    const provider = new EnvFileSecretProvider({
      env: { [tenantKeyVariable(A)]: 'from-env-a' },
      directory: dir,
      cacheTtlMs: 0,
    });
    expect(tenantKeyVariable(A)).toBe(`PINECONE_TENANT_KEY_${A}`);
    expect(tenantKeyFile(A)).toBe(`pinecone-${A}`);
    await expect(provider.tenantApiKey(A)).resolves.toBe('from-env-a');
    await expect(provider.tenantApiKey(B)).resolves.toBe('from-file-b');
    await expect(provider.tenantApiKey('c'.repeat(32))).resolves.toBeUndefined();
  });

  it('answers undefined for an empty value and without a directory', async () => {
    writeFileSync(join(dir, tenantKeyFile(A)), '   \n');
    const provider = new EnvFileSecretProvider({
      env: { [tenantKeyVariable(B)]: '  ' },
      directory: dir,
      cacheTtlMs: 0,
    });
    await expect(provider.tenantApiKey(A)).resolves.toBeUndefined();
    await expect(provider.tenantApiKey(B)).resolves.toBeUndefined();
    const bare = new EnvFileSecretProvider({ env: {}, cacheTtlMs: 0 });
    await expect(bare.tenantApiKey(A)).resolves.toBeUndefined();
  });

  it('refuses a uid that could name another file', async () => {
    const provider = new EnvFileSecretProvider({ env: {}, directory: dir, cacheTtlMs: 0 });
    for (const uid of ['../../etc/passwd', `${A}/x`, A.toUpperCase(), '']) {
      await expect(provider.tenantApiKey(uid)).rejects.toThrow(/32 hex/);
    }
  });

  it('keeps an answer for the cache period, then reads a rotated key', async () => {
    let now = 1000;
    const env: NodeJS.ProcessEnv = { [tenantKeyVariable(A)]: 'old' };
    const provider = new EnvFileSecretProvider({ env, cacheTtlMs: 500, now: () => now });
    await expect(provider.tenantApiKey(A)).resolves.toBe('old');
    env[tenantKeyVariable(A)] = 'new';
    now += 499;
    await expect(provider.tenantApiKey(A)).resolves.toBe('old');
    now += 1;
    await expect(provider.tenantApiKey(A)).resolves.toBe('new');
  });

  it('surfaces an unreadable secret file instead of treating it as absent', async () => {
    if (process.getuid?.() === 0) return; // root reads any file
    const file = join(dir, tenantKeyFile(A));
    writeFileSync(file, 'secret');
    chmodSync(file, 0o000);
    const provider = new EnvFileSecretProvider({ env: {}, directory: dir, cacheTtlMs: 0 });
    await expect(provider.tenantApiKey(A)).rejects.toThrow(/EACCES/);
  });
});
