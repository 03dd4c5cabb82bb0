import { BadRequestError } from '@vecgate/core';
import { DEFAULT_NAMESPACE_ALIAS, MAX_NAMESPACE_LENGTH } from '@vecgate/isolation';

/** Pinecone's index name rule: lowercase letters, digits and `-`, at most 45 characters. */
export const INDEX_NAME = /^[a-z0-9](?:[a-z0-9-]{0,43}[a-z0-9])?$/;
/** What a Pinecone namespace may hold here: the alphabet of vecgate namespaces. */
const PINECONE_NAMESPACE = /^[A-Za-z0-9][A-Za-z0-9_.:@-]*$/;
/** Separates the index from the Pinecone namespace; index names never contain it. */
const SEPARATOR = ':';

/** What a namespace other than the default leaves of the 64 characters: the index and `:`. */
const roomIn = (index: string): number => MAX_NAMESPACE_LENGTH - index.length - SEPARATOR.length;

const fitsIn = (index: string, namespace: string): boolean =>
  PINECONE_NAMESPACE.test(namespace) && namespace.length <= roomIn(index);

/** The rule a namespace other than the default follows in `index`, as refusals state it. */
function namedRule(index: string): string {
  const room = roomIn(index);
  return (
    `1 to ${room} letters, digits and _ . : @ - starting with a letter or digit ` +
    `(index "${index}" leaves ${room} characters)`
  );
}

/**
 * Where a Pinecone (index, namespace) pair lives among the tenant's vecgate namespaces: the
 * index's default namespace is the vecgate namespace named like the index (`docs`), and its
 * namespace `x` is `docs:x`. Index names hold no `:`, so the pair is read back unambiguously;
 * a pair whose name would pass the vecgate limit of 64 characters is refused, never shortened.
 */
export function vecgateNamespace(index: string, namespace: string): string {
  if (namespace === '' || namespace === DEFAULT_NAMESPACE_ALIAS) return index;
  if (!fitsIn(index, namespace)) {
    throw new BadRequestError(
      `namespace must be "", "${DEFAULT_NAMESPACE_ALIAS}" or ${namedRule(index)}`,
      'namespace',
    );
  }
  return `${index}${SEPARATOR}${namespace}`;
}

/**
 * The `name` of a createNamespace: a namespace other than the default (which every index has),
 * refused with 400 naming `name`, the field the client sent, not the `namespace` of data calls.
 */
export function createdNamespaceName(index: string, name: unknown): string {
  if (typeof name !== 'string') throw new BadRequestError('must be a string', 'name');
  if (name === '' || name === DEFAULT_NAMESPACE_ALIAS)
    throw new BadRequestError('must name a namespace other than the default', 'name');
  if (!fitsIn(index, name)) throw new BadRequestError(`must be ${namedRule(index)}`, 'name');
  return name;
}

/** The index named in a path, by Pinecone's rule (400 otherwise). */
export function indexName(value: unknown, field = 'name'): string {
  if (typeof value !== 'string' || !INDEX_NAME.test(value)) {
    throw new BadRequestError(
      'an index name is 1 to 45 lowercase letters, digits and "-", starting and ending with a ' +
        'letter or digit',
      field,
    );
  }
  return value;
}

/**
 * The Pinecone namespace a vecgate namespace of `index` holds, or undefined if none. Only a
 * name `vecgateNamespace` makes counts: v1 can also name `docs:` or `docs:__default__`, which
 * would otherwise read back as the index's default namespace and be counted in its place.
 */
export function pineconeNamespace(index: string, vecgate: string): string | undefined {
  if (vecgate === index) return '';
  const prefix = `${index}${SEPARATOR}`;
  if (!vecgate.startsWith(prefix)) return undefined;
  const namespace = vecgate.slice(prefix.length);
  return PINECONE_NAMESPACE.test(namespace) ? namespace : undefined;
}

/** Whether a vecgate namespace is an index (its default namespace). */
export function isIndexNamespace(vecgate: string): boolean {
  return INDEX_NAME.test(vecgate);
}
