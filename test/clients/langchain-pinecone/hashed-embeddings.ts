import { createHash } from 'node:crypto';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';

/**
 * Deterministic local embeddings: each word is hashed into one of `dimension` buckets and the
 * counts are normalised, so texts sharing words are close under the cosine metric. No model,
 * no network: what is under test is the store, not the embedding.
 */
export class HashedEmbeddings implements EmbeddingsInterface {
  constructor(private readonly dimension: number) {}

  embedQuery(text: string): Promise<number[]> {
    return Promise.resolve(this.embed(text));
  }

  embedDocuments(texts: string[]): Promise<number[][]> {
    return Promise.resolve(texts.map((t) => this.embed(t)));
  }

  private embed(text: string): number[] {
    const vector = new Array<number>(this.dimension).fill(0);
    for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
      const bucket = createHash('sha256').update(word).digest().readUInt32BE(0) % this.dimension;
      vector[bucket] = (vector[bucket] ?? 0) + 1;
    }
    const norm = Math.hypot(...vector);
    // A text of no words still needs a direction under the cosine metric.
    if (norm === 0) return vector.map((_, i) => (i === 0 ? 1 : 0));
    return vector.map((v) => v / norm);
  }
}
