import { INamespace, Root } from 'protobufjs';
import milvusProto from '@zilliz/milvus2-sdk-node/dist/milvus/proto-json/milvus';
import { fieldNames, parse, Row } from './expression';

/**
 * The rows of the wire stub's collections and how Milvus reads them: upserts replace by
 * primary key inside a partition; queries, searches and deletes select rows with the request's
 * filter template (`./expression`) in the named partitions (all when none is named); a field a
 * row lacks (a field added after the row was written) reads as the field's default value, or
 * null without one, as Milvus answers for rows older than an `AddCollectionField`.
 */

export type Message = Record<string, unknown>;

/** A field of a collection schema as the stub keeps it (decoded `FieldSchema`). */
export interface SchemaField {
  readonly name: string;
  readonly data_type: string;
  readonly is_primary_key?: boolean;
  readonly nullable?: boolean;
  readonly default_value?: Record<string, unknown> | null;
  readonly type_params?: readonly { key: string; value: string }[];
}

/** What Milvus answers for an expression naming a field the collection does not have. */
export class ExpressionError extends Error {}

export interface StoredRow {
  readonly partition: string;
  readonly fields: Row;
}

/** The part of a collection the row model needs. */
export interface RowHolder {
  readonly schema: Message;
  rows?: Map<string, StoredRow>;
}

const PROTO = Root.fromJSON(milvusProto as unknown as INamespace);
const PLACEHOLDERS = PROTO.lookupType('milvus.proto.common.PlaceholderGroup');

function fieldsOf(holder: RowHolder): SchemaField[] {
  return (holder.schema.fields as SchemaField[] | undefined) ?? [];
}

function rowsOf(holder: RowHolder): Map<string, StoredRow> {
  holder.rows ??= new Map();
  return holder.rows;
}

/** A field's default as Milvus fills it in, or null. */
function defaultOf(field: SchemaField): unknown {
  const value = field.default_value;
  if (!value) return null;
  const key = Object.keys(value).find((k) => k !== 'data' && value[k] !== undefined);
  return key === undefined ? null : value[key];
}

/** A row as a read sees it: every schema field, defaults for the ones it lacks. */
function view(holder: RowHolder, row: StoredRow): Row {
  const out: Row = {};
  for (const field of fieldsOf(holder)) {
    out[field.name] = field.name in row.fields ? row.fields[field.name] : defaultOf(field);
  }
  return out;
}

/** `expr_template_values` as decoded by the stub's loader, back to plain values. */
export function templateValues(values: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries((values ?? {}) as Record<string, Message>)) {
    const kind = String(raw.val);
    if (kind === 'array_val') {
      const array = raw.array_val as Record<string, { data: unknown[] }> & { data: string };
      const list = array[array.data]?.data ?? [];
      out[name] = array.data === 'long_data' ? list.map(Number) : list;
    } else out[name] = kind === 'int64_val' ? Number(raw[kind]) : raw[kind];
  }
  return out;
}

/** The rows of an Upsert's column-major `fields_data`. */
function decodeRows(request: Message): Row[] {
  const count = Number(request.num_rows);
  const rows: Row[] = Array.from({ length: count }, () => ({}));
  for (const column of (request.fields_data as Message[]) ?? []) {
    const name = String(column.field_name);
    const scalars = column.scalars as Record<string, { data: unknown[] }> | null;
    const vectors = column.vectors as { dim: string; float_vector: { data: number[] } } | null;
    let values: unknown[];
    if (vectors) {
      const dim = Number(vectors.dim);
      const flat = vectors.float_vector.data;
      values = rows.map((_, i) => flat.slice(i * dim, (i + 1) * dim));
    } else if (scalars?.json_data) {
      values = scalars.json_data.data.map((b) => JSON.parse(String(b)) as unknown);
    } else values = scalars?.string_data?.data ?? [];
    const valid = (column.valid_data as boolean[] | undefined) ?? [];
    let next = 0;
    rows.forEach((row, i) => {
      if (valid.length > 0 && valid[i] === false) row[name] = null;
      else row[name] = values[next++];
    });
  }
  return rows;
}

/** Upsert: each row replaces the row of the same primary key (Milvus deletes, then inserts). */
export function upsertRows(holder: RowHolder, request: Message): number {
  const pk = fieldsOf(holder).find((f) => f.is_primary_key)?.name;
  if (!pk) throw new Error('the collection has no primary key');
  const named = request.partition_name;
  const partition = typeof named === 'string' && named ? named : '_default';
  const rows = decodeRows(request);
  for (const fields of rows) {
    for (const field of fieldsOf(holder)) {
      if (fields[field.name] === null) fields[field.name] = defaultOf(field);
    }
    rowsOf(holder).set(String(fields[pk]), { partition, fields });
  }
  return rows.length;
}

