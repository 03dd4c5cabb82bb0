import { ScopeFence } from '../../routing/scope-fence';
import { BadRequestError, ConflictError } from '@vecgate/core';
import { decode, verify } from 'jsonwebtoken';
import { EmbeddedBackend } from '../embedded/embedded.backend';
import { BackendDrivers } from '../../routing/backend-drivers';
import { makeTenantScope, StrategyName, TenantScope } from '../../ports/vector.types';
import { QdrantBackend } from './qdrant.backend';
import { QDRANT_DEFAULTS } from './qdrant.options';
import { qdrantSigningKey, qdrantTokenClaims, signQdrantToken } from './qdrant.token';
import { QdrantTokenService } from './qdrant.token-service';

const UID = '0123456789abcdef0123456789abcdef';
const KEY = 'qdrant-api-key-for-tests';

/** Port 9 is one fetch refuses to call: a refusal must happen before any call to Qdrant. */
function qdrant(apiKey: string | undefined): QdrantBackend {
  return new QdrantBackend({
    url: 'http://127.0.0.1:9',
    ...(apiKey === undefined ? {} : { apiKey }),
    timeoutMs: 500,
    sharedCollections: [{ dimension: 4, metric: 'cosine', collection: 'shared_4' }],
    shardedCollections: [{ dimension: 4, metric: 'cosine', collection: 'sharded_4' }],
    maxCollections: QDRANT_DEFAULTS.maxCollections,
    maxShardKeys: QDRANT_DEFAULTS.maxShardKeys,
    tokenMaxTtlSeconds: 600,
  });
}

function scopeOn(driver: QdrantBackend, strategy: StrategyName): TenantScope {
  const space = { dimension: 4, metric: 'cosine' } as const;
  const placement = driver.plan({ tenantId: 'acme', tenantUid: UID, strategy, space });
  return makeTenantScope({ tenantId: 'acme', tenantUid: UID, placement, space });
}

describe('Qdrant token claims', () => {
  it('grant one access mode on one collection (list form), live while the grant point exists', () => {
    const claims = qdrantTokenClaims(
      {
        tenantId: 'acme',
        tenantUid: UID,
        collection: `vg_t_${UID}`,
        grantsCollection: 'vg_token_grants',
        access: 'r',
        ttlSeconds: 300,
      },
      1_800_000_000,
    );
    expect(claims).toEqual({
      iat: 1_800_000_000,
      exp: 1_800_000_300,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/) as string,
      subject: 'vecgate tenant acme',
      access: [{ collection: `vg_t_${UID}`, access: 'r' }],
      value_exists: {
        collection: 'vg_token_grants',
        matches: [{ key: '_vg_tenant', value: UID }],
      },
    });
    const token = signQdrantToken(claims, qdrantSigningKey(KEY));
    expect(decode(token, { complete: true })?.header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(verify(token, KEY, { algorithms: ['HS256'], ignoreExpiration: true })).toEqual(claims);
  });
});

describe('QdrantTokenService refusals', () => {
  const driver = qdrant(KEY);
  const service = new QdrantTokenService(new BackendDrivers([driver]), new ScopeFence());

  it.each(['partition_key', 'partition'] as const)(
    'refuses a %s tenant with a 409: a token cannot be restricted to one tenant of a shared collection',
    async (strategy) => {
      const attempt = service.mint(scopeOn(driver, strategy), { access: 'r', ttlSeconds: 60 });
      await expect(attempt).rejects.toThrow(ConflictError);
      await expect(
        service.mint(scopeOn(driver, strategy), { access: 'r', ttlSeconds: 60 }),
      ).rejects.toThrow(new RegExp(`${strategy} strategy, in a collection shared`));
    },
  );

  it('refuses to mint for a tenant whose erasure has begun (it would re-create a revoked grant)', async () => {
    const fence = new ScopeFence();
    const fenced = new QdrantTokenService(new BackendDrivers([driver]), fence);
    await fence.close(scopeOn(driver, 'collection'), 10);
    await expect(
      fenced.mint(scopeOn(driver, 'collection'), { access: 'r', ttlSeconds: 60 }),
    ).rejects.toMatchObject({ status: 409, message: 'the tenant is being deleted' });
  });

  it('refuses a tenant on another backend with a 409', async () => {
    const embedded = makeTenantScope({
      tenantId: 'acme',
      tenantUid: UID,
      space: { dimension: 4, metric: 'cosine' },
      placement: { backend: 'embedded', strategy: 'collection', location: {} },
    });
    await expect(service.mint(embedded, { access: 'r', ttlSeconds: 60 })).rejects.toThrow(
      /on the embedded backend/,
    );
    const noQdrant = new QdrantTokenService(
      new BackendDrivers([
        new EmbeddedBackend({ directory: '/tmp/vg-unused', cacheMb: 1, maxOpenFiles: 1 }),
      ]),
      new ScopeFence(),
    );
    await expect(
      noQdrant.mint(scopeOn(driver, 'collection'), { access: 'r', ttlSeconds: 60 }),
    ).rejects.toThrow(/not enabled/);
  });

  it('refuses a TTL beyond QDRANT_TOKEN_MAX_TTL or the minter’s own expiry with a 400', async () => {
    const scope = scopeOn(driver, 'collection');
    await expect(service.mint(scope, { access: 'rw', ttlSeconds: 601 })).rejects.toThrow(
      new BadRequestError('ttlSeconds must be at most 600 (QDRANT_TOKEN_MAX_TTL)', 'ttlSeconds'),
    );
    const notAfter = Math.floor(Date.now() / 1000) + 30;
    await expect(service.mint(scope, { access: 'r', ttlSeconds: 120, notAfter })).rejects.toThrow(
      /must not outlive the minter/,
    );
    await expect(service.mint(scope, { access: 'r', ttlSeconds: 0 })).rejects.toThrow(
      /positive integer/,
    );
  });

  it('refuses to mint without the API key Qdrant verifies tokens with', async () => {
    const keyless = qdrant(undefined);
    await expect(
      new QdrantTokenService(new BackendDrivers([keyless]), new ScopeFence()).mint(
        scopeOn(keyless, 'collection'),
        {
          access: 'r',
          ttlSeconds: 60,
        },
      ),
    ).rejects.toThrow(/QDRANT_API_KEY/);
  });
});
