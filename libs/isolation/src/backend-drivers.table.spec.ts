import { buildDrivers, Driver, DriverTable } from './backend-drivers.table';
import { BackendOptionsTable, IsolationOptions } from './isolation.options';
import { BackendName } from './ports/vector.types';

/*
 * The `@ts-expect-error` lines are checked by `tsc` (part of `npm test`): if one of them
 * compiled, the directive itself would be the error. Each one is a half-added backend.
 */

type WithNewName = BackendName | 'weaviate';

// @ts-expect-error a backend name with no entry in the options table has no options type
type NewNameWithoutOptions = { [B in WithNewName]: (options: BackendOptionsTable[B]) => void };

/** Never called: its body exists for the compiler. */
export function halfAddedBackends(table: DriverTable, qdrantDriver: Driver<'qdrant'>): unknown[] {
  // @ts-expect-error a driver table without a driver for every backend name
  const missingDriver: DriverTable = { embedded: table.embedded, milvus: table.milvus };

  // @ts-expect-error a driver filed under another backend's name
  const misfiledDriver: DriverTable = { ...table, milvus: () => qdrantDriver };

  return [missingDriver, misfiledDriver];
}

export type { NewNameWithoutOptions };

describe('the backend driver table', () => {
  it('builds the embedded driver and exactly the backends whose options are set', () => {
    const built: BackendName[] = [];
    const fake = <B extends BackendName>(name: B) =>
      (() => {
        built.push(name);
        return { name } as Driver<B>;
      }) as DriverTable[B];
    const fakes: DriverTable = {
      embedded: fake('embedded'),
      milvus: fake('milvus'),
      qdrant: fake('qdrant'),
      pinecone: fake('pinecone'),
      pgvector: fake('pgvector'),
    };
    const options = {
      embedded: {},
      qdrant: {},
      placementPolicy: '',
      defaultTier: 'free',
    } as unknown as IsolationOptions;

    const drivers = buildDrivers(options, fakes);

    expect(drivers.map((d) => d.name)).toEqual(['embedded', 'qdrant']);
    expect(built).toEqual(['embedded', 'qdrant']);
  });
});
