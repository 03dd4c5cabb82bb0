import type { RequestState } from '@vecgate/core';
import { INDEX_NAME } from './pinecone.naming';

/**
 * Records the Pinecone path a call acted on as its audit resource (`POST
 * /pinecone/data/docs/query`) once its index name is a valid one; otherwise the route template
 * stays, so no caller text beyond a checked name reaches the trail.
 */
export function recordPath(state: RequestState, index: unknown, path: string): void {
  if (typeof index !== 'string' || !INDEX_NAME.test(index)) return;
  const method = state.resource.split(' ')[0] ?? '';
  state.resource = `${method} ${path.replace(':index', index)}`;
}
