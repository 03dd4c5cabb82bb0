import type { Schemas } from '@qdrant/js-client-rest';
import { BadRequestError } from '@vecgate/core';
import {
  MAX_FIELD_LENGTH,
  type Metadata,
  type MetadataValue,
  type MetricName,
} from '@vecgate/isolation';
import { pointIdOf } from './qdrant-ids';
import { refuseUnknown } from './qdrant-fields';

/** What of a point an answer carries: `with_payload` (all, none, or chosen keys) and `with_vector`. */
export interface PointShape {
  readonly payload:
    boolean | { readonly include?: readonly string[]; readonly exclude?: readonly string[] };
  readonly vector: boolean;
}

/** `with_payload` and `with_vector` as Qdrant takes them; `payloadByDefault` differs per call. */
export function pointShape(
  withPayload: unknown,
  withVector: unknown,
  payloadByDefault: boolean,
): PointShape {
  return {
    payload: payloadSelector(withPayload, payloadByDefault),
    vector: vectorSelector(withVector),
  };
}

function payloadSelector(value: unknown, byDefault: boolean): PointShape['payload'] {
  if (value === undefined || value === null) return byDefault;
  if (typeof value === 'boolean') return value;
  if (Array.isArray(value)) return { include: keys(value, 'with_payload') };
  if (typeof value === 'object') {
    const v = value as { include?: unknown; exclude?: unknown };
    // One of the two, alone (Qdrant's selectors deny unknown fields): an `exclude` beside an
    // `include`, or a misspelt `inclde`, would otherwise be dropped without a word.
    if (v.include !== undefined) {
      refuseUnknown(v, ['include'], 'with_payload.', 'an include selector');
      return { include: keys(v.include, 'with_payload.include') };
    }
    if (v.exclude !== undefined) {
      refuseUnknown(v, ['exclude'], 'with_payload.', 'an exclude selector');
      return { exclude: keys(v.exclude, 'with_payload.exclude') };
    }
  }
  throw new BadRequestError(
    'must be a boolean, a list of keys, or {include} / {exclude}',
    'with_payload',
  );
}

function vectorSelector(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  throw new BadRequestError(
    'must be a boolean (only the default, unnamed vector exists)',
    'with_vector',
  );
}

/**
 * Longest payload key path taken: a stored key path is at most four keys of 128 characters
 * and their dots, so a longer one names nothing, and planning it would cost its length.
 */
const MAX_PAYLOAD_PATH = 1024;

/**
 * Whether `key` may name a stored key of `metadata`. Stored keys are at most MAX_FIELD_LENGTH
 * characters, and a longer one is never looked up: V8 compares a long string that is not
 * interned on every property look-up, about 2 µs for a kilobyte, per point of an answer.
 */
function holds(metadata: Metadata, key: string): boolean {
  return key.length <= MAX_FIELD_LENGTH && Object.hasOwn(metadata, key);
}

function keys(value: unknown, field: string): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (
    !Array.isArray(list) ||
    list.length > 256 ||
    !list.every((k): k is string => typeof k === 'string' && k.length <= MAX_PAYLOAD_PATH)
  )
    throw new BadRequestError(
      `must be a list of at most 256 payload keys of at most ${MAX_PAYLOAD_PATH} characters`,
      field,
    );
  return list;
}

/** The payload an answer shows: all of it, none, or the chosen (possibly dotted) keys. */
export function shownPayload(metadata: Metadata | undefined, shape: PointShape): Metadata | null {
  const all = metadata ?? {};
  const selector = shape.payload;
  if (selector === false) return null;
  if (selector === true) return all;
  if (selector.include) {
    const out: Metadata = {};
    for (const path of selector.include) {
      const value = at(all, path);
      if (value !== undefined) put(out, path, value);
    }
    return out;
  }
  return without(all, planOf(selector.exclude ?? []));
}

/** Exclude paths by level: names to drop here, and the paths below each key. */
interface ExcludePlan {
  readonly names: Set<string>;
  readonly below: Map<string, ExcludePlan>;
}

