import { UnprocessableError } from '@vecgate/core';
import { MetadataValue, VectorWrite } from '../../ports/vector.types';

const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * A string PostgreSQL cannot hold (a NUL character, which neither `text` nor `jsonb` stores;
 * a lone surrogate, which `jsonb` refuses): no stored key or value is ever one, so a filter
 * field of that name is missing from every record and a value of that text equals nothing.
 */
export function unstorable(text: string): boolean {
  return text.includes('\u0000') || LONE_SURROGATE.test(text);
}

/**
 * Refuses a batch holding metadata PostgreSQL cannot store, with a 422 naming the first
 * such key or value, before anything is sent: the batch writes nothing either way, and the
 * caller learns which field to fix. Metadata is bounded (16 KiB as JSON), so the walk is too.
 */
export function checkStorable(records: readonly VectorWrite[]): void {
  records.forEach((record, i) => {
    if (record.metadata === undefined) return;
    const path = findUnstorable(record.metadata, `vectors[${i}].metadata`);
    if (path !== undefined) {
      throw new UnprocessableError(
        'PostgreSQL cannot store a NUL character or a lone surrogate in metadata',
        path,
      );
    }
  });
}

function findUnstorable(value: MetadataValue, path: string): string | undefined {
  if (typeof value === 'string') return unstorable(value) ? path : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = findUnstorable(item, `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    const here = `${path}.${key}`;
    if (unstorable(key)) return here;
    const found = findUnstorable(item, here);
    if (found !== undefined) return found;
  }
  return undefined;
}
