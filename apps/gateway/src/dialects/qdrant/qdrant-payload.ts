import type { Schemas } from '@qdrant/js-client-rest';
import { BadRequestError } from '@vecgate/core';
import type { Metadata, MetadataValue } from '@vecgate/isolation';
import { pointIdOf } from './qdrant-ids';

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
    if (v.include !== undefined) return { include: keys(v.include, 'with_payload.include') };
    if (v.exclude !== undefined) return { exclude: keys(v.exclude, 'with_payload.exclude') };
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

function keys(value: unknown, field: string): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length > 256 || !list.every((k) => typeof k === 'string'))
    throw new BadRequestError('must be a list of payload keys', field);
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
  let out: Metadata = all;
  for (const path of selector.exclude ?? []) out = without(out, path);
  return out;
}

/**
 * The payload without the key at `path` (a top-level key of that name, else the nested key a
 * dotted path reaches), copying only the objects on the way; the record's own is not changed.
 */
function without(metadata: Metadata, path: string): Metadata {
  if (Object.hasOwn(metadata, path)) {
    const out = { ...metadata };
    delete out[path];
    return out;
  }
  const dot = path.indexOf('.');
  if (dot < 0) return metadata;
  const head = path.slice(0, dot);
  const inner = Object.hasOwn(metadata, head) ? metadata[head] : undefined;
  if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) return metadata;
  const rest = without(inner, path.slice(dot + 1));
  return rest === inner ? metadata : { ...metadata, [head]: rest };
}

function at(metadata: Metadata, path: string): MetadataValue | undefined {
  if (Object.hasOwn(metadata, path)) return metadata[path];
  let current: MetadataValue | undefined = metadata;
  for (const segment of path.split('.')) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    current = Object.hasOwn(current, segment) ? current[segment] : undefined;
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
): Schemas['Record'] | undefined {
  const id = pointIdOf(record.id);
  if (id === undefined) return undefined;
  return {
    id,
    payload: shownPayload(record.metadata, shape),
    vector: shape.vector ? Array.from(record.values ?? []) : null,
  } satisfies Schemas['Record'];
}
