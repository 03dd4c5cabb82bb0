import { CreateTableBuilder } from 'kysely';
import { SqlDialectName } from '@vecgate/core';

/** An ever-increasing `seq` primary key: the order audit tables are read in. */
export function withSeqKey<T extends string>(
  table: CreateTableBuilder<T>,
  dialect: SqlDialectName,
): CreateTableBuilder<T, 'seq'> {
  return table.addColumn('seq', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
    dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
  );
}
