import { makeTenantScope, StrategyName, TenantScope, VectorSpace } from '@vecgate/isolation';
import { MilvusBackend } from '@vecgate/isolation/backends/milvus/milvus.backend';
import {
  MILVUS_DEFAULT_LIMITS,
  MilvusOptions,
} from '@vecgate/isolation/backends/milvus/milvus.options';
import { Message, MilvusStub } from './stub';

export const A = '0123456789abcdef0123456789abcdef';
export const B = 'fedcba9876543210fedcba9876543210';
export const C = '00000000000000000000000000000c0c';
export const TOKEN = 'root:Milvus';
export const SPACE: VectorSpace = { dimension: 4, metric: 'cosine' };

export function milvusOptions(
  address: string,
  overrides: Partial<MilvusOptions> = {},
): MilvusOptions {
  return {
    address,
    token: TOKEN,
    database: 'default',
    sharedCollections: {
      '4:cosine': 'vg_shared_4_cosine',
      '4:euclidean': 'vg_shared_4_l2',
      '4:dot': 'vg_shared_4_dot',
    },
    indexType: 'AUTOINDEX',
    limits: MILVUS_DEFAULT_LIMITS,
    timeoutMs: 3000,
    // No retries: a scripted failure reaches the adapter at once.
    maxRetries: 0,
    loadTimeoutMs: 3000,
    ...overrides,
  };
}

/** A stub server and a backend on it, as `withMilvusStub` hands them to a block. */
export interface StubbedMilvus {
  readonly stub: MilvusStub;
  readonly backend: MilvusBackend;
}

/**
 * A Milvus stub and a backend connected to it for the enclosing block: started (then handed to
 * `ready`) before its tests, closed after them; the stub forgets its calls before each test
 * (and its databases too, with `places`).
 */
export function withMilvusStub(
  ready: (milvus: StubbedMilvus) => unknown,
  reset: { places?: boolean } = {},
): void {
  let milvus: StubbedMilvus | undefined;
  beforeAll(async () => {
    const stub = new MilvusStub();
    milvus = { stub, backend: new MilvusBackend(milvusOptions(await stub.start())) };
    await ready(milvus);
  });
  afterAll(async () => {
    await milvus?.backend.close();
    await milvus?.stub.stop();
  });
  beforeEach(() => milvus?.stub.reset(reset));
}

export function scopeOf(
  backend: MilvusBackend,
  strategy: StrategyName,
  uid: string,
  space: VectorSpace = SPACE,
): TenantScope {
  const tenantId = `t-${uid.slice(0, 6)}`;
  const placement = backend.plan({ tenantId, tenantUid: uid, strategy, space });
  return makeTenantScope({ tenantId, tenantUid: uid, placement, space });
}

/** A scope whose fields were altered after resolution: what the adapter must refuse. */
export function forged(scope: TenantScope, change: Record<string, unknown>): TenantScope {
  return Object.assign({}, scope, change);
}

export function withLocation(scope: TenantScope, location: Record<string, string>): TenantScope {
  return forged(scope, { placement: { ...scope.placement, location } });
}

/** Template values as the server decodes them (oneof name included). */
export const tv = {
  str: (value: string) => ({ string_val: value, val: 'string_val' }),
  int: (value: number) => ({ int64_val: String(value), val: 'int64_val' }),
  float: (value: number) => ({ float_val: value, val: 'float_val' }),
  bool: (value: boolean) => ({ bool_val: value, val: 'bool_val' }),
  strs: (values: string[]) => ({
    array_val: { string_data: { data: values }, data: 'string_data' },
    val: 'array_val',
  }),
  ints: (values: number[]) => ({
    array_val: { long_data: { data: values.map(String) }, data: 'long_data' },
    val: 'array_val',
  }),
};

/** The named parts of a captured request, to compare with literal payloads. */
export function pick(request: Message, keys: readonly string[]): Message {
  return Object.fromEntries(keys.filter((k) => k in request).map((k) => [k, request[k]]));
}

/** A captured call as its method and the fields naming its place, plus `more`. */
export function placeOf(
  call: { readonly method: string; readonly request: Message },
  more: readonly string[],
): [string, Message] {
  const place = ['db_name', 'collection_name', 'partition_name', 'partition_names'];
  return [call.method, pick(call.request, [...place, ...more])];
}

/** Expects a captured request to carry exactly `expected` in the fields `expected` names. */
export function expectFields(request: Message | undefined, expected: Message): void {
  expect(pick(request ?? {}, Object.keys(expected))).toEqual(expected);
}

/** `fields_data` of a captured Upsert, by field name, decoded to plain values. */
export function columns(request: Message): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const field of request.fields_data as Message[]) {
    const name = String(field.field_name);
    const scalars = field.scalars as Record<string, { data: unknown[] }> | null;
    const vectors = field.vectors as { float_vector: { data: number[] } } | null;
    if (vectors) out[name] = vectors.float_vector.data;
    else if (scalars?.json_data) {
      out[name] = scalars.json_data.data.map((b) => JSON.parse(String(b)) as unknown);
    } else if (scalars?.string_data) out[name] = scalars.string_data.data;
  }
  return out;
}

const HOSTILE_PARTS = [
  '"',
  "'",
  '\\',
  '\\"',
  '" || true || "',
  ') || (',
  '{vg_tenant}',
  '{p0}',
  '\u0000',
  '_vg_tenant != ""',
  'é',
  '𝕋',
  '🦄',
  '\n',
  ']',
  '["str"]',
  '&&',
  'not ',
  'x',
];

/** A random string made of the pieces an expression injection would use. */
export function hostileValue(next: () => number): string {
  const length = 1 + Math.floor(next() * 6);
  return Array.from(
    { length },
    () => HOSTILE_PARTS[Math.floor(next() * HOSTILE_PARTS.length)]!,
  ).join('');
}
