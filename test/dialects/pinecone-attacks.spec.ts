import { Errors, Pinecone } from '@pinecone-database/pinecone';
import { bearer } from '../support/tokens';
import { keyFor, ListeningGateway, startListening, tenantWithKey } from './pinecone-support';

/**
 * The Pinecone dialect seen by an outside attacker and a careless client: raw HTTP and the SDK
 * against a started gateway. Every refusal is a 4xx in Pinecone's shape, audited once.
 */

const V = [1, 0, 0, 0];
const SPEC = { serverless: { cloud: 'aws' as const, region: 'us-east-1' } };

type Who = 'acme' | 'reader' | 'globex' | 'none';

interface Answer {
  status: number;
  body: Record<string, unknown>;
  text: string;
  requestId: string;
}

interface Case {
  /** What the case tries. */
  readonly name: string;
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Under `/pinecone`. */
  readonly path: string;
  readonly body?: unknown;
  /** Sent as is, instead of JSON of `body`. */
  readonly raw?: string;
  readonly headers?: Record<string, string>;
  readonly as?: Who;
  readonly status: number;
  /** A piece of the error message (data plane) or control plane message. */
  /** What the message contains, or matches: fields are named as the client sent them. */
  readonly says?: string | RegExp;
  /** The audit action of the call. */
  readonly action: string;
}

const data = (path: string): string => `/data/docs${path}`;

/** An audited resource: a method and a Pinecone path whose index is a checked name or `:index`. */
const CHECKED_RESOURCE =
  /^[A-Z]+ \/pinecone\/(indexes(\/[a-z0-9-]{1,45}|\/:index)?|data\/([a-z0-9-]{1,45}|:index)(\/[a-z_/:]+)?)$/;

