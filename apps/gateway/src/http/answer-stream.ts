import { StreamableFile } from '@nestjs/common';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { heavyTurn } from '@vecgate/core';

/**
 * An answer carrying more floats than this in its matches' values is written as a stream, a
 * match at a time, instead of as one JSON string: about 300 KB of JSON at most is built in one
 * go on the event loop.
 */
export const STREAM_ANSWER_FLOATS = 16_384;
/**
 * Likewise for metadata: an answer whose matches' metadata holds more characters than this
 * (page content of 40 KB per record adds up fast at topK 1,000) is streamed a match at a time.
 */
export const STREAM_ANSWER_METADATA_CHARS = 300_000;

interface MatchesAnswer {
  readonly matches: readonly { readonly values?: readonly number[]; readonly metadata?: unknown }[];
}

function isMatchesAnswer(value: unknown): value is MatchesAnswer {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as { matches?: unknown }).matches)
  );
}

/** The answer as a JSON stream when it is large, else unchanged. */
export function streamIfLarge(value: unknown): unknown {
  if (!isMatchesAnswer(value)) return value;
  let floats = 0;
  let chars = 0;
  for (const match of value.matches) {
    floats += match.values?.length ?? 0;
    if (chars <= STREAM_ANSWER_METADATA_CHARS) chars += roughChars(match.metadata);
  }
  if (floats <= STREAM_ANSWER_FLOATS && chars <= STREAM_ANSWER_METADATA_CHARS) return value;
  return new StreamableFile(matchesStream(value), { type: 'application/json; charset=utf-8' });
}

/** About the characters of a value's JSON: its strings and keys, and a few per other value. */
export function roughChars(value: unknown): number {
  if (typeof value === 'string') return value.length + 2;
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + roughChars(item), 2);
  if (typeof value === 'object' && value !== null) {
    let sum = 2;
    for (const [key, item] of Object.entries(value)) sum += key.length + 3 + roughChars(item);
    return sum;
  }
  return 8;
}

/**
 * The answer's JSON, produced as the client takes it: the opening, then one match per read,
 * then the closing with the answer's other fields. A client that reads slowly or not at all stops the production (the socket
 * stays full, no read is asked for), so an unread answer costs neither CPU nor more memory than
 * its matches, and a client that reads lets the event loop serve others between matches.
 */
export function matchesStream(answer: MatchesAnswer): Readable {
  // The answer's other fields (a dialect's `namespace` and `usage`) follow the matches.
  const { matches, ...rest } = answer;
  const others = JSON.stringify(rest);
  const closing = others === '{}' ? ']}' : `],${others.slice(1)}`;
  return jsonStream('{"matches":[', matches, (match) => JSON.stringify(match), closing);
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
      void heavyTurn().then(() => produce(this));
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
