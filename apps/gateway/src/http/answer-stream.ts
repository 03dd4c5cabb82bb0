import { StreamableFile } from '@nestjs/common';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { heavyTurn } from '@vecgate/core';

/**
 * An answer whose list of records carries more numbers than this (vector values) is written as
 * a stream, built a slice at a time as the client reads it, instead of as one JSON string:
 * about 300 KB of JSON at most is built in one go on the event loop.
 */
export const STREAM_ANSWER_FLOATS = 16_384;
/**
 * Likewise for text: an answer whose records hold more characters than this in their strings
 * and keys (page content of 40 KB per record adds up fast at topK 1,000) is streamed.
 */
export const STREAM_ANSWER_METADATA_CHARS = 300_000;

/**
 * Where an answer keeps its list of records: `matches` (v1 and Pinecone queries), `result`
 * (Qdrant's search, retrieve and recommend) or `result.points` (Qdrant's query and scroll).
 */
const LIST_PATHS: readonly (readonly string[])[] = [['matches'], ['result'], ['result', 'points']];

interface ListAnswer {
  readonly path: readonly string[];
  readonly items: readonly unknown[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function listIn(value: unknown): ListAnswer | undefined {
  for (const path of LIST_PATHS) {
    let at: unknown = value;
    for (const key of path) at = isRecord(at) ? at[key] : undefined;
    if (Array.isArray(at)) return { path, items: at };
  }
  return undefined;
}

/**
 * The numbers in arrays (vector values) and the characters (strings, keys, about 8 per other
 * value) of a value, added to `size`.
 */
function measure(value: unknown, size: { numbers: number; chars: number }): void {
  if (typeof value === 'string') size.chars += value.length + 2;
  else if (Array.isArray(value)) {
    for (const item of value) {
      if (typeof item === 'number') size.numbers++;
      else measure(item, size);
    }
  } else if (isRecord(value)) {
    for (const key in value) {
      size.chars += key.length + 3;
      measure(value[key], size);
    }
  } else size.chars += 8;
}

/**
 * Whether a list of records passes either bound (`STREAM_ANSWER_FLOATS`,
 * `STREAM_ANSWER_METADATA_CHARS`), so its answer is streamed; stops measuring at the record
 * that passes it.
 */
export function isLargeList(items: readonly unknown[]): boolean {
  const size = { numbers: 0, chars: 0 };
  for (const item of items) {
    measure(item, size);
    if (size.numbers > STREAM_ANSWER_FLOATS || size.chars > STREAM_ANSWER_METADATA_CHARS) {
      return true;
    }
  }
  return false;
}

/** The answer as a JSON stream when its list of records is large, else unchanged. */
export function streamIfLarge(value: unknown): unknown {
  const list = listIn(value);
  if (!list || !isLargeList(list.items)) return value;
  return new StreamableFile(listStream(value as Record<string, unknown>, list), {
    type: 'application/json; charset=utf-8',
  });
}

/** An answer of the v1 or Pinecone shape: its matches, and other fields beside them. */
export function matchesStream(answer: { readonly matches: readonly unknown[] }): Readable {
  return listStream(answer, { path: ['matches'], items: answer.matches });
}

/**
 * The answer's JSON, produced as the client takes it: the opening down to the list, the list's
 * records, then the closing with the other fields at each level (a dialect's `namespace` and
 * `usage`, Qdrant's `next_page_offset`, `status` and `time`). A client that reads slowly or not
 * at all stops the production (the socket stays full, no read is asked for), so an unread
 * answer costs neither CPU nor more memory than its records.
 */
function listStream(answer: object, list: ListAnswer): Readable {
  let opening = '';
  let closing = '';
  let at = answer as Record<string, unknown>;
  for (const key of list.path) {
    const { [key]: inner, ...rest } = at;
    const others = JSON.stringify(rest);
    opening += `{${JSON.stringify(key)}:`;
    closing = (others === '{}' ? '}' : `,${others.slice(1)}`) + closing;
    at = inner as Record<string, unknown>;
  }
  // As in JSON.stringify of the whole array: an item with no JSON (undefined) is `null`.
  const render = (item: unknown): string => JSON.stringify(item) ?? 'null';
  return jsonStream(`${opening}[`, list.items, render, `]${closing}`);
}

/**
 * JSON a streamed answer produces in one turn of the event loop, at most (plus the one item
 * that crosses it). A client on loopback takes megabytes without the socket ever filling: read
 * for read, a 15 MB answer was built in one go and held the loop for over 100 ms.
 */
export const STREAM_TURN_CHARS = 64 * 1024;

/**
 * A JSON document produced as the client takes it: `opening`, then the items (comma
 * separated), then `closing`. Each read builds items until `STREAM_TURN_CHARS` of JSON or until
 * the stream's buffer is full, in a turn of the event loop of its own (`heavyTurn`: one such
 * slice per turn, whatever the number of answers under way), so other requests' I/O is served
 * between any two slices. Reads stop while the socket is full.
 */
export function jsonStream<T>(
  opening: string,
  items: readonly T[],
  render: (item: T) => string,
  closing: string,
): Readable {
  let next = -1;
  let waiting = false;
  const produce = (stream: Readable): void => {
    waiting = false;
    if (stream.destroyed) return;
    for (let chars = 0; chars < STREAM_TURN_CHARS;) {
      let chunk: string;
      if (next === -1) {
        next = 0;
        chunk = opening;
      } else if (next < items.length) {
        const at = next++;
        chunk = (at === 0 ? '' : ',') + render(items[at] as T);
      } else {
        stream.push(closing);
        stream.push(null);
        return;
      }
      chars += chunk.length;
      if (!stream.push(chunk)) return;
    }
  };
  return new Readable({
    highWaterMark: 64 * 1024,
    read() {
      if (waiting) return;
      waiting = true;
      void heavyTurn().then(() => {
        // Outside read() a throw would be an unhandled rejection: it fails this answer only.
        try {
          produce(this);
        } catch (err) {
          this.destroy(err as Error);
        }
      });
    },
  });
}

/**
 * Calls `done` once the streamed answer is over: written whole, or its response or connection
 * closed (a queued pipelined response whose connection died never emits its own close).
 */
export function whenDelivered(
  file: StreamableFile,
  response: NodeJS.EventEmitter & { readonly writableEnded: boolean; readonly destroyed: boolean },
  socket: Socket | null,
  done: () => void,
): void {
  const stream = file.getStream();
  let called = false;
  const finish = (): void => {
    if (called) return;
    called = true;
    if (!stream.destroyed && !stream.readableEnded) stream.destroy();
    done();
  };
  if (response.writableEnded || response.destroyed || !socket || socket.destroyed) {
    // Answered already (a 504 at the deadline) or nobody to answer: this stream is never sent.
    finish();
    return;
  }
  stream.once('close', finish);
  response.once('close', finish);
  socket.once('close', finish);
}
