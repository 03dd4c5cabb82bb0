import { comparableFields, fieldPaths, fieldReader, isMetadataKey } from './metadata-fields';

describe('metadata fields', () => {
  it('lists the key paths of a field with the literal dotted key first', () => {
    expect(fieldPaths('a')).toEqual([['a']]);
    expect(fieldPaths('a.b.c')).toEqual([['a.b.c'], ['a', 'b.c'], ['a', 'b', 'c']]);
  });

  it('reads a literal dotted key when the record has it, even holding null', () => {
    const read = fieldReader('loc.lines.from');
    expect(read({ 'loc.lines.from': 1, loc: { lines: { from: 2 } } })).toBe(1);
    expect(read({ 'loc.lines.from': null, loc: { lines: { from: 2 } } })).toBeNull();
    expect(read({ loc: { 'lines.from': 3, lines: { from: 2 } } })).toBe(3);
    expect(read({ loc: { lines: { from: 2 } } })).toBe(2);
  });

  it('never steps into arrays, scalars or the object prototype', () => {
    const read = fieldReader('loc.lines');
    expect(read({ loc: [{ lines: 1 }] })).toBeUndefined();
    expect(read({ loc: 'lines' })).toBeUndefined();
    expect(read({ loc: {} })).toBeUndefined();
    expect(fieldReader('constructor')({})).toBeUndefined();
    expect(fieldReader('a.constructor')({ a: {} })).toBeUndefined();
    expect(fieldReader('a')(undefined)).toBeUndefined();
  });

  it('lists every comparable field name a record answers, resolved by the same rule', () => {
    const fields = comparableFields({
      'loc.lines.from': '1',
      loc: { lines: { from: 2, to: [3] }, o: {} },
      n: null,
      arr: [{ x: 1 }],
      'bad key': 1,
    });
    expect([...fields]).toEqual([
      ['loc.lines.from', '1'],
      ['loc.lines.to', [3]],
      ['arr', [{ x: 1 }]],
    ]);
    expect(comparableFields(undefined).size).toBe(0);
  });

  it('agrees with the reader on every name it lists', () => {
    const metadata = { a: { 'b.c': 1, b: { c: 2, d: 'x' } }, 'a.b': { c: 3 } };
    for (const [name, value] of comparableFields(metadata)) {
      expect(fieldReader(name)(metadata)).toEqual(value);
    }
    expect(fieldReader('a.b.c')(metadata)).toBe(1);
  });

  it('bounds keys by pattern, length and segment count', () => {
    expect(isMetadataKey('loc.lines.from')).toBe(true);
    expect(isMetadataKey('a'.repeat(128))).toBe(true);
    expect(isMetadataKey('a'.repeat(129))).toBe(false);
    expect(isMetadataKey('a.b.c.d.e.f.g.h')).toBe(true);
    expect(isMetadataKey('a.b.c.d.e.f.g.h.i')).toBe(false);
    for (const bad of ['', '.a', 'a.', 'a..b', 'a.1', 'a-b', 'a b', 'é']) {
      expect(isMetadataKey(bad)).toBe(false);
    }
  });
});
