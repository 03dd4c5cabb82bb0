import type { ResourcePath } from '../../http/route.decorators';
import { INDEX_NAME } from './pinecone.naming';

/**
 * The Pinecone path a call acts on, as its audit resource (`/pinecone/data/docs/query`), once
 * its index name is a valid one; otherwise the route template stays, so no caller text beyond a
 * checked name reaches the trail. Read as the request arrives, so a call refused before its
 * handler (401, 403) names its index too.
 */
export const pineconePath: ResourcePath = (request) => {
  const index = (request.params as Record<string, unknown> | undefined)?.index;
  const template = request.routeOptions.url;
  if (template === undefined || typeof index !== 'string' || !INDEX_NAME.test(index))
    return undefined;
  return template.replace(':index', index);
};
