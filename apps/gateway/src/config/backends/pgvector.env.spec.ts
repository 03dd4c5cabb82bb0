import { loadPgvectorOptions } from './pgvector.env';

describe('loadPgvectorOptions', () => {
  it('leaves the backend off when PGVECTOR_URL is unset', () => {
    expect(loadPgvectorOptions({})).toEqual({ problems: [] });
    expect(loadPgvectorOptions({ PGVECTOR_URL: '  ' })).toEqual({ problems: [] });
  });

  it('names a pgvector setting given without PGVECTOR_URL', () => {
    expect(loadPgvectorOptions({ PGVECTOR_POOL_SIZE: '4', PGVECTOR_DATA_ROLE: 'r' })).toEqual({
      problems: [
        'PGVECTOR_DATA_ROLE: set, but PGVECTOR_URL is not (the pgvector backend is off)',
        'PGVECTOR_POOL_SIZE: set, but PGVECTOR_URL is not (the pgvector backend is off)',
      ],
    });
  });

  it('starts from PGVECTOR_URL alone, with the defaults', () => {
    expect(loadPgvectorOptions({ PGVECTOR_URL: 'postgres://vg_data@db:5432/vectors' })).toEqual({
      options: {
        url: 'postgres://vg_data@db:5432/vectors',
        poolSize: 10,
        timeoutMs: 15_000,
        efSearch: 40,
        limits: { tables: 10_000, partitionsPerTable: 1_000 },
      },
      problems: [],
    });
  });

  it('reads every setting', () => {
    expect(
      loadPgvectorOptions({
        PGVECTOR_URL: 'postgresql://vg_data@db/vectors',
        PGVECTOR_ADMIN_URL: 'postgres://vg_owner@db/vectors',
        PGVECTOR_DATA_ROLE: 'vg_data',
        PGVECTOR_POOL_SIZE: '1',
        PGVECTOR_TIMEOUT_MS: '5000',
        PGVECTOR_EF_SEARCH: '100',
        PGVECTOR_MAX_TABLES: '50',
        PGVECTOR_MAX_PARTITIONS: '20',
      }),
    ).toEqual({
      options: {
        url: 'postgresql://vg_data@db/vectors',
        adminUrl: 'postgres://vg_owner@db/vectors',
        dataRole: 'vg_data',
        poolSize: 1,
        timeoutMs: 5000,
        efSearch: 100,
        limits: { tables: 50, partitionsPerTable: 20 },
      },
      problems: [],
    });
  });

  it('names every bad value by its variable', () => {
    expect(
      loadPgvectorOptions({
        PGVECTOR_URL: 'mysql://db',
        PGVECTOR_ADMIN_URL: 'db:5432',
        PGVECTOR_DATA_ROLE: 'vg_data; DROP TABLE x',
        PGVECTOR_POOL_SIZE: '0',
        PGVECTOR_TIMEOUT_MS: 'soon',
        PGVECTOR_EF_SEARCH: '5000',
        PGVECTOR_MAX_TABLES: '-1',
        PGVECTOR_MAX_PARTITIONS: '1.5',
      }).problems,
    ).toEqual([
      'PGVECTOR_POOL_SIZE: must be an integer from 1 to 1000, not "0"',
      'PGVECTOR_TIMEOUT_MS: must be an integer from 100 to 3600000, not "soon"',
      'PGVECTOR_EF_SEARCH: must be an integer from 1 to 1000, not "5000"',
      'PGVECTOR_MAX_TABLES: must be an integer from 1 to 1000000, not "-1"',
      'PGVECTOR_MAX_PARTITIONS: must be an integer from 1 to 100000, not "1.5"',
      'PGVECTOR_URL: must be a postgres:// URL',
      'PGVECTOR_ADMIN_URL: must be a postgres:// URL',
      'PGVECTOR_DATA_ROLE: "vg_data; DROP TABLE x" must be a lower-case SQL identifier',
    ]);
  });
});
