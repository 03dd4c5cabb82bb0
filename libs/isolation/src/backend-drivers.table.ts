import { EmbeddedBackend } from './backends/embedded';
import { MilvusBackend } from './backends/milvus';
import { PgvectorBackend } from './backends/pgvector';
import { PineconeBackend } from './backends/pinecone';
import { QdrantBackend } from './backends/qdrant';
import { BackendOptionsTable, IsolationOptions } from './isolation.options';
import { VectorBackendDriver } from './ports/vector-backend.driver';
import { BACKENDS, BackendName } from './ports/vector.types';

/** The driver of backend `B`: its `name` is `B`, so a driver cannot sit under another name. */
export type Driver<B extends BackendName> = VectorBackendDriver & { readonly name: B };

/** One factory per backend name, typed by that backend's options. */
export type DriverTable = {
  readonly [B in BackendName]: (options: BackendOptionsTable[B]) => Driver<B>;
};

export const DRIVERS: DriverTable = {
  embedded: (o) => new EmbeddedBackend(o),
  milvus: (o) => new MilvusBackend(o),
  qdrant: (o) => new QdrantBackend(o),
  pinecone: (o) => new PineconeBackend(o),
  pgvector: (o) => new PgvectorBackend(o),
};

function driverFor<B extends BackendName>(
  name: B,
  options: { readonly [K in BackendName]?: BackendOptionsTable[K] },
  table: DriverTable,
): Driver<B> | undefined {
  const own = options[name];
  return own === undefined ? undefined : table[name](own);
}

/** Builds the enabled backend drivers (chosen here, from validated options, never at import). */
export function buildDrivers(options: IsolationOptions, table = DRIVERS): VectorBackendDriver[] {
  return BACKENDS.flatMap((name) => driverFor(name, options, table) ?? []);
}
