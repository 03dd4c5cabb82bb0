import { randomBytes } from 'node:crypto';
import {
  dedicatedIndexName,
  INDEX_NAME,
  indexPrefixProblem,
  MAX_INDEX_PREFIX,
  namespaceOf,
  TENANT_NAMESPACE,
} from './pinecone.naming';

const uid = () => randomBytes(16).toString('hex');

describe('Pinecone names', () => {
  it('names a namespace from the uid alone, one namespace per uid', () => {
    const a = uid();
    expect(namespaceOf(a)).toBe(`vg-${a}`);
    expect(namespaceOf(a)).toMatch(TENANT_NAMESPACE);
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) seen.add(namespaceOf(uid()));
    expect(seen.size).toBe(1000);
  });

  it('refuses anything but a 32-hex uid, so no name can be steered', () => {
    for (const bad of ['', 'abc', 'A'.repeat(32), `${'a'.repeat(31)}/`, '../' + 'a'.repeat(29)]) {
      expect(() => namespaceOf(bad)).toThrow(/32 hex/);
      expect(() => dedicatedIndexName('vg-', bad)).toThrow(/32 hex/);
    }
  });

  it("names dedicated indexes by the uid's hash, within Pinecone's 45 characters whatever the prefix", () => {
    const a = uid();
    expect(dedicatedIndexName('vg-', a)).toBe(dedicatedIndexName('vg-', a));
    expect(dedicatedIndexName('vg-', a)).toMatch(/^vg-[0-9a-f]{24}$/);
    const longest = 'p'.repeat(MAX_INDEX_PREFIX);
    const name = dedicatedIndexName(longest, a);
    expect(name.length).toBe(45);
    expect(name).toMatch(INDEX_NAME);
    expect(dedicatedIndexName('vg-', uid())).not.toBe(dedicatedIndexName('vg-', a));
  });

  it('checks dedicated index prefixes', () => {
    expect(indexPrefixProblem('vg-')).toBeUndefined();
    expect(indexPrefixProblem('acme-prod-')).toBeUndefined();
    expect(indexPrefixProblem('p'.repeat(MAX_INDEX_PREFIX + 1))).toMatch(/at most/);
    for (const bad of ['-vg', 'VG-', 'vg_', '', 'vg.']) {
      expect(indexPrefixProblem(bad)).toBeDefined();
    }
  });
});
