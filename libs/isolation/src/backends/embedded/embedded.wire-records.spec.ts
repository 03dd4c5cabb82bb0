import type { RecordRow } from './embedded.record-table';
import { toRecords } from './embedded.record-jobs';
import { METADATA_TEXT_CHARS } from './embedded.wire-records';

const READ = { includeMetadata: true, includeValues: false } as const;

function rows(count: number, chars: number): RecordRow[] {
  const text = JSON.stringify({ text: 'y'.repeat(chars - 11) });
  return Array.from({ length: count }, (_, i) => ({
    id: `r${i}`,
    tenant_uid: 'u',
    namespace: '',
    metadata: i === 0 ? null : text,
  }));
}

describe('toRecords', () => {
  it('parses the metadata of an answer whose metadata is within METADATA_TEXT_CHARS', () => {
    const read = toRecords(rows(4, METADATA_TEXT_CHARS / 4), READ);
    expect(read.every((r) => r.metadataText === undefined)).toBe(true);
    expect(read[0]?.metadata).toEqual({});
    expect(read[1]?.metadata).toEqual({ text: 'y'.repeat(METADATA_TEXT_CHARS / 4 - 11) });
  });

  it('leaves the stored text of a larger answer for the main thread to parse', () => {
    const many = rows(6, METADATA_TEXT_CHARS / 4);
    const read = toRecords(many, READ);
    expect(read.every((r) => r.metadata === undefined)).toBe(true);
    expect(read.map((r) => r.metadataText)).toEqual([
      '{}',
      ...many.slice(1).map((r) => r.metadata),
    ]);
  });

  it('sends no metadata when none is asked for', () => {
    const read = toRecords(rows(5, METADATA_TEXT_CHARS / 4), { ...READ, includeMetadata: false });
    expect(read.every((r) => r.metadata === undefined && r.metadataText === undefined)).toBe(true);
  });
});
