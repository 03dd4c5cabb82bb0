import { jsonPosition, listCursor, openListPage } from './list-page';
import { makeTenantScope, TenantScope } from './vector.types';

const BARE = { includeValues: false, includeMetadata: false } as const;

function scope(tenantUid: string, namespace = ''): TenantScope {
  return makeTenantScope({
    tenantId: 't',
    tenantUid,
    namespace,
    placement: { backend: 'embedded', strategy: 'partition_key', location: {} },
    space: { dimension: 2, metric: 'dot' },
  });
}

const A = scope('a'.repeat(32));

describe('list pages and cursors', () => {
  it('gives back the position a cursor was made with, any well-formed text included', () => {
    for (const position of ['r1', '𝕋énant 🦄/x', '{"token":"x","after":"y"}', 'a.b.c']) {
      const cursor = listCursor(A, position);
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
      expect(openListPage(A, { limit: 5, cursor, ...BARE })).toEqual({
        after: position,
        limit: 5,
        prefix: '',
      });
    }
  });

  it("refuses another tenant's or namespace's cursor with a 400 naming cursor", () => {
    const cursor = listCursor(A, 'r1');
    for (const other of [scope('b'.repeat(32)), scope('a'.repeat(32), 'docs')]) {
      expect(() => openListPage(other, { limit: 5, cursor, ...BARE })).toThrow(
        expect.objectContaining({
          status: 400,
          extras: expect.objectContaining({ field: 'cursor' }),
          message: expect.stringContaining('another namespace or tenant'),
        }),
      );
    }
  });

  it('refuses a position that is not JSON where a backend wrote JSON', () => {
    expect(jsonPosition('{"a":1}')).toEqual({ a: 1 });
    expect(() => jsonPosition('{')).toThrow(expect.objectContaining({ status: 400 }));
  });

  it('names limit and prefix when they are out of bounds', () => {
    expect(() => openListPage(A, { limit: 0, ...BARE })).toThrow('limit must be an integer');
    expect(() => openListPage(A, { limit: 1, prefix: 'x'.repeat(513), ...BARE })).toThrow(
      'prefix must be a string',
    );
  });
});
