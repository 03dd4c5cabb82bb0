import { ClientBase } from 'pg';
import { PgvectorLocation } from './pgvector.naming';
import { KEY_COLUMNS, NAMESPACE_COLUMN, quoteIdent } from './pgvector.schema';
import { PgvectorSession } from './pgvector.session';

/** What the catalog says of a record table. */
interface Shape {
  readonly exists: boolean;
  readonly hasNamespace: boolean;
  /** The primary key constraint's name and columns, in key order. */
  readonly key: string | null;
  readonly keyColumns: readonly string[] | null;
}

const SHAPE_SQL = `
  SELECT to_regclass($1) IS NOT NULL AS exists,
         EXISTS (SELECT 1 FROM pg_attribute
                  WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped)
           AS "hasNamespace",
         (SELECT conname::text FROM pg_constraint
           WHERE conrelid = to_regclass($1) AND contype = 'p') AS key,
         (SELECT array_agg(a.attname::text ORDER BY k.n)
            FROM pg_constraint c
            CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, n)
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
           WHERE c.conrelid = to_regclass($1) AND c.contype = 'p') AS "keyColumns"`;

async function shapeOf(client: ClientBase, table: string): Promise<Shape> {
  const result = await client.query<Shape>(SHAPE_SQL, [table, NAMESPACE_COLUMN]);
  return result.rows[0] ?? { exists: false, hasNamespace: false, key: null, keyColumns: null };
}

function current(shape: Shape): boolean {
  return shape.hasNamespace && shape.keyColumns?.join() === KEY_COLUMNS.join();
}

/**
 * Brings a table of the layout before namespaces (no namespace column, key (uid, id)) to the
 * current one, inside the caller's admin transaction: the column is added with the default
 * namespace as its value (a catalog change, no rewrite), then the key is rebuilt with the
 * namespace in it, under the same name. On a partitioned table both apply to every partition
 * (a partition has no key or column of its own to change). Each step is skipped when done, so
 * a repeated or concurrent upgrade changes nothing; PostgreSQL's DDL is transactional, so a
 * crash leaves the table as it was before or after, never between. The statements are not
 * bound by `statement_timeout`: a large table's key takes as long as its index build.
 */
export async function upgradeLayout(client: ClientBase, table: string): Promise<void> {
  const shape = await shapeOf(client, table);
  if (!shape.exists || current(shape)) return;
  // Rebuilding the key reads the whole table: not bound by the data plane's statement timeout,
  // which would roll it back on a large table at every attempt.
  await client.query(`SELECT set_config('statement_timeout', '0', true)`);
  if (!shape.hasNamespace) {
    await client.query(
      `ALTER TABLE ${table} ADD COLUMN ${NAMESPACE_COLUMN} text NOT NULL DEFAULT ''`,
    );
  }
  if (shape.keyColumns?.join() !== KEY_COLUMNS.join()) {
    const name = quoteIdent(shape.key ?? `${table}_pkey`);
    if (shape.key !== null) await client.query(`ALTER TABLE ${table} DROP CONSTRAINT ${name}`);
    await client.query(
      `ALTER TABLE ${table} ADD CONSTRAINT ${name} PRIMARY KEY (${KEY_COLUMNS.join(', ')})`,
    );
  }
}

/**
 * Makes sure each record table is in the current layout before this process first uses it:
 * once per table and process, the catalog is read on the data connection (readable by the
 * data role), and a table of the previous layout is upgraded on the admin connection,
 * serialised with provisioning by the table's advisory lock. A table that does not exist is
 * asked about again next time; a failure too.
 */
export class PgvectorLayout {
  private readonly checked = new Map<string, Promise<void>>();

  constructor(private readonly session: PgvectorSession) {}

  /** The table whose layout holds for the location: the partitioned parent, or the table. */
  static tableOf(at: PgvectorLocation): string {
    return at.parent ?? at.table;
  }

  ready(at: PgvectorLocation, uid: string): Promise<void> {
    const table = PgvectorLayout.tableOf(at);
    let check = this.checked.get(table);
    if (check === undefined) {
      check = this.check(table, uid).catch((err: unknown) => {
        this.checked.delete(table);
        throw err;
      });
      this.checked.set(table, check);
    }
    return check;
  }

  /** The table was just created or upgraded by provisioning. */
  settled(table: string): void {
    this.checked.set(table, Promise.resolve());
  }

  /** The table was dropped: a table of that name made later is checked again. */
  forget(table: string): void {
    this.checked.delete(table);
  }

  private async check(table: string, uid: string): Promise<void> {
    const shape = await this.session.asTenant(uid, undefined, (client) => shapeOf(client, table));
    if (!shape.exists) {
      this.checked.delete(table);
      return;
    }
    if (!current(shape)) {
      await this.session.asAdmin(table, (client) => upgradeLayout(client, table));
    }
  }
}
