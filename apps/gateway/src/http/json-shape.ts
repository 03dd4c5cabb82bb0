import { BadRequestError, PayloadTooLargeError, VecgateError } from '@vecgate/core';
import { LIMITS } from '@vecgate/search';

/**
 * JSON nodes (objects, arrays, keys) one record of a maximal write may bring on average: its
 * object, values array and metadata object with their keys take 6, its metadata at most 64
 * top-level keys, which leaves 58 for nested arrays, objects and their keys. Qdrant's points
 * and batch forms and Pinecone's upsert take no more per record. Keys cost the most after the
 * parse (each is checked against the reserved names): at 256 per record, a body of distinct
 * keys held the event loop longer than a legitimate 16 MiB write of vectors. Records with
 * denser metadata are sent in smaller batches: the bound is per body, not per record.
 */
export const NODES_PER_RECORD = 128;
/** `MAX_BODY_NODES` unless set: 128,000, a write of the largest batch at NODES_PER_RECORD. */
export const DEFAULT_MAX_BODY_NODES = LIMITS.maxBatch * NODES_PER_RECORD;
/**
 * Nesting of a body: a v1 write reaches 7 levels with metadata at its deepest, a Qdrant filter
 * of the filter depth limit about 16; the reserved-key walk after the parse refuses past 33.
 */
export const MAX_BODY_DEPTH = 32;
/**
 * Characters of one object key as sent (escapes counted as written). No key vecgate takes is
 * near it (metadata keys and filter fields are at most 128 characters, four segments of them
 * with dots as Qdrant key paths); a longer key would only make the reserved-key check (NFKC,
 * per dotted segment) work through it.
 */
export const MAX_KEY_LENGTH = 1024;

/**
 * What a JSON body may hold before it is parsed. `JSON.parse` allocates one object per `{`,
 * one array per `[` and one property per key: a body of a few MiB of `{},{},...` costs seconds
 * of event loop, where the same bytes of numbers cost a fraction of that.
 */
export interface JsonShapeBounds {
  /** Objects, arrays and object keys in all. */
  readonly maxNodes: number;
  /** Objects and arrays open at once. */
  readonly maxDepth: number;
  /** Characters of one key, as sent. */
  readonly maxKeyLength: number;
}

/** The first bound a body passes, and where. */
export interface JsonShapeExcess {
  readonly bound: 'nodes' | 'depth' | 'key';
  readonly limit: number;
  /** Offset in the text of the character that passed it. */
  readonly at: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
/** `,` `-` `.` `/` and the digits: the bulk of a body of vectors, none of them structural. */
const NUMBER_FIRST = 0x2c;
const NUMBER_LAST = 0x39;
/**
 * What follows the `[` of a vector: numbers, commas and whitespace, skipped in one native match
 * instead of a character at a time (a 16 MiB body of vectors is a few hundred such runs).
 */
const NUMBER_RUN = /[-+.,0-9eE \t\n\r]*/y;

/**
 * One pass over the raw text, before any parse: counts objects and arrays (`{`, `[`) and keys
 * (a `:` outside a string; every object member has exactly one), tracks how deep they nest, and
 * stops at the first bound passed. Strings are skipped whole, escapes included, so braces or
 * colons in values count for nothing. Malformed text is not judged here: what the parse would
 * reach of it is counted the same way, and the parse refuses it.
 */
export function jsonShapeExcess(
  text: string,
  bounds: JsonShapeBounds,
): JsonShapeExcess | undefined {
  const { maxNodes, maxDepth, maxKeyLength } = bounds;
  const length = text.length;
  let nodes = 0;
  let depth = 0;
  // The last string's length: a key when a colon follows it.
  let stringLength = 0;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c >= NUMBER_FIRST && c <= NUMBER_LAST) continue;
    if (c === QUOTE) {
      const close = closingQuote(text, i);
      stringLength = close - i - 1;
      i = close;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++nodes > maxNodes) return { bound: 'nodes', limit: maxNodes, at: i };
      if (++depth > maxDepth) return { bound: 'depth', limit: maxDepth, at: i };
      if (c === OPEN_ARRAY) i = numberRunEnd(text, i + 1) - 1;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
    } else if (c === COLON) {
      if (++nodes > maxNodes) return { bound: 'nodes', limit: maxNodes, at: i };
      if (stringLength > maxKeyLength) return { bound: 'key', limit: maxKeyLength, at: i };
    }
  }
  return undefined;
}

/** The offset of the first character at or after `from` that cannot be part of a number list. */
function numberRunEnd(text: string, from: number): number {
  NUMBER_RUN.lastIndex = from;
  NUMBER_RUN.test(text);
  return NUMBER_RUN.lastIndex;
}

/**
 * The offset of the quote that closes the string opened at `open` (the text's length when
 * none does). `indexOf` finds candidates at native speed; a quote after an odd run of
 * backslashes is escaped. Each backslash is looked at once, so the skip stays linear.
 */
function closingQuote(text: string, open: number): number {
  let from = open + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return text.length;
    let backslashes = 0;
    for (let j = quote - 1; j > open && text.charCodeAt(j) === BACKSLASH; j--) backslashes++;
    if (backslashes % 2 === 0) return quote;
    from = quote + 1;
  }
}

/**
 * The refusal of a body over its bounds, before it is parsed: 413 `limit:body_nodes` for too
 * many objects, arrays and keys (`MAX_BODY_NODES`), 400 `limit:body_depth` for nesting and
 * `limit:key_length` for a key longer than MAX_KEY_LENGTH.
 */
export function jsonShapeRefusal(text: string, bounds: JsonShapeBounds): VecgateError | undefined {
  const excess = jsonShapeExcess(text, bounds);
  if (excess === undefined) return undefined;
  if (excess.bound === 'key') {
    return new BadRequestError(
      `a key of the JSON body is longer than ${excess.limit} characters (it ends at character ` +
        `${excess.at})`,
      'body',
      'limit:key_length',
    );
  }
  if (excess.bound === 'depth') {
    return new BadRequestError(
      `the JSON body is nested deeper than ${excess.limit} levels (at character ${excess.at})`,
      'body',
      'limit:body_depth',
    );
  }
  return new PayloadTooLargeError(
    `the JSON body holds more than ${excess.limit} objects, arrays and keys (MAX_BODY_NODES); ` +
      'send fewer records per call',
    'body',
    'limit:body_nodes',
  );
}
