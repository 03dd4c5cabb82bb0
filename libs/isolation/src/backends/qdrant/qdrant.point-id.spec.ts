import { pointId, pointIdName, POINT_ID_NAMESPACE, uuidV5 } from './qdrant.point-id';

const UID_A = '0123456789abcdef0123456789abcdef';
const UID_B = 'fedcba9876543210fedcba9876543210';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('Qdrant point ids', () => {
  it('are RFC UUIDv5: the DNS test vector of RFC 9562 comes out right', () => {
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', Buffer.from('www.example.com'))).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  it('hash the JSON pair [tenant uid, id] in the vecgate namespace (value computed with Python uuid5)', () => {
    expect(POINT_ID_NAMESPACE).toBe('6f1d2c3e-8b4a-4f7e-9c05-2a1b3c4d5e6f');
    expect(pointIdName(UID_A, '', 'doc-1').toString()).toBe(`["${UID_A}","doc-1"]`);
    expect(pointId(UID_A, '', 'doc-1')).toBe('0d6204ef-00e6-5aa4-b664-103b80ac3cf2');
  });

  it('are deterministic, well-formed, and differ between tenants for the same caller id', () => {
    expect(pointId(UID_A, '', 'doc-1')).toBe(pointId(UID_A, '', 'doc-1'));
    expect(pointId(UID_A, '', 'doc-1')).toMatch(UUID);
    expect(pointId(UID_A, '', 'doc-1')).not.toBe(pointId(UID_B, '', 'doc-1'));
  });

  it('encode the pair unambiguously where concatenation would collide', () => {
    // "ab" + "c" and "a" + "bc" concatenate to the same text; their encodings differ.
    expect(pointIdName('ab', '', 'c').equals(pointIdName('a', '', 'bc'))).toBe(false);
    expect(pointId(UID_A, '', `x","y`)).not.toBe(pointId(`${UID_A}","x`, '', 'y'));
    const ids = [`a`, `a"`, `a\\`, `a\u0000`, `\ud800`, `\udc00`, `\ufffd`, `é`, `e\u0301`, ''];
    const hashed = new Set(ids.map((id) => pointId(UID_A, '', id)));
    expect(hashed.size).toBe(ids.length);
  });

  it('keep the pre-namespace id in the default namespace, and another id in any other namespace', () => {
    // The value above, computed before namespaces existed: old points stay addressable.
    expect(pointId(UID_A, '', 'doc-1')).toBe('0d6204ef-00e6-5aa4-b664-103b80ac3cf2');
    expect(pointIdName(UID_A, 'docs', 'doc-1').toString()).toBe(`["${UID_A}","docs","doc-1"]`);
    const inDocs = pointId(UID_A, 'docs', 'doc-1');
    expect(inDocs).toBe('720f27c0-79fd-50e0-b9e2-2f168e059b22'); // Python's uuid5 agrees
    expect(inDocs).toMatch(UUID);
    expect(inDocs).not.toBe(pointId(UID_A, '', 'doc-1'));
    expect(inDocs).not.toBe(pointId(UID_A, 'notes', 'doc-1'));
    expect(inDocs).not.toBe(pointId(UID_B, 'docs', 'doc-1'));
    // A triple never encodes like a pair, whatever the strings.
    expect(pointId(UID_A, 'a', 'b')).not.toBe(pointId(UID_A, '', `a","b`));
    expect(pointIdName(UID_A, 'a', 'b').equals(pointIdName(UID_A, '', `a","b`))).toBe(false);
  });
});
