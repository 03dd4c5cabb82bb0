import { randomBytes } from 'node:crypto';
import { BadRequestError } from '@vecgate/core';
import {
  DATA_NAMESPACE,
  dataNamespaceOf,
  dedicatedIndexName,
  INDEX_NAME,
  indexPrefixProblem,
  MAX_INDEX_PREFIX,
  isTenantNamespace,
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

  it("keeps the default namespace in the tenant's own Pinecone namespace, and names the others after it", () => {
    const a = uid();
    expect(dataNamespaceOf(a, '')).toBe(`vg-${a}`);
    expect(dataNamespaceOf(a, 'docs')).toBe(`vg-${a}~docs`);
    expect(dataNamespaceOf(a, 'Docs')).toBe(`vg-${a}~Docs`);
    const longest = `z${'a:b@c.d-e_'.repeat(6)}abc`;
    expect(longest).toHaveLength(64);
    for (const ns of ['', 'docs', 'a', '0', longest, `vg-${uid()}`]) {
      expect(dataNamespaceOf(a, ns)).toMatch(DATA_NAMESPACE);
      expect(isTenantNamespace(a, dataNamespaceOf(a, ns))).toBe(true);
    }
  });

  it('gives two (tenant, namespace) pairs two Pinecone namespaces, and no tenant another one’s', () => {
    const a = uid();
    const b = uid();
    // Names a tenant might pick to reach another: its uid, its own Pinecone namespace.
    const names = ['', 'docs', 'docs2', 'd', a, b, `vg-${a}`, `vg-${b}`];
    const seen = new Set<string>();
    for (const owner of [a, b]) {
      for (const ns of names) {
        const name = dataNamespaceOf(owner, ns);
        expect(seen.has(name)).toBe(false);
        seen.add(name);
        expect(isTenantNamespace(owner, name)).toBe(true);
        expect(isTenantNamespace(owner === a ? b : a, name)).toBe(false);
      }
    }
    // Names that merely start like the tenant's are not its own.
    for (const name of [`vg-${a}x`, `vg-${a}-docs`, `vg-${a}~`, `vg-${a}~_x`, `vg-${a}~a/b`, '']) {
      expect(isTenantNamespace(a, name)).toBe(false);
    }
  });

  it('refuses a namespace name outside the alphabet with a 400, before any name is built', () => {
    const a = uid();
    for (const bad of ['__default__', '_x', '-x', 'a b', 'a~b', 'a/b', 'x'.repeat(65), 'é']) {
      expect(() => dataNamespaceOf(a, bad)).toThrow(BadRequestError);
    }
    expect(() => dataNamespaceOf('not-a-uid', 'docs')).toThrow(/32 hex/);
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