/** Refusals and acceptances, each one call; the proof table of this suite. */
// prettier-ignore
const CASES: Case[] = [
  // Input robustness on upsert: never a 500, never a partial write.
  { name: 'malformed JSON', method: 'POST', path: data('/vectors/upsert'), raw: '{"vectors": [', status: 400, action: 'pinecone.upsert' },
  { name: 'a body that is a JSON array', method: 'POST', path: data('/vectors/upsert'), body: [1], status: 400, says: 'body', action: 'pinecone.upsert' },
  { name: 'vectors not an array', method: 'POST', path: data('/vectors/upsert'), body: { vectors: 'x' }, status: 400, says: 'vectors', action: 'pinecone.upsert' },
  { name: 'empty vectors', method: 'POST', path: data('/vectors/upsert'), body: { vectors: [] }, status: 400, says: 'vectors', action: 'pinecone.upsert' },
  { name: 'values as strings', method: 'POST', path: data('/vectors/upsert'), body: { vectors: [{ id: 'x', values: ['1', '0', '0', '0'] }] }, status: 400, says: 'values', action: 'pinecone.upsert' },
  { name: 'a value of 1e400 (Infinity once parsed)', method: 'POST', path: data('/vectors/upsert'), raw: '{"vectors":[{"id":"x","values":[1e400,0,0,0]}]}', status: 400, says: 'values', action: 'pinecone.upsert' },
  { name: 'a huge finite value', method: 'POST', path: data('/vectors/upsert'), body: { vectors: [{ id: 'x', values: [1e300, 0, 0, 0] }] }, status: 400, says: 'values', action: 'pinecone.upsert' },
  { name: 'the wrong dimension', method: 'POST', path: data('/vectors/upsert'), body: { vectors: [{ id: 'x', values: [1, 0] }] }, status: 400, says: 'dimension', action: 'pinecone.upsert' },
  { name: 'an id that is a number', method: 'POST', path: data('/vectors/upsert'), body: { vectors: [{ id: 7, values: V }] }, status: 400, says: 'id', action: 'pinecone.upsert' },
  { name: 'an id with a control character', method: 'POST', path: data('/vectors/upsert'), body: { vectors: [{ id: 'a\u0000b', values: V }] }, status: 400, says: 'id', action: 'pinecone.upsert' },
  { name: 'an id of 513 characters', method: 'POST', path: data('/vectors/upsert'), body: { vectors: [{ id: 'x'.repeat(513), values: V }] }, status: 400, says: 'id', action: 'pinecone.upsert' },
  { name: 'a metadata key _vg_tenant', method: 'POST', path: data('/vectors/upsert'), body: { vectors: [{ id: 'x', values: V, metadata: { _vg_tenant: 'globex' } }] }, status: 400, says: '_vg_tenant', action: 'pinecone.upsert' },
  { name: 'a metadata key tenant_id', method: 'POST', path: data('/vectors/upsert'), body: { vectors: [{ id: 'x', values: V, metadata: { tenant_id: 'globex' } }] }, status: 400, says: 'tenant_id', action: 'pinecone.upsert' },
  { name: 'a dotted reserved metadata key', method: 'POST', path: data('/vectors/upsert'), body: { vectors: [{ id: 'x', values: V, metadata: { 'a._vg_ns': 'x' } }] }, status: 400, action: 'pinecone.upsert' },
  { name: 'nested metadata', method: 'POST', path: data('/vectors/upsert'), body: { vectors: [{ id: 'x', values: V, metadata: { a: { b: 1 } } }] }, status: 400, says: 'metadata.a', action: 'pinecone.upsert' },
  { name: 'a list of numbers in metadata', method: 'POST', path: data('/vectors/upsert'), body: { vectors: [{ id: 'x', values: V, metadata: { a: [1, 2] } }] }, status: 400, says: 'metadata.a', action: 'pinecone.upsert' },
  { name: 'a null metadata value', method: 'POST', path: data('/vectors/upsert'), body: { vectors: [{ id: 'x', values: V, metadata: { a: null } }] }, status: 400, says: 'metadata.a', action: 'pinecone.upsert' },
  { name: 'a metadata key "$or"', method: 'POST', path: data('/vectors/upsert'), body: { vectors: [{ id: 'x', values: V, metadata: { $or: 'x' } }] }, status: 400, says: '$or', action: 'pinecone.upsert' },
  { name: 'an empty metadata key', method: 'POST', path: data('/vectors/upsert'), body: { vectors: [{ id: 'x', values: V, metadata: { '': 'x' } }] }, status: 400, action: 'pinecone.upsert' },
  { name: 'a metadata key "tenant"', method: 'POST', path: data('/vectors/upsert'), body: { vectors: [{ id: 'x', values: V, metadata: { tenant: 'globex' } }] }, status: 400, says: 'tenant', action: 'pinecone.upsert' },
  { name: 'a metadata string of 65,537 characters', method: 'POST', path: data('/vectors/upsert'), body: { vectors: [{ id: 'x', values: V, metadata: { a: 'x'.repeat(65_537) } }] }, status: 400, says: 'metadata', action: 'pinecone.upsert' },
  { name: 'a metadata list of 257 strings', method: 'POST', path: data('/vectors/upsert'), body: { vectors: [{ id: 'x', values: V, metadata: { a: Array.from({ length: 257 }, String) } }] }, status: 400, says: 'metadata', action: 'pinecone.upsert' },
  { name: 'metadata of 65 keys', method: 'POST', path: data('/vectors/upsert'), body: { vectors: [{ id: 'x', values: V, metadata: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i])) }] }, status: 400, says: 'metadata', action: 'pinecone.upsert' },
  { name: 'values as nested arrays', method: 'POST', path: data('/vectors/upsert'), body: { vectors: [{ id: 'x', values: [[1], [0], [0], [0]] }] }, status: 400, says: 'values', action: 'pinecone.upsert' },
  { name: 'a namespace that is a number', method: 'POST', path: data('/vectors/upsert'), body: { vectors: [{ id: 'x', values: V }], namespace: 5 }, status: 400, says: 'namespace', action: 'pinecone.upsert' },
  { name: 'sparse values', method: 'POST', path: data('/vectors/upsert'), body: { vectors: [{ id: 'x', values: V, sparseValues: { indices: [0], values: [1] } }] }, status: 400, says: 'sparseValues', action: 'pinecone.upsert' },
  { name: 'a record with a misspelt metadata field', method: 'POST', path: data('/vectors/upsert'), body: { vectors: [{ id: 'x', values: V, meta: { a: 'b' } }] }, status: 400, says: 'vectors[0].meta', action: 'pinecone.upsert' },
  { name: 'an unknown top-level upsert field', method: 'POST', path: data('/vectors/upsert'), body: { vectors: [{ id: 'x', values: V }], tenant: 'globex' }, status: 400, says: 'tenant', action: 'pinecone.upsert' },
  { name: 'a metadata key __proto__', method: 'POST', path: data('/vectors/upsert'), raw: '{"vectors":[{"id":"x","values":[1,0,0,0],"metadata":{"__proto__":{"polluted":1}}}]}', status: 400, action: 'pinecone.upsert' },
  { name: 'a metadata key constructor.prototype', method: 'POST', path: data('/vectors/upsert'), raw: '{"vectors":[{"id":"x","values":[1,0,0,0],"metadata":{"constructor":{"prototype":{"a":1}}}}]}', status: 400, action: 'pinecone.upsert' },
  { name: 'a second record invalid after a valid one', method: 'POST', path: data('/vectors/upsert'), body: { vectors: [{ id: 'partial', values: V }, { id: 'y', values: [1] },] }, status: 400, action: 'pinecone.upsert' },
  // Namespaces crafted to collide with another mapping.
  { name: 'namespace ":"', method: 'POST', path: data('/vectors/upsert'), body: { vectors: [{ id: 'x', values: V }], namespace: ':' }, status: 400, says: 'namespace', action: 'pinecone.upsert' },
  { name: 'namespace "_vg"', method: 'POST', path: data('/vectors/upsert'), body: { vectors: [{ id: 'x', values: V }], namespace: '_vg' }, status: 400, says: 'namespace', action: 'pinecone.upsert' },
  { name: 'namespace "../other"', method: 'POST', path: data('/vectors/upsert'), body: { vectors: [{ id: 'x', values: V }], namespace: '../other' }, status: 400, says: 'namespace', action: 'pinecone.upsert' },
  { name: 'namespace with a slash', method: 'POST', path: data('/vectors/upsert'), body: { vectors: [{ id: 'x', values: V }], namespace: 'a/b' }, status: 400, says: 'namespace', action: 'pinecone.upsert' },
  { name: 'a unicode look-alike namespace', method: 'POST', path: data('/vectors/upsert'), body: { vectors: [{ id: 'x', values: V }], namespace: 'tеam' }, status: 400, says: 'namespace', action: 'pinecone.upsert' },
  { name: 'a namespace past the room the index leaves', method: 'POST', path: data('/vectors/upsert'), body: { vectors: [{ id: 'x', values: V }], namespace: 'n'.repeat(60) }, status: 400, says: 'namespace', action: 'pinecone.upsert' },
  // Query.
  { name: 'query with both vector and id', method: 'POST', path: data('/query'), body: { vector: V, id: 'a', topK: 1 }, status: 400, says: 'id', action: 'pinecone.query' },
  { name: 'query with neither vector nor id', method: 'POST', path: data('/query'), body: { topK: 1 }, status: 400, says: 'vector', action: 'pinecone.query' },
  { name: 'topK 0', method: 'POST', path: data('/query'), body: { vector: V, topK: 0 }, status: 400, says: 'topK', action: 'pinecone.query' },
  { name: 'topK 100000', method: 'POST', path: data('/query'), body: { vector: V, topK: 100000 }, status: 400, says: 'topK', action: 'pinecone.query' },
  { name: 'topK a string', method: 'POST', path: data('/query'), body: { vector: V, topK: '3' }, status: 400, says: 'topK', action: 'pinecone.query' },
  { name: 'topK 1.5', method: 'POST', path: data('/query'), body: { vector: V, topK: 1.5 }, status: 400, says: 'topK', action: 'pinecone.query' },
  { name: '$and that is not a list', method: 'POST', path: data('/query'), body: { vector: V, topK: 1, filter: { $and: { a: 1 } } }, status: 400, says: '$and', action: 'pinecone.query' },
  { name: 'includeValues a string', method: 'POST', path: data('/query'), body: { vector: V, topK: 1, includeValues: 'true' }, status: 400, says: 'includeValues', action: 'pinecone.query' },
  { name: 'includeMetadata a number', method: 'POST', path: data('/query'), body: { vector: V, topK: 1, includeMetadata: 1 }, status: 400, says: 'includeMetadata', action: 'pinecone.query' },
  { name: 'include_values in snake case', method: 'POST', path: data('/query'), body: { vector: V, topK: 1, include_values: true }, status: 400, says: 'include_values: is not a field', action: 'pinecone.query' },
  { name: 'an id that is an object', method: 'POST', path: data('/query'), body: { id: { $ne: 'x' }, topK: 1 }, status: 400, says: /^id: /, action: 'pinecone.query' },
  { name: 'a query vector with a huge value', method: 'POST', path: data('/query'), body: { vector: [1e300, 0, 0, 0], topK: 1 }, status: 400, says: 'vector', action: 'pinecone.query' },
  { name: 'a filter on _vg_tenant', method: 'POST', path: data('/query'), body: { vector: V, topK: 1, filter: { _vg_tenant: 'x' } }, status: 400, says: '_vg_tenant', action: 'pinecone.query' },
  { name: 'a filter on _vg_ns inside $or', method: 'POST', path: data('/query'), body: { vector: V, topK: 1, filter: { $or: [{ genre: 'a' }, { _vg_ns: { $ne: 'x' } }] } }, status: 400, says: '_vg_ns', action: 'pinecone.query' },
  { name: 'a filter on a dotted tenant_id', method: 'POST', path: data('/query'), body: { vector: V, topK: 1, filter: { 'meta.tenant_id': 'globex' } }, status: 400, says: 'tenant_id', action: 'pinecone.query' },
  { name: 'a filter with an unknown operator', method: 'POST', path: data('/query'), body: { vector: V, topK: 1, filter: { genre: { $regex: '.*' } } }, status: 400, says: '$regex', action: 'pinecone.query' },
  { name: 'a filter on the id column', method: 'POST', path: data('/query'), body: { vector: V, topK: 1, filter: { 'id; DROP': 'x' } }, status: 400, action: 'pinecone.query' },
  { name: 'several queries at once', method: 'POST', path: data('/query'), body: { queries: [{ values: V }], topK: 1 }, status: 400, says: 'queries', action: 'pinecone.query' },
  { name: 'a reserved key in the query string', method: 'POST', path: `${data('/query')}?_vg_tenant=globex`, body: { vector: V, topK: 1 }, status: 400, says: '_vg_tenant', action: 'pinecone.query' },
  // Fetch and list.
  { name: 'fetch without ids', method: 'GET', path: data('/vectors/fetch'), status: 400, says: 'ids', action: 'pinecone.fetch' },
  { name: 'fetch of 1,001 ids', method: 'GET', path: `${data('/vectors/fetch')}?${Array.from({ length: 1001 }, (_, i) => `ids=${i}`).join('&')}`, status: 400, says: 'ids', action: 'pinecone.fetch' },
  { name: 'fetch with an unknown query parameter', method: 'GET', path: `${data('/vectors/fetch')}?id=a`, status: 400, says: 'id: is not a field', action: 'pinecone.fetch' },
  { name: 'list with a cursor instead of a paginationToken', method: 'GET', path: `${data('/vectors/list')}?cursor=x`, status: 400, says: 'cursor: is not a field', action: 'pinecone.list' },
  { name: 'list with a garbage paginationToken', method: 'GET', path: `${data('/vectors/list')}?paginationToken=garbage`, status: 400, says: 'paginationToken', action: 'pinecone.list' },
  { name: 'list with a huge paginationToken', method: 'GET', path: `${data('/vectors/list')}?paginationToken=${'A'.repeat(5000)}`, status: 400, says: 'paginationToken', action: 'pinecone.list' },
  { name: 'list with limit "abc"', method: 'GET', path: `${data('/vectors/list')}?limit=abc`, status: 400, says: 'limit', action: 'pinecone.list' },
  { name: 'list with limit 0', method: 'GET', path: `${data('/vectors/list')}?limit=0`, status: 400, says: 'limit', action: 'pinecone.list' },
  { name: 'list with limit 1e2', method: 'GET', path: `${data('/vectors/list')}?limit=1e2`, status: 400, says: 'limit', action: 'pinecone.list' },
  { name: 'list with two limits', method: 'GET', path: `${data('/vectors/list')}?limit=1&limit=2`, status: 400, says: 'limit', action: 'pinecone.list' },
  { name: 'list with two prefixes', method: 'GET', path: `${data('/vectors/list')}?prefix=a&prefix=b`, status: 400, says: 'prefix', action: 'pinecone.list' },
  { name: 'list with two namespaces', method: 'GET', path: `${data('/vectors/list')}?namespace=a&namespace=b`, status: 400, says: 'namespace', action: 'pinecone.list' },
  // Delete.
  { name: 'delete with nothing to delete', method: 'POST', path: data('/vectors/delete'), body: {}, status: 400, action: 'pinecone.delete' },
  { name: 'deleteAll as a string', method: 'POST', path: data('/vectors/delete'), body: { deleteAll: 'true' }, status: 400, says: 'deleteAll', action: 'pinecone.delete' },
  { name: 'deleteAll with ids', method: 'POST', path: data('/vectors/delete'), body: { deleteAll: true, ids: ['a'] }, status: 400, says: 'deleteAll', action: 'pinecone.delete' },
  { name: 'delete with ids not strings', method: 'POST', path: data('/vectors/delete'), body: { ids: [1, 2] }, status: 400, says: 'ids', action: 'pinecone.delete' },
  { name: 'delete_all in snake case', method: 'POST', path: data('/vectors/delete'), body: { delete_all: true }, status: 400, says: 'delete_all', action: 'pinecone.delete' },
  { name: 'delete with an empty filter', method: 'POST', path: data('/vectors/delete'), body: { filter: {} }, status: 400, says: 'deleteAll', action: 'pinecone.delete' },
  // Update.
  { name: 'update without an id', method: 'POST', path: data('/vectors/update'), body: { values: V }, status: 400, says: /^id: /, action: 'pinecone.update' },
  { name: 'update with values of another dimension', method: 'POST', path: data('/vectors/update'), body: { id: 'a', values: [1] }, status: 400, says: /^values: .*dimension/, action: 'pinecone.update' },
  { name: 'update with values as a string', method: 'POST', path: data('/vectors/update'), body: { id: 'a', values: 'x' }, status: 400, says: 'values', action: 'pinecone.update' },
  { name: 'update setting a reserved metadata key', method: 'POST', path: data('/vectors/update'), body: { id: 'a', setMetadata: { _vg_tenant: 'x' } }, status: 400, says: '_vg_tenant', action: 'pinecone.update' },
  { name: 'update with set_metadata in snake case', method: 'POST', path: data('/vectors/update'), body: { id: 'a', set_metadata: { a: 'b' } }, status: 400, says: 'set_metadata', action: 'pinecone.update' },
  { name: 'update with metadata instead of setMetadata', method: 'POST', path: data('/vectors/update'), body: { id: 'a', metadata: { a: 'b' } }, status: 400, says: 'metadata', action: 'pinecone.update' },
  { name: 'update by filter', method: 'POST', path: data('/vectors/update'), body: { filter: { genre: 'x' }, setMetadata: { a: 'b' } }, status: 400, says: 'filter', action: 'pinecone.update' },
  { name: 'update of an id that is not in the namespace', method: 'POST', path: data('/vectors/update'), body: { id: 'a', namespace: 'team', values: V }, status: 404, action: 'pinecone.update' },
  // Stats.
  { name: 'describe_index_stats with a filter', method: 'POST', path: data('/describe_index_stats'), body: { filter: { genre: 'x' } }, status: 400, says: 'filter', action: 'pinecone.describe_index_stats' },
  // Index names crafted to reach another mapping.
  { name: 'an index name in upper case', method: 'GET', path: '/indexes/DOCS', status: 400, action: 'pinecone.describe_index' },
  { name: 'an index name "..', method: 'GET', path: '/indexes/..%2F..', status: 400, action: 'pinecone.describe_index' },
  { name: 'an index name with a percent-encoded slash', method: 'GET', path: '/indexes/docs%2Fteam', status: 400, action: 'pinecone.describe_index' },
  { name: 'an index name with ":"', method: 'GET', path: '/indexes/docs:team', status: 400, action: 'pinecone.describe_index' },
  { name: 'an index name "_vg"', method: 'GET', path: '/indexes/_vg', status: 400, action: 'pinecone.describe_index' },
  { name: 'a unicode look-alike index name', method: 'GET', path: `/indexes/${encodeURIComponent('dоcs')}`, status: 400, action: 'pinecone.describe_index' },
  { name: 'an index name of 46 characters', method: 'GET', path: `/indexes/${'a'.repeat(46)}`, status: 400, action: 'pinecone.describe_index' },
  { name: 'a data call on an index name of 5,000 characters', method: 'POST', path: `/data/${'a'.repeat(5000)}/query`, body: { vector: V, topK: 1 }, status: 400, says: 'name', action: 'pinecone.query' },
  { name: 'a data call on an index name with ":"', method: 'POST', path: '/data/docs:team/query', body: { vector: V, topK: 1 }, status: 400, action: 'pinecone.query' },
  { name: 'createIndex with a name that is a number', method: 'POST', path: '/indexes', body: { name: 5, dimension: 4, metric: 'cosine', spec: SPEC }, status: 400, says: 'name', action: 'pinecone.create_index' },
  { name: 'createIndex with dimension as a string', method: 'POST', path: '/indexes', body: { name: 'strdim', dimension: '4', metric: 'cosine', spec: SPEC }, status: 400, says: 'dimension', action: 'pinecone.create_index' },
  { name: 'createIndex with another metric', method: 'POST', path: '/indexes', body: { name: 'dot', dimension: 4, metric: 'dotproduct', spec: SPEC }, status: 400, says: 'metric', action: 'pinecone.create_index' },
  { name: 'createIndex with a tenant_id', method: 'POST', path: '/indexes', body: { name: 'x', dimension: 4, metric: 'cosine', spec: SPEC, tenant_id: 'globex' }, status: 400, says: 'tenant_id', action: 'pinecone.create_index' },
  { name: 'createIndex with a field Pinecone does not define', method: 'POST', path: '/indexes', body: { name: 'unknown', dimension: 4, metric: 'cosine', spec: SPEC, replicas: 2 }, status: 400, says: /^replicas: is not a field of this call \(it takes name, dimension, metric, deletion_protection, tags, spec, vector_type\)$/, action: 'pinecone.create_index' },
  { name: 'createIndex with deletionProtection in camel case', method: 'POST', path: '/indexes', body: { name: 'camel', dimension: 4, metric: 'cosine', spec: SPEC, deletionProtection: 'enabled' }, status: 400, says: /^deletionProtection: is not a field/, action: 'pinecone.create_index' },
  { name: 'createIndex with every field the SDKs send', method: 'POST', path: '/indexes', body: { name: 'full', dimension: 4, metric: 'cosine', spec: SPEC, tags: { team: 'a' }, deletion_protection: 'disabled', vector_type: 'dense' }, status: 201, action: 'pinecone.create_index' },
  // Namespace operations.
  { name: 'createNamespace named "_vg"', method: 'POST', path: data('/namespaces'), body: { name: '_vg' }, status: 400, says: /^name: must be 1 to 59 letters, digits and _ \. : @ - starting with a letter or digit/, action: 'pinecone.create_namespace' },
  { name: 'createNamespace named "_x"', method: 'POST', path: data('/namespaces'), body: { name: '_x' }, status: 400, says: /^name: must be 1 to 59 /, action: 'pinecone.create_namespace' },
  { name: 'createNamespace named with a number', method: 'POST', path: data('/namespaces'), body: { name: 3 }, status: 400, says: /^name: must be a string$/, action: 'pinecone.create_namespace' },
  { name: 'createNamespace named "__default__"', method: 'POST', path: data('/namespaces'), body: { name: '__default__' }, status: 400, says: /^name: must name a namespace other than the default$/, action: 'pinecone.create_namespace' },
  { name: 'listNamespaces with limit 0', method: 'GET', path: `${data('/namespaces')}?limit=0`, status: 400, says: /^limit: limit must be an integer from 1 to 1000$/, action: 'pinecone.list_namespaces' },
  { name: 'listNamespaces with limit -1', method: 'GET', path: `${data('/namespaces')}?limit=-1`, status: 400, says: /^limit: /, action: 'pinecone.list_namespaces' },
  { name: 'listNamespaces with limit "abc"', method: 'GET', path: `${data('/namespaces')}?limit=abc`, status: 400, says: /^limit: /, action: 'pinecone.list_namespaces' },
  { name: 'listNamespaces with limit 1001', method: 'GET', path: `${data('/namespaces')}?limit=1001`, status: 400, says: /^limit: /, action: 'pinecone.list_namespaces' },
  { name: 'listNamespaces with limit 1e2', method: 'GET', path: `${data('/namespaces')}?limit=1e2`, status: 400, says: /^limit: /, action: 'pinecone.list_namespaces' },
  { name: 'listNamespaces with two limits', method: 'GET', path: `${data('/namespaces')}?limit=1&limit=2`, status: 400, says: /^limit: /, action: 'pinecone.list_namespaces' },
  { name: 'listNamespaces with two prefixes', method: 'GET', path: `${data('/namespaces')}?prefix=a&prefix=b`, status: 400, says: /^prefix: /, action: 'pinecone.list_namespaces' },
  { name: 'listNamespaces with a garbage paginationToken', method: 'GET', path: `${data('/namespaces')}?paginationToken=garbage`, status: 400, says: /^paginationToken: the paginationToken is not one of this listing/, action: 'pinecone.list_namespaces' },
  { name: 'listNamespaces with a cursor instead of a paginationToken', method: 'GET', path: `${data('/namespaces')}?cursor=x`, status: 400, says: /^cursor: is not a field of this call \(it takes limit, paginationToken, prefix\)$/, action: 'pinecone.list_namespaces' },
  { name: 'listNamespaces with a limit and a prefix', method: 'GET', path: `${data('/namespaces')}?limit=1&prefix=te`, status: 200, action: 'pinecone.list_namespaces' },
  { name: 'describeNamespace of a percent-encoded path', method: 'GET', path: data('/namespaces/..%2F..'), status: 400, says: 'namespace', action: 'pinecone.describe_namespace' },
  { name: 'deleteNamespace of an unknown namespace, named as sent', method: 'DELETE', path: data('/namespaces/nope'), status: 404, says: 'namespace "nope" not found', action: 'pinecone.delete_namespace' },
  { name: 'describeNamespace of an unknown namespace', method: 'GET', path: data('/namespaces/nope'), status: 404, says: 'namespace "nope" not found', action: 'pinecone.describe_namespace' },
  { name: 'a data call on an index the tenant does not have', method: 'POST', path: '/data/nope/query', body: { vector: V, topK: 1 }, status: 404, says: 'index "nope" not found', action: 'pinecone.query' },
  // Headers and roles.
  { name: 'an X-Tenant-Id header', method: 'POST', path: data('/query'), body: { vector: V, topK: 1 }, headers: { 'x-tenant-id': 'globex' }, status: 400, action: 'pinecone.query' },
  { name: 'a tenant-id header', method: 'GET', path: data('/vectors/fetch?ids=a'), headers: { 'tenant-id': 'globex' }, status: 400, action: 'pinecone.fetch' },
  { name: 'an x-tenant header', method: 'GET', path: '/indexes', headers: { 'x-tenant': 'globex' }, status: 400, action: 'pinecone.list_indexes' },
  { name: 'a platform admin token on the data plane', as: 'none', method: 'POST', path: data('/query'), body: { vector: V, topK: 1 }, headers: { authorization: 'platform' }, status: 403, action: 'pinecone.query' },
  { name: 'an expired JWT', as: 'none', method: 'GET', path: '/indexes', headers: { authorization: 'expired' }, status: 401, says: 'expired', action: 'pinecone.list_indexes' },
  { name: 'a reader upserting', as: 'reader', method: 'POST', path: data('/vectors/upsert'), body: { vectors: [{ id: 'r', values: V }] }, status: 403, says: 'writer', action: 'pinecone.upsert' },
  { name: 'a reader deleting all', as: 'reader', method: 'POST', path: data('/vectors/delete'), body: { deleteAll: true }, status: 403, action: 'pinecone.delete' },
  { name: 'a reader updating', as: 'reader', method: 'POST', path: data('/vectors/update'), body: { id: 'a', values: V }, status: 403, action: 'pinecone.update' },
  { name: 'a reader creating an index', as: 'reader', method: 'POST', path: '/indexes', body: { name: 'byreader', dimension: 4, metric: 'cosine', spec: SPEC }, status: 403, action: 'pinecone.create_index' },
  { name: 'a reader deleting an index', as: 'reader', method: 'DELETE', path: '/indexes/docs', status: 403, action: 'pinecone.delete_index' },
  { name: 'a reader deleting a namespace', as: 'reader', method: 'DELETE', path: data('/namespaces/team'), status: 403, action: 'pinecone.delete_namespace' },
  { name: 'a reader creating a namespace', as: 'reader', method: 'POST', path: data('/namespaces'), body: { name: 'r' }, status: 403, action: 'pinecone.create_namespace' },
  { name: 'no credential', as: 'none', method: 'POST', path: data('/query'), body: { vector: V, topK: 1 }, status: 401, action: 'pinecone.query' },
  // What holds for a well-formed call.
  { name: 'query by the id of a record only another tenant has', method: 'POST', path: data('/query'), body: { id: 'globex-only', topK: 5 }, status: 200, action: 'pinecone.query' },
  { name: 'describe the default namespace by its alias', method: 'GET', path: data('/namespaces/__default__'), status: 200, action: 'pinecone.describe_namespace' },
];

