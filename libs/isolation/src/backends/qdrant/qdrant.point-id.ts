import { createHash } from 'node:crypto';
import { DEFAULT_NAMESPACE } from '../../ports/vector.types';

/**
 * The UUIDv5 namespace of vecgate's Qdrant point ids. Fixed forever: changing it would orphan
 * every stored point (their ids could no longer be recomputed from the caller's ids).
 */
export const POINT_ID_NAMESPACE = '6f1d2c3e-8b4a-4f7e-9c05-2a1b3c4d5e6f';

/** A UUIDv5 (RFC 9562, SHA-1 name-based) of `name` in `namespace`. */
export function uuidV5(namespace: string, name: Uint8Array): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (ns.length !== 16) throw new Error(`invalid UUID namespace ${namespace}`);
  const bytes = createHash('sha1').update(ns).update(name).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50; // version 5
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80; // RFC 4122 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The bytes a point id is derived from. Qdrant accepts only unsigned integers and UUIDs as ids,
 * so (tenant uid, namespace, caller's id) is hashed, encoded as a JSON array first, which is
 * unambiguous (`["ab","c"]` and `["a","bc"]` differ, where plain concatenation would not) and
 * injective even for strings that UTF-8 could not encode (lone surrogates are escaped).
 *
 * The default namespace keeps the pair `[uid, id]` that points had before namespaces existed,
 * so they stay addressable; any other namespace is the triple `[uid, namespace, id]`, which no
 * pair encodes to.
 */
export function pointIdName(tenantUid: string, namespace: string, id: string): Buffer {
  const key = namespace === DEFAULT_NAMESPACE ? [tenantUid, id] : [tenantUid, namespace, id];
  return Buffer.from(JSON.stringify(key), 'utf8');
}

/** The Qdrant point id of a caller's record id in one namespace of one tenant incarnation. */
export function pointId(tenantUid: string, namespace: string, id: string): string {
  return uuidV5(POINT_ID_NAMESPACE, pointIdName(tenantUid, namespace, id));
}
