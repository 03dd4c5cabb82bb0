import { StreamableFile } from '@nestjs/common';
import type { FetchResponse } from '@pinecone-database/pinecone/dist/pinecone-generated-ts-fetch/db_data';
import type { VectorView } from '@vecgate/search';
import type { Readable } from 'node:stream';
import { isLargeList, jsonStream } from '../../http/answer-stream';

/** One read unit per call: vecgate does not meter reads, the field is there for the SDKs. */
export const USAGE = { readUnits: 1 };

/**
 * A fetch's answer, `{vectors: {id: record}, namespace, usage}`. Past the sizes at which a
 * search's matches are streamed (values or metadata of up to 1,000 records), it is written as
 * a stream, a record at a time, so no large JSON string is built in one go on the event loop.
 */
export function fetchAnswer(
  records: readonly VectorView[],
  namespace: string,
): FetchResponse | StreamableFile {
  if (!isLargeList(records)) {
    // Keyed by caller ids: without a prototype, an id `__proto__` is a key like any other.
    const vectors: NonNullable<FetchResponse['vectors']> = Object.create(null) as NonNullable<
      FetchResponse['vectors']
    >;
    for (const record of records) vectors[record.id] = record;
    return { vectors, namespace, usage: USAGE };
  }
  return new StreamableFile(recordsStream(records, namespace), {
    type: 'application/json; charset=utf-8',
  });
}

function recordsStream(records: readonly VectorView[], namespace: string): Readable {
  return jsonStream(
    '{"vectors":{',
    records,
    (record) => `${JSON.stringify(record.id)}:${JSON.stringify(record)}`,
    `},"namespace":${JSON.stringify(namespace)},"usage":${JSON.stringify(USAGE)}}`,
  );
}
