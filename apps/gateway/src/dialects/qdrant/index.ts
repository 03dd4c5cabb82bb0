import { QdrantCollectionsController } from './qdrant-collections.controller';
import { QdrantPointsController } from './qdrant-points.controller';
import { QdrantPoints } from './qdrant-points.service';
import { QdrantListener } from './qdrant.listener';

export { prepareQdrantDialect } from './qdrant-listener.constraint';
export { QdrantListener } from './qdrant.listener';

/** The Qdrant API: its controllers, and the providers the root module registers. */
export const QDRANT_DIALECT = {
  controllers: [QdrantCollectionsController, QdrantPointsController],
  providers: [QdrantPoints, QdrantListener],
} as const;
