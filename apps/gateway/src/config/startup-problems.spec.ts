import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadGatewayConfig } from './gateway.config';

const SECRET = 'a-secret-of-at-least-thirty-two-characters!';
const dir = () => mkdtempSync(join(tmpdir(), 'cfg-'));

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadGatewayConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('start-up problems', () => {
  it('lists every bad placement entry at once, with the variable that enables a backend', () => {
    const problems = problemsOf({
      JWT_SECRET: SECRET,
      DATA_DIR: dir(),
      PLACEMENT_POLICY: 'gold=milvus:database,silver=embedded:nope,junk,bronze=qdrant:collection',
      DEFAULT_TIER: 'platinum',
      PORT: 'eighty',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^PORT/),
        'PLACEMENT_POLICY: entry "silver=embedded:nope": unknown strategy "nope" (one of database, collection, partition, partition_key, namespace, dedicated_index)',
        'PLACEMENT_POLICY: entry "junk" is not tier=backend:strategy',
        'PLACEMENT_POLICY: tier "gold" uses backend milvus, which is not enabled: set MILVUS_ADDRESS',
        'PLACEMENT_POLICY: tier "bronze" uses backend qdrant, which is not enabled: set QDRANT_URL',
      ]),
    );
    // The default tier is judged once the policy itself parses.
    expect(problemsOf({ JWT_SECRET: SECRET, DATA_DIR: dir(), DEFAULT_TIER: 'platinum' })).toEqual([
      'DEFAULT_TIER: tier "platinum" has no entry in PLACEMENT_POLICY',
    ]);
  });

  it('names DATA_DIR and its path when the directory cannot be made or written', () => {
    const parent = dir();
    const file = join(parent, 'a-file');
    writeFileSync(file, 'not a directory');
    const problems = problemsOf({ JWT_SECRET: SECRET, DATA_DIR: join(file, 'data') });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      new RegExp(
        `^DATA_DIR: ${join(file, 'data').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not writable`,
      ),
    );
    expect(problems[0]).toContain('ENOTDIR');
  });

  it('keeps the replica id in the data directory across restarts', () => {
    const dataDir = dir();
    const first = loadGatewayConfig({ JWT_SECRET: SECRET, DATA_DIR: dataDir });
    const second = loadGatewayConfig({ JWT_SECRET: SECRET, DATA_DIR: dataDir });
    expect(second.tenancy.replicaId).toBe(first.tenancy.replicaId);
    expect(readFileSync(join(dataDir, 'replica-id'), 'utf8').trim()).toBe(first.tenancy.replicaId);
    expect(loadGatewayConfig({ JWT_SECRET: SECRET, DATA_DIR: dir() }).tenancy.replicaId).not.toBe(
      first.tenancy.replicaId,
    );
  });
});
