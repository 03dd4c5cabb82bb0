import { FilterNode, Metadata, Scalar } from '@vecgate/isolation';
import { rng } from './rng';

/**
 * Records and filters that check a backend's filter translation against the embedded
 * semantics: every JSON shape a field can take, hostile strings, and random nested filters
 * from a seeded generator (so a failure replays).
 */

export const HOSTILE = [
  `' OR 1=1 --`,
  `"}], "should": [{"key": "_vg_tenant"`,
  `metadata.x`,
  `_vg_tenant`,
  `a\\b`,
  `nul\u0000byte`,
  `𝕋énant 🦄`,
  `e\u0301`,
  '',
];

/** Records covering every JSON shape a field can have, including the awkward ones. */
export const RECORDS: Record<string, Metadata | undefined> = {
  none: undefined,
  empty: {},
  str5: { v: '5', kind: 'a' },
  int5: { v: 5, kind: 'a' },
  real5: { v: 5.5, kind: 'b' },
  neg: { v: -2, kind: 'b' },
  zero: { v: 0 },
  big: { v: 1e15 },
  true: { v: true },
  false: { v: false },
  nullv: { v: null },
  obj: { v: { v: 5, a: 'x' } },
  emptyArr: { v: [] },
  nullArr: { v: [null] },
  objArr: { v: [{ v: 5 }] },
  nestedArr: { v: [[5], ['x']] },
  strArr: { v: ['x', 'y', '5'] },
  numArr: { v: [1, 5, 9.5] },
  mixedArr: { v: ['5', 5, true, null] },
  boolArr: { v: [false] },
  other: { w: 5 },
  // Dotted fields: a literal dotted key (LangChain for Pinecone), a nested path (Qdrant
  // payloads), both at once (the literal key wins, even holding null), a literal key below
  // one nested step, and objects inside arrays (never traversed).
  dotted: { 'loc.lines.from': 5, text: 'x'.repeat(5000) },
  nested: { loc: { lines: { from: 5, to: 9.5 } } },
  both: { 'loc.lines.from': '5', loc: { lines: { from: 9.5 } } },
  literalNull: { 'loc.lines.from': null, loc: { lines: { from: 5 } } },
  halfDotted: { loc: { 'lines.from': [5, 'x'] } },
  arrayPath: { loc: [{ lines: { from: 5 } }] },
  payload: { metadata: { source: 'x', page: 5 }, page_content: 'y' },
  payloadObj: { metadata: { source: { v: 'x' } } },
  payloadNull: { metadata: null },
  ...Object.fromEntries(HOSTILE.map((s, i) => [`hostile${i}`, { v: s, s: [s, `${s}!`] }])),
};

export const VALUES: Scalar[] = [
  '5',
  5,
  5.5,
  -2,
  0,
  1e15,
  9.5,
  true,
  false,
  'x',
  'y',
  'zzz',
  ...HOSTILE,
];
export const FIELDS = [
  'v',
  's',
  'w',
  'kind',
  'missing',
  'loc.lines.from',
  'loc.lines',
  'metadata.source',
  'metadata.page',
];
export const COMPARISONS = ['$eq', '$ne', '$gt', '$gte', '$lt', '$lte'] as const;

/** `$exists: true` and `false` on every field above. */
export const EXISTENCE: FilterNode[] = FIELDS.flatMap((field) => [
  { op: '$exists', field, value: true },
  { op: '$exists', field, value: false },
]);

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)] as T;
}

export function leaf(next: () => number): FilterNode {
  const field = pick(next, FIELDS);
  if (next() < 0.1) return { op: '$exists', field, value: next() < 0.5 };
  if (next() < 0.3) {
    const values = Array.from({ length: 1 + Math.floor(next() * 4) }, () => pick(next, VALUES));
    return { op: next() < 0.5 ? '$in' : '$nin', field, values };
  }
  const op = pick(next, COMPARISONS);
  const numbers = VALUES.filter((v): v is number => typeof v === 'number');
  const value = op === '$eq' || op === '$ne' ? pick(next, VALUES) : pick(next, numbers);
  return { op, field, value };
}

export function tree(next: () => number, depth: number): FilterNode {
  if (depth === 0 || next() < 0.4) return leaf(next);
  const nodes = Array.from({ length: 1 + Math.floor(next() * 3) }, () => tree(next, depth - 1));
  return { op: next() < 0.5 ? '$and' : '$or', nodes };
}

/**
 * The filters a backend's wire test sends over the shared records: `$exists` on every field,
 * equality, inequality, a range and a `$nin` on every field, and `random` seeded trees.
 */
export function sharedFilters(seed: number, random: number): FilterNode[] {
  const filters: FilterNode[] = [...EXISTENCE];
  for (const field of FIELDS) {
    for (const value of ['5', 5, 9.5, 'x', true] as const) {
      filters.push({ op: '$eq', field, value }, { op: '$ne', field, value });
    }
    filters.push({ op: '$gte', field, value: 5 }, { op: '$nin', field, values: ['x', 5] });
  }
  const next = rng(seed);
  for (let i = 0; i < random; i++) filters.push(tree(next, 3));
  return filters;
}
