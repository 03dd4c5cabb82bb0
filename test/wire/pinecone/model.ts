/**
 * A model of Pinecone's data semantics, for the wire stub: metadata types, filter evaluation,
 * scores. It follows Pinecone's documentation, and where the documentation is silent it takes
 * the least convenient reading for the gateway (a missing field satisfies `$ne` and `$nin`, as
 * in MongoDB), so the gateway's translation is tested against the worst case. It is a model:
 * what only a live Pinecone can show is listed in docs/backends/pinecone.md.
 */

export type StubMetric = 'cosine' | 'euclidean' | 'dotproduct';
export type StubMetadata = Record<string, string | number | boolean | string[]>;

export interface StubRecord {
  id: string;
  values: number[];
  metadata?: StubMetadata;
}

/** A request Pinecone would refuse with 400. */
export class BadRequest extends Error {}

const MAX_METADATA_BYTES = 40 * 1024;

/** Pinecone's metadata rules: strings, numbers, booleans, lists of strings; 40 KB. */
export function checkMetadata(metadata: unknown): StubMetadata | undefined {
  if (metadata === undefined) return undefined;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))
    throw new BadRequest('metadata must be an object');
  for (const [key, value] of Object.entries(metadata)) {
    if (key.startsWith('$')) throw new BadRequest(`metadata key ${key} starts with $`);
    const ok =
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value)) ||
      (Array.isArray(value) && value.every((v) => typeof v === 'string'));
    if (!ok) throw new BadRequest(`metadata value of ${key} has an unsupported type`);
  }
  if (Buffer.byteLength(JSON.stringify(metadata)) > MAX_METADATA_BYTES)
    throw new BadRequest('metadata is larger than 40 KB');
  return metadata as StubMetadata;
}

type Value = StubMetadata[string] | undefined;
type Scalar = string | number | boolean;

function isScalar(value: unknown): value is Scalar {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function scalarList(value: unknown, op: string): Scalar[] {
  if (!Array.isArray(value) || !value.every(isScalar))
    throw new BadRequest(`${op} takes a list of values`);
  return value;
}

function elements(value: Value): Scalar[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function compare(op: string, operand: unknown, value: Value): boolean {
  switch (op) {
    case '$eq':
      if (!isScalar(operand)) throw new BadRequest('$eq takes a scalar');
      return elements(value).some((e) => e === operand);
    case '$ne':
      if (!isScalar(operand)) throw new BadRequest('$ne takes a scalar');
      return !elements(value).some((e) => e === operand);
    case '$in': {
      const list = scalarList(operand, op);
      return elements(value).some((e) => list.includes(e));
    }
    case '$nin': {
      const list = scalarList(operand, op);
      return !elements(value).some((e) => list.includes(e));
    }
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte': {
      if (typeof operand !== 'number') throw new BadRequest(`${op} takes a number`);
      if (typeof value !== 'number') return false;
      if (op === '$gt') return value > operand;
      if (op === '$gte') return value >= operand;
      if (op === '$lt') return value < operand;
      return value <= operand;
    }
    case '$exists':
      if (typeof operand !== 'boolean') throw new BadRequest('$exists takes a boolean');
      return (value !== undefined) === operand;
    default:
      throw new BadRequest(`unsupported operator ${op}`);
  }
}

/** Evaluates a Pinecone filter on a record's metadata. */
export function matchesFilter(filter: unknown, metadata: StubMetadata | undefined): boolean {
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter))
    throw new BadRequest('a filter is an object');
  const md = metadata ?? {};
  return Object.entries(filter).every(([key, condition]) => {
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(condition) || condition.length === 0)
        throw new BadRequest(`${key} takes a non-empty list`);
      return key === '$and'
        ? condition.every((c) => matchesFilter(c, metadata))
        : condition.some((c) => matchesFilter(c, metadata));
    }
    if (key.startsWith('$')) throw new BadRequest(`unsupported operator ${key}`);
    const value = Object.prototype.hasOwnProperty.call(md, key) ? md[key] : undefined;
    if (typeof condition === 'object' && condition !== null && !Array.isArray(condition)) {
      const ops = Object.entries(condition);
      if (ops.length === 0) throw new BadRequest(`empty condition on ${key}`);
      return ops.every(([op, operand]) => compare(op, operand, value));
    }
    return compare('$eq', condition, value);
  });
}

/** Pinecone's score: cosine similarity, dot product, or the squared euclidean distance. */
export function score(metric: StubMetric, a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  let sq = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
    sq += (x - y) * (x - y);
  }
  if (metric === 'cosine') return dot / (Math.sqrt(na) * Math.sqrt(nb));
  if (metric === 'euclidean') return sq;
  return dot;
}

/** Best first: highest similarity, or lowest distance for euclidean. */
export function better(metric: StubMetric): (a: number, b: number) => number {
  return metric === 'euclidean' ? (a, b) => a - b : (a, b) => b - a;
}
