// Relative imports only: this file runs inside the engine threads.
import type { StoredRecord } from '../../ports/vector.types';

/**
 * Above this many characters of metadata JSON in one answer, an engine worker sends each
 * record's metadata as its JSON text instead of as objects. The main thread decodes a message
 * of objects in one block: a thousand records of 15 KB of one-character strings held the event
 * loop well over 100 ms. As text the message arrives in a few milliseconds, and the main thread
 * parses it a slice at a time (`EmbeddedRecords`). Below it, objects: a small answer is decoded
 * as fast either way, and a search pays nothing more.
 */
export const METADATA_TEXT_CHARS = 256 * 1024;

/** A record as an engine worker answers it: its metadata as an object, or as its JSON text. */
export type OnWire<R extends StoredRecord> = R & { readonly metadataText?: string };

/** Whether an answer whose metadata JSON totals `chars` characters sends it as text. */
export function metadataAsText(chars: number): boolean {
  return chars > METADATA_TEXT_CHARS;
}