/** The rows a request's filter and partitions select, as reads see them, keyed by primary key. */
function selected(holder: RowHolder, request: Message, expr: string): [string, Row][] {
  const named = [
    ...((request.partition_names as string[] | undefined) ?? []),
    ...(typeof request.partition_name === 'string' && request.partition_name
      ? [request.partition_name]
      : []),
  ];
  const known = new Set(fieldsOf(holder).map((f) => f.name));
  const unknown = fieldNames(expr).find((name) => !known.has(name));
  if (unknown !== undefined) {
    throw new ExpressionError(
      `failed to create query plan: cannot parse expression: ${expr}, error: field ${unknown} not exist`,
    );
  }
  const predicate = parse(expr, templateValues(request.expr_template_values));
  const out: [string, Row][] = [];
  for (const [key, row] of rowsOf(holder)) {
    if (named.length > 0 && !named.includes(row.partition)) continue;
    const seen = view(holder, row);
    if (predicate(seen)) out.push([key, seen]);
  }
  return out;
}

function project(row: Row, fields: readonly string[]): Row {
  return Object.fromEntries(fields.map((f) => [f, row[f]]));
}

/**
 * Query: the selected rows' output fields, or `count(*)`, within the request's limit. A
 * limited query answers the rows of the smallest primary keys in key order (VarChar keys as
 * bytes), as Milvus's reduce merges segments' results by primary key.
 */
export function queryRows(holder: RowHolder, request: Message): Row[] {
  const rows = selected(holder, request, String(request.expr)).map(([, row]) => row);
  const output = (request.output_fields as string[]) ?? [];
  if (output.includes('count(*)')) return [{ 'count(*)': rows.length }];
  const params = (request.query_params as { key: string; value: string }[]) ?? [];
  const limitParam = params.find((p) => p.key === 'limit')?.value;
  if (limitParam === undefined) return rows.map((row) => project(row, output));
  const pk = fieldsOf(holder).find((f) => f.is_primary_key)?.name ?? '';
  const keyOf = (row: Row): Buffer => Buffer.from(String(row[pk]), 'utf8');
  const ordered = [...rows].sort((x, y) => Buffer.compare(keyOf(x), keyOf(y)));
  return ordered.slice(0, Number(limitParam)).map((row) => project(row, output));
}

/** Delete: removes the selected rows and counts them, as `delete_cnt` does. */
export function deleteRows(holder: RowHolder, request: Message): number {
  const hits = selected(holder, request, String(request.expr));
  for (const [key] of hits) rowsOf(holder).delete(key);
  return hits.length;
}

/** Drops a partition's rows with the partition. */
export function dropPartitionRows(holder: RowHolder, partition: string): void {
  for (const [key, row] of rowsOf(holder))
    if (row.partition === partition) rowsOf(holder).delete(key);
}

const RAW_SCORE: Record<string, (a: number[], b: number[]) => number> = {
  IP: (a, b) => a.reduce((sum, x, i) => sum + x * (b[i] ?? 0), 0),
  COSINE: (a, b) => {
    const dot = RAW_SCORE.IP!(a, b);
    const norm = Math.sqrt(RAW_SCORE.IP!(a, a) * RAW_SCORE.IP!(b, b));
    return norm === 0 ? 0 : dot / norm;
  },
  L2: (a, b) => a.reduce((sum, x, i) => sum + (x - (b[i] ?? 0)) ** 2, 0),
};

/**
 * Search (one query vector): the selected rows by raw score (similarity for COSINE and IP,
 * squared distance for L2), the best `topk` first, with their primary keys and output fields.
 */
export function searchRows(
  holder: RowHolder,
  request: Message,
): (Row & { _vg_pk: string; score: number })[] {
  const params = Object.fromEntries(
    ((request.search_params as { key: string; value: string }[]) ?? []).map((p) => [
      p.key,
      p.value,
    ]),
  );
  const metric = params.metric_type ?? 'COSINE';
  const group = PLACEHOLDERS.toObject(PLACEHOLDERS.decode(request.placeholder_group as Buffer)) as {
    placeholders: { values: Buffer[] }[];
  };
  const bytes = group.placeholders[0]!.values[0]!;
  const query = Array.from(new Float32Array(new Uint8Array(bytes).buffer));
  const vectorField = params.anns_field ?? '_vg_vector';
  const output = (request.output_fields as string[]) ?? [];
  const scored = selected(holder, request, String(request.dsl)).map(([key, row]) => ({
    ...project(row, output),
    _vg_pk: key,
    score: RAW_SCORE[metric]!(query, row[vectorField] as number[]),
  }));
  scored.sort((x, y) => (metric === 'L2' ? x.score - y.score : y.score - x.score));
  return scored.slice(0, Number(params.topk ?? scored.length));
}
