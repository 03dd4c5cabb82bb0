import { BadRequestError } from '@vecgate/core';
import { MAX_NAMESPACE_LENGTH, NAMESPACE_PATTERN } from '@vecgate/isolation';
import {
  indexName,
  isIndexNamespace,
  pineconeNamespace,
  vecgateNamespace,
} from './pinecone.naming';

describe('Pinecone (index, namespace) to vecgate namespace', () => {
  it('maps the default namespace, under both of its names, to the index’s own namespace', () => {
    expect(vecgateNamespace('docs', '')).toBe('docs');
    expect(vecgateNamespace('docs', '__default__')).toBe('docs');
    expect(pineconeNamespace('docs', 'docs')).toBe('');
  });

  it('is injective: pairs that differ never share a vecgate namespace, and read back unchanged', () => {
    const pairs: [string, string][] = [
      ['docs', 'a'],
      ['docs', 'a:b'],
      ['docs-a', 'b'],
      ['docs', 'a-b'],
      ['doc', 's:a'],
      ['docs', ''],
      ['d', 'ocs'],
    ];
    const names = pairs.map(([i, n]) => vecgateNamespace(i, n));
    expect(new Set(names).size).toBe(pairs.length);
    for (const [[index, namespace], name] of pairs.map((p, i) => [p, names[i]] as const)) {
      expect(NAMESPACE_PATTERN.test(name as string)).toBe(true);
      expect(pineconeNamespace(index, name as string)).toBe(namespace);
    }
  });

  it('never reads another index’s namespace as its own', () => {
    expect(pineconeNamespace('doc', 'docs')).toBeUndefined();
    expect(pineconeNamespace('doc', 'docs:x')).toBeUndefined();
    expect(pineconeNamespace('docs', 'docs-a:x')).toBeUndefined();
    // v1 can name these; read back, they would pose as the index's default namespace.
    expect(pineconeNamespace('docs', 'docs:')).toBeUndefined();
    expect(pineconeNamespace('docs', 'docs:__default__')).toBeUndefined();
  });

  it('refuses a pair longer than a vecgate namespace rather than shortening it', () => {
    const index = 'i'.repeat(45);
    const room = MAX_NAMESPACE_LENGTH - 46;
    expect(vecgateNamespace(index, 'n'.repeat(room))).toHaveLength(MAX_NAMESPACE_LENGTH);
    expect(() => vecgateNamespace(index, 'n'.repeat(room + 1))).toThrow(BadRequestError);
  });

  it('refuses namespaces outside the vecgate alphabet, and reserved leading underscores', () => {
    for (const bad of ['_vg', '_x', 'a b', 'ü', 'a/b', '-x'])
      expect(() => vecgateNamespace('docs', bad)).toThrow(BadRequestError);
  });

  it('takes index names by Pinecone’s rule only', () => {
    expect(indexName('my-index-1')).toBe('my-index-1');
    for (const bad of ['Docs', '-docs', 'docs-', 'a'.repeat(46), 'a:b', 'a.b', '', 3])
      expect(() => indexName(bad)).toThrow(BadRequestError);
    expect(isIndexNamespace('docs')).toBe(true);
    expect(isIndexNamespace('docs:x')).toBe(false);
    expect(isIndexNamespace('')).toBe(false);
  });
});
