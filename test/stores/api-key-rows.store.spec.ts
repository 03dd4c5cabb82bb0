import { randomBytes } from 'node:crypto';
import {
  ApiKeyRecord,
  MintedTokenRecord,
  Tenant,
  TenantRegistryRepository,
} from '@vecgate/tenancy';
import { withRegistry } from './registry-store';
import { describeIfAvailable, SqlTarget, sqlTargets } from './sql-targets';

const NOW_S = Math.floor(Date.now() / 1000);
const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

function tenant(id: string): Tenant {
  return {
    id,
    uid: hex(16),
    status: 'active',
    tier: 'standard',
    placement: { backend: 'embedded', strategy: 'partition_key', location: {} },
    dimension: 3,
    metric: 'cosine',
    supersedesDeletedAt: null,
    owner: 'replica-a',
    createdAt: NOW_S * 1000,
    updatedAt: NOW_S * 1000,
  };
}

function token(owner: Tenant, lineage: readonly string[] = []): MintedTokenRecord {
  return {
    jti: `${hex(4)}-${hex(2)}-${hex(2)}-${hex(2)}-${hex(6)}`,
    tenantUid: owner.uid,
    tenantId: owner.id,
    subject: 'ops',
    roles: ['tenant_admin'],
    mintedBy: 'platform-admin',
    lineage,
    issuedAt: NOW_S - 60,
    expiresAt: NOW_S + 600,
    revokedAt: null,
  };
}

function key(owner: Tenant, overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    id: hex(12),
    tenantUid: owner.uid,
    tenantId: owner.id,
    name: 'ingest “ünïcode”',
    roles: ['reader', 'writer'],
    keyHash: hex(32),
    createdBy: 'acme-ops',
    lineage: [],
    createdAt: NOW_S - 10,
    expiresAt: null,
    revokedAt: null,
    lastUsedAt: null,
    ...overrides,
  };
}

describe.each(sqlTargets())('API key rows on $name', (target: SqlTarget) => {
  describeIfAvailable(target)('ApiKeyRows', () => {
    let repository: TenantRegistryRepository;

    withRegistry(target, ['vg_api_keys', 'vg_tokens', 'vg_tenants'], (registry) => {
      repository = registry.repository;
    });

    it('stores and finds a key with every field intact, expiry and times included', async () => {
      const acme = tenant('acme');
      const stored = key(acme, {
        expiresAt: 4_102_444_800,
        lineage: ['5d0c1f7e-2b44-4b8e-9a0f-3e1d2c4b5a69'],
      });
      await repository.apiKeys.insert(stored);
      expect(await repository.apiKeys.find(stored.id)).toStrictEqual(stored);
      expect(await repository.apiKeys.find(hex(12))).toBeUndefined();
    });

    it('revokes a key of its own tenant only, keeping the first revocation time', async () => {
      const acme = tenant('acme');
      const stored = key(acme);
      await repository.apiKeys.insert(stored);
      await repository.apiKeys.revoke({ id: stored.id, tenantUid: hex(16) }, NOW_S);
      expect((await repository.apiKeys.find(stored.id))?.revokedAt).toBeNull();
      await repository.apiKeys.revoke(stored, NOW_S);
      await repository.apiKeys.revoke(stored, NOW_S + 50);
      expect((await repository.apiKeys.find(stored.id))?.revokedAt).toBe(NOW_S);
      expect(await repository.apiKeys.revokedSince(NOW_S - 1)).toEqual([stored.id]);
      expect(await repository.apiKeys.revokedSince(NOW_S + 1)).toEqual([]);
    });

    it('revokes the keys of a token and of everything minted from it, and nothing else', async () => {
      const acme = tenant('acme');
      const globex = tenant('globex');
      const root = token(acme);
      const child = token(acme, [root.jti]);
      const sibling = token(acme);
      const fromRoot = key(acme, { lineage: [root.jti] });
      const fromChild = key(acme, { lineage: [root.jti, child.jti] });
      const fromSibling = key(acme, { lineage: [sibling.jti] });
      const fromPlatform = key(acme);
      // Another tenant's key naming the same jti (it cannot, but a revocation stays in its tenant).
      const foreign = key(globex, { lineage: [root.jti] });
      for (const k of [fromRoot, fromChild, fromSibling, fromPlatform, foreign])
        await repository.apiKeys.insert(k);

      const revoked = await repository.apiKeys.revokeDescendants(root, NOW_S);
      expect(revoked.sort()).toEqual([fromRoot.id, fromChild.id].sort());
      for (const k of [fromRoot, fromChild])
        expect((await repository.apiKeys.find(k.id))?.revokedAt).toBe(NOW_S);
      for (const k of [fromSibling, fromPlatform, foreign])
        expect((await repository.apiKeys.find(k.id))?.revokedAt).toBeNull();
      // Revoking the child afterwards names its key again, for the announcement, and nothing new.
      expect(await repository.apiKeys.revokeDescendants(child, NOW_S + 5)).toEqual([fromChild.id]);
      expect((await repository.apiKeys.find(fromChild.id))?.revokedAt).toBe(NOW_S);
    });

    it("lists a tenant's live keys by id, page by page, without revoked, expired or foreign ones", async () => {
      const acme = tenant('acme');
      const live = await Promise.all(
        Array.from({ length: 5 }, async (_, i) => {
          const k = key(acme, { expiresAt: i % 2 === 0 ? null : NOW_S + 600 });
          await repository.apiKeys.insert(k);
          return k;
        }),
      );
      await repository.apiKeys.insert(key(acme, { revokedAt: NOW_S - 1 }));
      await repository.apiKeys.insert(key(acme, { expiresAt: NOW_S }));
      await repository.apiKeys.insert(key(tenant('globex')));
      const first = await repository.apiKeys.listLive(acme.uid, NOW_S, 3);
      expect(first.items).toHaveLength(3);
      const second = await repository.apiKeys.listLive(
        acme.uid,
        NOW_S,
        3,
        first.nextCursor as string,
      );
      expect(second.nextCursor).toBeNull();
      expect([...first.items, ...second.items].map((k) => k.id)).toEqual(
        live.map((k) => k.id).sort(),
      );
    });

    it('records last uses in one batch and never moves a last use backwards', async () => {
      const acme = tenant('acme');
      const [a, b] = [key(acme), key(acme)];
      await repository.apiKeys.insert(a);
      await repository.apiKeys.insert(b);
      await repository.apiKeys.touch(
        new Map([
          [a.id, NOW_S],
          [b.id, NOW_S - 5],
        ]),
      );
      await repository.apiKeys.touch(new Map([[a.id, NOW_S - 100]]));
      expect((await repository.apiKeys.find(a.id))?.lastUsedAt).toBe(NOW_S);
      expect((await repository.apiKeys.find(b.id))?.lastUsedAt).toBe(NOW_S - 5);
    });

    it("tombstoning a tenant erases its keys and no other tenant's", async () => {
      const doomed = tenant('doomed');
      const bystander = tenant('bystander');
      await repository.insert(doomed);
      await repository.insert(bystander);
      const gone = key(doomed);
      const kept = key(bystander);
      await repository.apiKeys.insert(gone);
      await repository.apiKeys.insert(kept);
      await repository.tombstone(doomed, NOW_S * 1000, 'platform-admin');
      expect(await repository.apiKeys.find(gone.id)).toBeUndefined();
      expect(await repository.apiKeys.find(kept.id)).toStrictEqual(kept);
    });
  });
});
