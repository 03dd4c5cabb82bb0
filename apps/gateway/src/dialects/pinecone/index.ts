import { PineconeControlController } from './pinecone-control.controller';
import { PineconeDataController } from './pinecone-data.controller';
import { PineconeData } from './pinecone-data.service';
import { PineconeHosts } from './pinecone-hosts';
import { PineconeIndexes } from './pinecone-indexes.service';

/** The Pinecone dialect's controllers and providers, registered by the root module. */
export const PINECONE_CONTROLLERS = [PineconeControlController, PineconeDataController];
export const PINECONE_PROVIDERS = [PineconeHosts, PineconeIndexes, PineconeData];
