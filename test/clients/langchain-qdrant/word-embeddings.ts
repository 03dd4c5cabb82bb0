import { Embeddings } from '@langchain/core/embeddings';

/**
 * Deterministic embeddings for tests: each word adds to the coordinate its hash picks, then the
 * vector is normalised. Texts sharing words are near; no model, no network.
 */
export class WordEmbeddings extends Embeddings {
  constructor(private readonly dimension: number) {
    super({});
  }

  embedDocuments(texts: string[]): Promise<number[][]> {
    return Promise.resolve(texts.map((text) => embed(text, this.dimension)));
  }

  embedQuery(text: string): Promise<number[]> {
    return Promise.resolve(embed(text, this.dimension));
  }
}

function embed(text: string, dimension: number): number[] {
  const values = new Array<number>(dimension).fill(0.001);
  for (const word of text.toLowerCase().split(/\W+/).filter(Boolean)) {
    let hash = 2166136261;
    for (const char of word) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619) >>> 0;
    values[hash % dimension] = (values[hash % dimension] ?? 0) + 1;
  }
  const norm = Math.hypot(...values);
  return values.map((v) => v / norm);
}
