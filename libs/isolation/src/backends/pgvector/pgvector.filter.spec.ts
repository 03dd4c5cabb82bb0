import { compileFilter, Params } from './pgvector.filter';

describe('pgvector filter translation', () => {
  it('binds every candidate path of a dotted field, literal key first, and splices none', () => {
    const params: Params = [];
    const sql = compileFilter({ op: '$eq', field: 'loc.lines.from', value: 3 }, params);
    expect(sql).not.toContain('loc');
    // The value is bound first ($1, a jsonb[] of JSON texts), then the three paths.
    expect(params).toEqual([
      ['3'],
      ['loc.lines.from'],
      ['loc', 'lines.from'],
      ['loc', 'lines', 'from'],
    ]);
    expect(sql).toContain(
      'CASE WHEN (metadata #> $2::text[]) IS NOT NULL THEN (metadata #> $2::text[])',
    );
    expect(sql).toContain('ELSE (metadata #> $4::text[]) END');
  });

  it('reads an undotted field with -> as before', () => {
    const params: Params = [];
    const sql = compileFilter({ op: '$ne', field: 'genre', value: 'x' }, params);
    expect(sql).toContain('(metadata -> $2::text)');
    expect(params).toEqual([['"x"'], 'genre']);
  });

  it('translates $exists to the JSON type of the resolved value', () => {
    const yes: Params = [];
    expect(compileFilter({ op: '$exists', field: 'a', value: true }, yes)).toBe(
      "COALESCE(jsonb_typeof((metadata -> $1::text)) IN ('string','number','boolean','array'), false)",
    );
    const no: Params = [];
    expect(compileFilter({ op: '$exists', field: 'a.b', value: false }, no)).toMatch(
      /^\(NOT COALESCE\(jsonb_typeof\(\(CASE /,
    );
    expect(no).toEqual([['a.b'], ['a', 'b']]);
  });
});