describe('Pinecone dialect under attack', () => {
  let lg: ListeningGateway;
  let keys: Record<Exclude<Who, 'none'>, string>;

  const call = async (
    method: string,
    path: string,
    options: { body?: unknown; raw?: string; headers?: Record<string, string>; key?: string },
  ): Promise<Answer> => {
    const headers: Record<string, string> = { ...options.headers };
    const symbolic = headers.authorization;
    if (symbolic === 'platform' || symbolic === 'expired')
      headers.authorization = `Bearer ${tokenOf(symbolic)}`;
    if (options.key) headers['api-key'] = options.key;
    let body: string | undefined = options.raw;
    if (body === undefined && options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${lg.base}/pinecone${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      parsed = {};
    }
    return {
      status: response.status,
      body: parsed,
      text,
      requestId: response.headers.get('x-request-id') ?? '',
    };
  };

  /** Tokens a case names symbolically, since the table is built before the gateway starts. */
  const tokenOf = (name: 'platform' | 'expired'): string => {
    const { tokens } = lg.gw;
    if (name === 'platform') return tokens.platform();
    return tokens.tenant('acme', ['reader'], { exp: Math.floor(Date.now() / 1000) - 3600 });
  };

  const eventsOf = async (
    requestId: string,
  ): Promise<{ action: string; status: number; resource: string }[]> => {
    await lg.gw.flushAudit();
    const response = await lg.gw.http
      .get('/v1/admin/audit')
      .query({ requestId })
      .set(bearer(lg.gw.tokens.platform(['auditor'])));
    return (response.body as { items: { action: string; status: number; resource: string }[] })
      .items;
  };

  const acmeDocs = (): ReturnType<Pinecone['index']> =>
    new Pinecone({ apiKey: keys.acme, controllerHostUrl: `${lg.base}/pinecone` }).index({
      name: 'docs',
    });

  /** describe_index_stats of an index, as `who` sees it. */
  const statsOf = async (key: string, index = 'docs'): Promise<Record<string, unknown>> =>
    (await call('POST', `/data/${index}/describe_index_stats`, { key, body: {} })).body;

  /** Creates an index of the tenants' space with this key; the answer's status must be 201. */
  const createIndex = async (key: string, name: string): Promise<void> => {
    const made = await call('POST', '/indexes', {
      key,
      body: { name, dimension: 4, metric: 'cosine', spec: SPEC },
    });
    expect(made.status).toBe(201);
  };

  beforeAll(async () => {
    lg = await startListening();
    keys = {
      acme: await tenantWithKey(lg.gw, { id: 'acme', dimension: 4, metric: 'cosine' }),
      globex: await tenantWithKey(lg.gw, { id: 'globex', dimension: 4, metric: 'cosine' }),
      reader: '',
    };
    keys.reader = await keyFor(lg.gw, 'acme', ['reader']);
    for (const key of [keys.acme, keys.globex]) await createIndex(key, 'docs');
    const seed = async (key: string, namespace: string, ids: string[]): Promise<void> => {
      const owner = key === keys.acme ? 'acme' : 'globex';
      const vectors = ids.map((id) => ({ id, values: V, metadata: { owner } }));
      const written = await call('POST', data('/vectors/upsert'), {
        key,
        body: { vectors, namespace },
      });
      expect(written.status).toBe(200);
    };
    await seed(keys.acme, '', ['a', 'b', 'same']);
    await seed(keys.acme, 'team', ['t1']);
    await seed(keys.globex, '', ['globex-only', 'same']);
  }, 60_000);

  afterAll(async () => {
    await lg?.gw.close(true);
  });

  it.each(CASES.map((c) => [c.name, c] as const))(
    'answers %s with its 4xx (or 200) in Pinecone’s shape, audited once',
    async (_name, c) => {
      const answer = await call(c.method, c.path, {
        body: c.body,
        raw: c.raw,
        headers: c.headers,
        key: c.as === 'none' ? undefined : keys[c.as ?? 'acme'],
      });
      expect({ status: answer.status, text: answer.text.slice(0, 300) }).toEqual({
        status: c.status,
        text: expect.any(String),
      });
      if (c.status >= 400) {
        const controlPlane = c.path.startsWith('/indexes');
        const message = controlPlane
          ? (answer.body.error as { message?: string } | undefined)?.message
          : answer.body.message;
        expect(typeof message).toBe('string');
        if (!controlPlane)
          expect(answer.body).toMatchObject({ code: expect.any(Number), details: [] });
        if (c.says) expect(message).toMatch(c.says);
      }
      const events = await eventsOf(answer.requestId);
      expect(events.map((e) => [e.action, e.status])).toEqual([[c.action, c.status]]);
      // The trail holds a checked index name or the route template, never other caller text.
      expect(events[0]?.resource).toMatch(CHECKED_RESOURCE);
    },
  );

  it('left no record of a refused batch behind (all or nothing)', async () => {
    const fetched = await call('GET', `${data('/vectors/fetch')}?ids=partial&ids=x&ids=y`, {
      key: keys.acme,
    });
    expect(fetched.body.vectors).toEqual({});
  });

  it('pages namespaces with a real token, and takes no other listing’s token for one', async () => {
    const first = await call('GET', `${data('/namespaces')}?limit=1`, { key: keys.acme });
    expect(first.body).toEqual({
      namespaces: [{ name: '__default__', record_count: 3 }],
      pagination: { next: expect.any(String) },
      total_count: 2,
    });
    const token = (first.body.pagination as { next: string }).next;
    const second = await call('GET', `${data('/namespaces')}?limit=1&paginationToken=${token}`, {
      key: keys.acme,
    });
    expect(second.body).toEqual({
      namespaces: [{ name: 'team', record_count: 1 }],
      total_count: 2,
    });
    // The same token from another tenant, and a token of the index's own `vectors/list`.
    const foreign = await call('GET', `${data('/namespaces')}?paginationToken=${token}`, {
      key: keys.globex,
    });
    const listed = await call('GET', `${data('/vectors/list')}?limit=1`, { key: keys.acme });
    const idToken = (listed.body.pagination as { next: string }).next;
    const mixed = await call('GET', `${data('/namespaces')}?paginationToken=${idToken}`, {
      key: keys.acme,
    });
    for (const refused of [foreign, mixed])
      expect([refused.status, refused.body.message]).toEqual([
        400,
        expect.stringMatching(/^paginationToken: /),
      ]);
  });

  it('never answers another tenant’s record for an equal index name and id', async () => {
    const acme = await call('GET', `${data('/vectors/fetch')}?ids=same&ids=globex-only`, {
      key: keys.acme,
    });
    const globex = await call('GET', `${data('/vectors/fetch')}?ids=same&ids=a`, {
      key: keys.globex,
    });
    expect(acme.body.vectors).toEqual({
      same: { id: 'same', values: V, metadata: { owner: 'acme' } },
    });
    expect(globex.body.vectors).toEqual({
      same: { id: 'same', values: V, metadata: { owner: 'globex' } },
    });
    // Unfiltered, and with a filter that any record matches, only the caller's records come back.
    const everything = { $or: [{ owner: { $exists: false } }, { owner: { $exists: true } }] };
    for (const filter of [undefined, everything]) {
      const query = await call('POST', data('/query'), {
        key: keys.globex,
        body: { vector: V, topK: 1000, includeMetadata: true, filter },
      });
      const matches = query.body.matches as { id: string; metadata: { owner: string } }[];
      expect(matches.map((m) => [m.id, m.metadata.owner]).sort()).toEqual([
        ['globex-only', 'globex'],
        ['same', 'globex'],
      ]);
    }
    // Filter keys name metadata, never the record's id or its tenant column.
    const byIdField = await call('POST', data('/query'), {
      key: keys.acme,
      body: { vector: V, topK: 10, filter: { id: { $eq: 'a' } } },
    });
    expect(byIdField.body.matches).toEqual([]);
  });

  it('refuses a paginationToken of another tenant or another namespace', async () => {
    const first = await call('GET', `${data('/vectors/list')}?limit=1`, { key: keys.acme });
    const token = (first.body.pagination as { next: string }).next;
    expect(typeof token).toBe('string');
    const foreign = await call('GET', `${data('/vectors/list')}?paginationToken=${token}`, {
      key: keys.globex,
    });
    expect(foreign.status).toBe(400);
    const otherNamespace = await call(
      'GET',
      `${data('/vectors/list')}?namespace=team&paginationToken=${token}`,
      { key: keys.acme },
    );
    expect(otherNamespace.status).toBe(400);
    expect(otherNamespace.body.message).toContain('paginationToken');
  });

  it('fetches an id named __proto__ like any other', async () => {
    const index = acmeDocs().namespace('proto');
    await index.upsert({
      records: [
        { id: '__proto__', values: V },
        { id: 'constructor', values: V },
      ],
    });
    const raw = await call(
      'GET',
      `${data('/vectors/fetch')}?ids=__proto__&ids=constructor&namespace=proto`,
      {
        key: keys.acme,
      },
    );
    expect(raw.text).toContain('"__proto__":{"id":"__proto__"');
    expect(Object.keys(raw.body.vectors as object).sort()).toEqual(['__proto__', 'constructor']);
    await index.deleteNamespace('proto');
  });

  it('empties only its own index and namespace on deleteAll, and counts only its own', async () => {
    await createIndex(keys.acme, 'other');
    await call('POST', '/data/other/vectors/upsert', {
      key: keys.acme,
      body: { vectors: [{ id: 'o', values: V }] },
    });
    // A v1 namespace of the form <index>:<ns> is the same place, never another tenant's.
    const v1 = await lg.gw.http
      .put('/v1/vectors')
      .set({ 'api-key': keys.acme })
      .send({ namespace: 'docs:wipe', vectors: [{ id: 'w', values: V }] });
    expect(v1.status).toBe(200);
    expect(await statsOf(keys.acme)).toMatchObject({
      namespaces: {
        __default__: { vectorCount: 3 },
        team: { vectorCount: 1 },
        wipe: { vectorCount: 1 },
      },
      totalVectorCount: 5,
    });
    const wiped = await call('POST', data('/vectors/delete'), {
      key: keys.acme,
      body: { deleteAll: true, namespace: 'wipe' },
    });
    expect(wiped.status).toBe(200);
    expect((await statsOf(keys.acme)).totalVectorCount).toBe(4);
    expect(await statsOf(keys.globex)).toMatchObject({
      namespaces: { __default__: { vectorCount: 2 } },
      totalVectorCount: 2,
    });
    expect((await statsOf(keys.acme, 'other')).totalVectorCount).toBe(1);
    // deleteAll on the default namespace leaves the index's other namespaces and indexes be.
    await call('POST', data('/vectors/delete'), { key: keys.acme, body: { deleteAll: true } });
    expect(await statsOf(keys.acme)).toMatchObject({
      namespaces: { team: { vectorCount: 1 } },
      totalVectorCount: 1,
    });
    expect((await statsOf(keys.acme, 'other')).totalVectorCount).toBe(1);
    // The default namespace's records again, for the cases after this one.
    const vectors = ['a', 'b', 'same'].map((id) => ({
      id,
      values: V,
      metadata: { owner: 'acme' },
    }));
    await call('POST', data('/vectors/upsert'), { key: keys.acme, body: { vectors } });
    // globex has no index "other": the same path is a 404, whatever acme holds there.
    const probe = await call('POST', '/data/other/describe_index_stats', {
      key: keys.globex,
      body: {},
    });
    expect(probe.status).toBe(404);
  });

  it('does not merge v1 namespaces "<index>:" or "<index>:__default__" into the index’s default', async () => {
    await createIndex(keys.acme, 'merge');
    const v1 = async (namespace: string, ids: string[]): Promise<void> => {
      const vectors = ids.map((id) => ({ id, values: V }));
      const put = await lg.gw.http
        .put('/v1/vectors')
        .set({ 'api-key': keys.acme })
        .send({ namespace, vectors });
      expect(put.status).toBe(200);
    };
    await v1('merge', ['d1']);
    await v1('merge:', ['e1', 'e2']);
    await v1('merge:__default__', ['f1', 'f2', 'f3']);
    expect(await statsOf(keys.acme, 'merge')).toMatchObject({
      namespaces: { __default__: { vectorCount: 1 } },
      totalVectorCount: 1,
    });
    const listed = await call('GET', '/data/merge/namespaces', { key: keys.acme });
    expect(listed.body).toEqual({
      namespaces: [{ name: '__default__', record_count: 1 }],
      total_count: 1,
    });
    const described = await call('GET', '/data/merge/namespaces/__default__', { key: keys.acme });
    expect(described.body).toEqual({ name: '__default__', record_count: 1 });
    expect((await call('DELETE', '/indexes/merge', { key: keys.acme })).status).toBe(202);
    for (const name of ['merge:', 'merge:__default__'])
      await lg.gw.http
        .delete(`/v1/namespaces/${encodeURIComponent(name)}`)
        .set({ 'api-key': keys.acme });
  });

  it('refuses two credentials of different tenants, a repeated key and a revoked key', async () => {
    const both = await call('GET', '/indexes', {
      key: keys.acme,
      headers: bearer(lg.gw.tokens.tenant('globex', ['reader'])),
    });
    expect(both.status).toBe(401);
    expect(both.body).toMatchObject({
      error: { message: expect.stringContaining('two different credentials') },
    });
    const repeated = await fetch(`${lg.base}/pinecone/indexes`, {
      headers: [
        ['api-key', keys.acme],
        ['api-key', keys.globex],
      ],
    });
    expect(repeated.status).toBe(401);
    const created = await lg.gw.http
      .post('/v1/admin/tenants/acme/api-keys')
      .set(bearer(lg.gw.tokens.platform()))
      .send({ name: 'short-lived', roles: ['reader'] });
    const { id, key } = created.body as { id: string; key: string };
    expect((await call('GET', '/indexes', { key })).status).toBe(200);
    await lg.gw.http
      .delete(`/v1/admin/tenants/acme/api-keys/${id}`)
      .set(bearer(lg.gw.tokens.platform()))
      .expect(204);
    const revoked = await call('GET', '/indexes', { key });
    expect(revoked.status).toBe(401);
    expect(revoked.body).toMatchObject({ error: { code: 'UNAUTHENTICATED' }, status: 401 });
  });

  it('round-trips ids with odd characters through upsert, fetch, query, list and delete', async () => {
    const index = acmeDocs().namespace('odd');
    const ids = [
      'a/b',
      '../x',
      'q?x=1&y',
      'h#frag',
      '100%',
      'sp ace',
      'ünï',
      '🙂',
      '"quoted"',
      ':',
    ];
    await index.upsert({ records: ids.map((id) => ({ id, values: V })) });
    expect(Object.keys((await index.fetch({ ids })).records).sort()).toEqual([...ids].sort());
    const byId = await index.query({ id: '../x', topK: 20 });
    expect(byId.matches.map((m) => m.id).sort()).toEqual([...ids].sort());
    const listed = await index.listPaginated({ limit: 100 });
    expect((listed.vectors ?? []).map((v) => v.id).sort()).toEqual([...ids].sort());
    await index.deleteMany({ ids });
    expect((await index.fetch({ ids })).records).toEqual({});
    await index.deleteNamespace('odd');
  });

  it('keeps a namespace named like a v1 pair ("docs:team") apart from the namespace "team"', async () => {
    const docs = acmeDocs();
    await docs.namespace('docs:team').upsert({ records: [{ id: 't1', values: [0, 1, 0, 0] }] });
    const inTeam = await docs.namespace('team').fetch({ ids: ['t1'] });
    const inPair = await docs.namespace('docs:team').fetch({ ids: ['t1'] });
    expect(inTeam.records.t1?.values).toEqual(V);
    expect(inPair.records.t1?.values).toEqual([0, 1, 0, 0]);
    const v1 = await lg.gw.http.get('/v1/namespaces').set({ 'api-key': keys.acme });
    const names = (v1.body as { items: { name: string }[] }).items.map((n) => n.name);
    expect(names).toEqual(expect.arrayContaining(['docs:team', 'docs:docs:team']));
    await docs.deleteNamespace('docs:team');
    expect(Object.keys((await docs.namespace('team').fetch({ ids: ['t1'] })).records)).toEqual([
      't1',
    ]);
  });

  it('lists by a literal prefix: % _ * are characters, not wildcards', async () => {
    const index = acmeDocs().namespace('prefix');
    const ids = ['ab', 'a_c', 'a%d', 'a*', 'xyz'];
    await index.upsert({ records: ids.map((id) => ({ id, values: V })) });
    const listed = async (prefix: string): Promise<string[]> =>
      ((await index.listPaginated({ prefix })).vectors ?? []).map((v) => v.id ?? '');
    expect(await listed('%')).toEqual([]);
    expect(await listed('_')).toEqual([]);
    expect(await listed('a_')).toEqual(['a_c']);
    expect(await listed('a%')).toEqual(['a%d']);
    expect(await listed('a*')).toEqual(['a*']);
    await index.deleteNamespace('prefix');
  });

  it('keeps namespaces that differ only in case or look-alike apart', async () => {
    const docs = acmeDocs();
    await docs.namespace('Case').upsert({ records: [{ id: 'upper', values: V }] });
    await docs.namespace('case').upsert({ records: [{ id: 'lower', values: V }] });
    expect(
      Object.keys((await docs.namespace('Case').fetch({ ids: ['upper', 'lower'] })).records),
    ).toEqual(['upper']);
    expect(
      Object.keys((await docs.namespace('case').fetch({ ids: ['upper', 'lower'] })).records),
    ).toEqual(['lower']);
    await docs.deleteNamespace('Case');
    await docs.deleteNamespace('case');
  });

  it('keeps the index when its default namespace is deleted, and another tenant’s index when one is', async () => {
    await createIndex(keys.acme, 'gone');
    await createIndex(keys.globex, 'gone');
    const write = { vectors: [{ id: 'g', values: V }] };
    await call('POST', '/data/gone/vectors/upsert', { key: keys.acme, body: write });
    await call('POST', '/data/gone/vectors/upsert', { key: keys.globex, body: write });
    const emptied = await call('DELETE', '/data/gone/namespaces/__default__', { key: keys.acme });
    expect(emptied.status).toBe(202);
    expect((await call('GET', '/indexes/gone', { key: keys.acme })).status).toBe(200);
    const fetched = await call('GET', '/data/gone/vectors/fetch?ids=g', { key: keys.acme });
    expect(fetched.body.vectors).toEqual({});
    expect((await call('DELETE', '/indexes/gone', { key: keys.acme })).status).toBe(202);
    expect((await call('GET', '/indexes/gone', { key: keys.acme })).status).toBe(404);
    const theirs = await call('GET', '/data/gone/vectors/fetch?ids=g', { key: keys.globex });
    expect(Object.keys(theirs.body.vectors as object)).toEqual(['g']);
  });

  it('hands out hosts from its own address whatever Host or X-Forwarded-* say', async () => {
    const spoofed = {
      host: 'evil.example',
      'x-forwarded-host': 'evil.example',
      'x-forwarded-proto': 'https',
      forwarded: 'host=evil.example;proto=https',
    };
    const listed = await call('GET', '/indexes', { key: keys.acme, headers: spoofed });
    const hosts = (listed.body.indexes as { host: string }[]).map((i) => i.host);
    expect(hosts.length).toBeGreaterThan(0);
    expect(hosts.every((h) => h.startsWith(`${lg.base}/pinecone/data/`))).toBe(true);
    const made = await call('POST', '/indexes', {
      key: keys.acme,
      headers: spoofed,
      body: { name: 'hosted', dimension: 4, metric: 'cosine', spec: SPEC },
    });
    expect(made.body.host).toBe(`${lg.base}/pinecone/data/hosted`);
    await call('DELETE', '/indexes/hosted', { key: keys.acme });
  });

  it('raises a 4xx from the SDK once, without a retry', async () => {
    lg.resetCount();
    await expect(
      acmeDocs().query({ vector: V, topK: 1, includeValues: 'yes' as unknown as boolean }),
    ).rejects.toBeInstanceOf(Errors.PineconeBadRequestError);
    expect(lg.requestsTo('/pinecone/data/docs/query')).toBe(1);
    const ids = Array.from({ length: 1001 }, (_, i) => `f${i}`);
    await expect(acmeDocs().fetch({ ids })).rejects.toThrow('at most 1000 ids');
    expect(lg.requestsTo('/pinecone/data/docs/vectors/fetch')).toBe(1);
    await expect(
      acmeDocs()
        .namespace('a/b')
        .fetch({ ids: ['a'] }),
    ).rejects.toBeInstanceOf(Errors.PineconeBadRequestError);
    expect(lg.requestsTo('/pinecone/data/docs/vectors/fetch')).toBe(2);
  });
});
