import { storable } from './audit.store';

describe('storable audit text', () => {
  it('keeps ordinary text, pairs of surrogates included, unchanged', () => {
    expect(storable('POST /v1/search', 64)).toBe('POST /v1/search');
    expect(storable('emoji 😀 kept', 64)).toBe('emoji 😀 kept');
  });

  it('replaces NULs and lone surrogates, which some dialects refuse', () => {
    expect(storable('a\u0000b', 64)).toBe('a\ufffdb');
    expect(storable('x\ud800y\udc00z', 64)).toBe('x\ufffdy\ufffdz');
  });

  it('cuts at the limit without splitting a surrogate pair', () => {
    expect(storable('ab😀', 3)).toBe('ab');
    expect(storable('abcdef', 4)).toBe('abcd');
  });
});
