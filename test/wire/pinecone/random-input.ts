import type { FilterNode, Metadata, MetadataValue, Scalar } from '@vecgate/isolation';

export function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)]!;
}

/**
 * Strings an attacker would try as filter values: operators, JSON and query fragments, the
 * reserved tenant field, the default namespace's names, control and combining characters.
 */
export const HOSTILE_STRINGS: readonly string[] = [
  '$ne',
  '$or',
  '{"$ne":null}',
  '{"_vg_tenant":{"$exists":true}}',
  '_vg_tenant',
  '__default__',
  '',
  ' ',
  `' OR 1=1 --`,
  '" OR ""="',
  'a\\b',
  'nul\u0000byte',
  'line\nbreak',
  '𝕋énant 🦄 ﷽',
  'e\u0301',
  '5',
  'true',
  'null',
  '$in',
  'vg-00000000000000000000000000000000',
];

/** A random hostile string: a listed one, possibly wrapped in random printable noise. */
export function hostileString(next: () => number): string {
  const base = pick(next, HOSTILE_STRINGS);
  if (next() < 0.5) return base;
  const noise = Array.from({ length: 1 + Math.floor(next() * 6) }, () =>
    String.fromCharCode(33 + Math.floor(next() * 94)),
  ).join('');
  return next() < 0.5 ? `${noise}${base}` : `${base}${noise}`;
}

const FIELDS = [
  'kind',
  's',
  'n',
  'b',
  'arr',
  'mixed',
  'nul',
  'obj',
  'absent',
  'obj.s',
  'obj.n',
  'loc.n',
] as const;
const STRINGS = ['a', 'b', '5', 'true', '$ne', '', 'é', 'e\u0301'];
const NUMBERS = [-2, 0, 1, 2.5, 5, 10, 1e21];
const BOOLEANS = [true, false];

function scalar(next: () => number, hostile: boolean): Scalar {
  const r = next();
  if (r < 0.45) return hostile && next() < 0.4 ? hostileString(next) : pick(next, STRINGS);
  if (r < 0.8) return pick(next, NUMBERS);
  return pick(next, BOOLEANS);
}

/** A random filter tree over the fields `randomMetadata` writes (and one never written). */
export function randomFilter(next: () => number, depth = 0, hostile = false): FilterNode {
  const r = next();
  if (depth < 2 && r < 0.25) {
    const op = next() < 0.5 ? '$and' : '$or';
    const count = 1 + Math.floor(next() * 3);
    return {
      op,
      nodes: Array.from({ length: count }, () => randomFilter(next, depth + 1, hostile)),
    };
  }
  const field = pick(next, FIELDS);
  const kind = next();
  if (next() < 0.1) return { op: '$exists', field, value: kind < 0.5 };
  if (kind < 0.3) return { op: '$eq', field, value: scalar(next, hostile) };
  if (kind < 0.45) return { op: '$ne', field, value: scalar(next, hostile) };
  if (kind < 0.6 || kind >= 0.9) {
    const values = Array.from({ length: 1 + Math.floor(next() * 3) }, () => scalar(next, hostile));
    return { op: kind < 0.6 ? '$in' : '$nin', field, values };
  }
  const op = pick(next, ['$gt', '$gte', '$lt', '$lte'] as const);
  // Mostly numbers; sometimes a string, which a range never matches.
  return { op, field, value: next() < 0.85 ? pick(next, NUMBERS) : pick(next, STRINGS) };
}

/** Metadata mixing types, arrays, nulls and nesting, with lookalikes ("5" and 5, true and 1). */
export function randomMetadata(next: () => number, i: number): Metadata | undefined {
  if (i % 11 === 10) return undefined;
  const md: Record<string, MetadataValue> = { kind: pick(next, ['x', 'y', 'z']) };
  const maybe = (field: string, value: () => MetadataValue) => {
    if (next() < 0.7) md[field] = value();
  };
  maybe('s', () => pick(next, STRINGS));
  maybe('n', () => pick(next, NUMBERS));
  maybe('b', () => pick(next, BOOLEANS));
  maybe('arr', () => Array.from({ length: Math.floor(next() * 4) }, () => pick(next, STRINGS)));
  maybe('mixed', () =>
    Array.from({ length: Math.floor(next() * 5) }, () => {
      const r = next();
      if (r < 0.3) return pick(next, STRINGS);
      if (r < 0.6) return pick(next, NUMBERS);
      if (r < 0.8) return pick(next, BOOLEANS);
      if (r < 0.9) return null;
      return { deep: 1 };
    }),
  );
  maybe('nul', () => (next() < 0.5 ? null : pick(next, NUMBERS)));
  maybe('obj', () => (next() < 0.7 ? { s: 'a', n: 5 } : pick(next, STRINGS)));
  // A literal dotted key, a nested path of the same name, or both (the literal key wins).
  maybe('loc.n', () => pick(next, NUMBERS));
  maybe('loc', () => ({ n: pick(next, [...NUMBERS, 'a']) }));
  return md;
}