/** Plans by exclude list: one list serves every point of an answer, planned once. */
const plans = new WeakMap<readonly string[], ExcludePlan>();

function planOf(paths: readonly string[]): ExcludePlan {
  let plan = plans.get(paths);
  if (!plan) {
    plan = { names: new Set(), below: new Map() };
    for (const path of paths) addPath(plan, path);
    plans.set(paths, plan);
  }
  return plan;
}

/**
 * A path drops the key of that exact name, and the nested key its dotted segments reach (a
 * loop, not a recursion: a path may hold any number of dots).
 */
function addPath(plan: ExcludePlan, path: string): void {
  let level = plan;
  let rest = path;
  for (;;) {
    level.names.add(rest);
    const dot = rest.indexOf('.');
    if (dot < 0) return;
    const head = rest.slice(0, dot);
    let below = level.below.get(head);
    if (!below) {
      below = { names: new Set(), below: new Map() };
      level.below.set(head, below);
    }
    level = below;
    rest = rest.slice(dot + 1);
  }
}

/**
 * The payload without the keys an exclude list names (a key of that exact name, and the nested
 * key a dotted path reaches). The record's own objects are never changed: the payload and each
 * object holding a key to drop are copied once per answer, so a point costs one look-up per
 * path, whatever the list.
 */
function without(metadata: Metadata, plan: ExcludePlan): Metadata {
  const out = { ...metadata };
  for (const name of plan.names) if (holds(out, name)) delete out[name];
  for (const [head, below] of plan.below) {
    const inner = holds(out, head) ? out[head] : undefined;
    if (typeof inner === 'object' && inner !== null && !Array.isArray(inner))
      out[head] = without(inner, below);
  }
  return out;
}

/**
 * The value at a key path: the key of that exact name, else the nested key its segments reach.
 * Segments are cut one at a time, so the walk stops where the payload does, however many dots
 * the path holds.
 */
function at(metadata: Metadata, path: string): MetadataValue | undefined {
  if (holds(metadata, path)) return metadata[path];
  let current: MetadataValue | undefined = metadata;
  for (let from = 0; from <= path.length;) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    const dot = path.indexOf('.', from);
    const end = dot < 0 ? path.length : dot;
    const segment = path.slice(from, end);
    current = holds(current, segment) ? current[segment] : undefined;
    from = end + 1;
  }
  return current;
}

function put(out: Metadata, path: string, value: MetadataValue): void {
  const segments = path.split('.');
  let target: Metadata = out;
  for (const segment of segments.slice(0, -1)) {
    const next = target[segment];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) target[segment] = {};
    target = target[segment] as Metadata;
  }
  target[segments[segments.length - 1] as string] = value;
}

/** A stored record as a Qdrant record, or undefined when its id has no Qdrant form. */
export function pointOf(
  record: { id: string; metadata?: Metadata; values?: Float32Array | number[] },
  shape: PointShape,
  metric: MetricName,
): Schemas['Record'] | undefined {
  const id = pointIdOf(record.id);
  if (id === undefined) return undefined;
  return {
    id,
    payload: shownPayload(record.metadata, shape),
    vector: shape.vector ? shownVector(record.values, metric) : null,
  } satisfies Schemas['Record'];
}

/**
 * A vector as Qdrant answers it: a cosine collection's scaled to unit length in 32-bit floats,
 * since Qdrant normalises it when it is written (vecgate keeps it as written); others as they
 * are. A zero vector (refused on write) would stay as it is.
 */
export function shownVector(
  values: Float32Array | number[] | undefined,
  metric: MetricName,
): number[] {
  const list = Array.from(values ?? []);
  if (metric !== 'cosine') return list;
  let squares = 0;
  for (const v of list) squares += v * v;
  const norm = Math.sqrt(squares);
  return norm === 0 ? list : list.map((v) => Math.fround(v / norm));
}
