import { METADATA_CAPACITY } from '@vecgate/isolation';
import { DEFAULT_METADATA_BYTES, metadataLimitOf, UNLIMITED } from './storage-quota';

describe('metadata limit of a record', () => {
  it("is the tier's setting when the backend can store that much", () => {
    expect(metadataLimitOf(UNLIMITED, 'standard', 'embedded')).toEqual({
      bytes: DEFAULT_METADATA_BYTES,
      setBy: 'tier "standard"',
    });
    expect(metadataLimitOf({ ...UNLIMITED, metadataBytes: 2048 }, 'small', 'pinecone')).toEqual({
      bytes: 2048,
      setBy: 'tier "small"',
    });
  });

  it("is the backend's capacity when the tier allows more, or sets no limit", () => {
    // Pinecone keeps metadata twice in its 40 KB: the default 40 KB tier gets about half.
    expect(metadataLimitOf(UNLIMITED, 'standard', 'pinecone')).toEqual({
      bytes: METADATA_CAPACITY.pinecone,
      setBy: 'the pinecone backend',
    });
    expect(METADATA_CAPACITY.pinecone).toBeLessThan(DEFAULT_METADATA_BYTES);
    expect(metadataLimitOf({ ...UNLIMITED, metadataBytes: null }, 'x', 'milvus').bytes).toBe(
      METADATA_CAPACITY.milvus,
    );
  });
});
