import { PineconeControlController } from './pinecone-control.controller';
import { PineconeDataController } from './pinecone-data.controller';
import { PineconeData } from './pinecone-data.service';
import { PineconeHosts } from './pinecone-hosts';
import { PineconeIndexes } from './pinecone-indexes.service';
import { PineconeNamespacesController } from './pinecone-namespaces.controller';
import { PineconeNamespaces } from './pinecone-namespaces.service';

export { preparePineconeDialect } from './pinecone.errors';

/** The Pinecone dialect's controllers and providers, registered by the root module. */
export const PINECONE_CONTROLLERS = [
  PineconeControlController,
  PineconeDataController,
  PineconeNamespacesController,
];
export const PINECONE_PROVIDERS = [
  PineconeHosts,
  PineconeIndexes,
  PineconeData,
  PineconeNamespaces,
];
