import { BadRequestError, TenantBypassError, VecgateError } from '@vecgate/core';
import { rng } from '../../../../test/support/rng';
import { ReservedKeys, TENANT_HEADERS } from './reserved-keys';

function errorOf(fn: () => void): VecgateError {
  try {
    fn();
  } catch (err) {
    if (err instanceof VecgateError) return err;
    throw err;
  }
  throw new Error('expected the call to throw');
}

describe('ReservedKeys', () => {
  const keys = new ReservedKeys(['tenant_id', 'https://idp.example.com/org']);

  describe('isReserved', () => {
    it.each([
      'tenant_id',
      'tenantId',
      'TenantId',
      'tenant',
      'TENANT',
      'Tenant-ID',
      'tenant.id',
      'tenant id',
      'tenant_uid',
      'tenantUid',
      'ｔｅｎａｎｔ',
      'ｔｅｎａｎｔＩＤ',
      'tenant\u200bid',
      'TENANTİD',
      '_vg',
      '_vg_tenant',
      '_VG_anything',
      '＿ｖｇ_x',
      'https://idp.example.com/org',
      'httpsIdpExampleComOrg',
      'metadata.tenant',
      'a._vg_x',
      'loc.tenant_id.from',
      'ｍｅｔａ．tenant',
    ])('reserves %j', (name) => {
      expect(keys.isReserved(name)).toBe(true);
    });

    it.each([
      'tenants',
      'tenant_name',
      'subtenant',
      'vg_x',
      'x_vg',
      'org',
      'name',
      'id',
      'uid',
      '',
      '__vg',
      'loc.lines.from',
      'metadata.source',
      'tenants.id',
    ])('does not reserve %j', (name) => {
      expect(keys.isReserved(name)).toBe(false);
    });

    it('reserves the configured tenant claim names, in any spelling', () => {
      const custom = new ReservedKeys(['org_key']);
      expect(custom.isReserved('org_key')).toBe(true);
      expect(custom.isReserved('OrgKey')).toBe(true);
      expect(custom.isReserved('org-key')).toBe(true);
      expect(custom.isReserved('org')).toBe(false);
      expect(new ReservedKeys([]).isReserved('org_key')).toBe(false);
    });
  });

  describe('assertNone', () => {
    it('accepts input without reserved key names, whatever the values say', () => {
      expect(() =>
        keys.assertNone(
          {
            vectors: [{ id: 'tenant_id', metadata: { note: 'tenant', tags: ['_vg', 'tenantId'] } }],
            filter: { kind: { $in: ['tenant_id'] } },
          },
          'body',
        ),
      ).not.toThrow();
      for (const value of [null, undefined, 'tenant_id', 42, true, [], {}, ['tenant']]) {
        expect(() => keys.assertNone(value, 'body')).not.toThrow();
      }
    });

    it('refuses a reserved key at any depth and names its path', () => {
      const err = errorOf(() =>
        keys.assertNone(
          { vectors: [{ id: 'a' }, { id: 'b' }, { id: 'c', metadata: { deep: { tenant: 'x' } } }] },
          'body',
        ),
      );
      expect(err).toBeInstanceOf(TenantBypassError);
      expect(err.status).toBe(400);
      expect(err.extras.field).toBe('body.vectors[2].metadata.deep.tenant');
      expect(err.extras.reason).toBe('tenant_bypass_attempt');
    });

    it('refuses a reserved key inside nested arrays', () => {
      const err = errorOf(() => keys.assertNone({ a: [[{ ok: 1 }, { _vg_owner: 1 }]] }, 'query'));
      expect(err).toBeInstanceOf(TenantBypassError);
      expect(err.extras.field).toBe('query.a[0][1]._vg_owner');
    });

    it('refuses a reserved key in an object after thousands of floats, wherever vectors were walked before', () => {
      const floats = (n: number): unknown[] =>
        JSON.parse(
          `[${Array.from({ length: n }, (_, i) => `0.${(i % 9) + 1}`).join(',')}]`,
        ) as unknown[];
      const body = { vectors: [{ id: 'a', values: floats(4096) }] };
      for (let i = 0; i < 50; i++) keys.assertNone(body, 'body');
      const hostile = floats(4096);
      hostile.push({ tenant: 'x' });
      const err = errorOf(() =>
        keys.assertNone({ vectors: [{ id: 'b', values: hostile }] }, 'body'),
      );
      expect(err).toBeInstanceOf(TenantBypassError);
      expect(err.extras.field).toBe('body.vectors[0].values[4096].tenant');
      expect(body.vectors[0]?.values[4095]).toBe(0.1);
    });

    it('refuses a reserved key at the top level', () => {
      const err = errorOf(() => keys.assertNone({ tenantId: 'acme', topK: 3 }, 'body'));
      expect(err).toBeInstanceOf(TenantBypassError);
      expect(err.extras.field).toBe('body.tenantId');
    });

    it('refuses a reserved key that JSON.parse made an own property (no prototype tricks)', () => {
      const input: unknown = JSON.parse('{"__proto__": {"tenant_id": "victim"}}');
      const err = errorOf(() => keys.assertNone(input, 'body'));
      expect(err).toBeInstanceOf(TenantBypassError);
      expect(err.extras.field).toBe('body.__proto__.tenant_id');
    });

    it('refuses input nested deeper than 32 levels with a 400 naming the path', () => {
      let deep: Record<string, unknown> = { leaf: 1 };
      for (let i = 0; i < 40; i++) deep = { a: deep };
      const err = errorOf(() => keys.assertNone(deep, 'body'));
      expect(err).toBeInstanceOf(BadRequestError);
      expect(err).not.toBeInstanceOf(TenantBypassError);
      expect(err.status).toBe(400);
      expect(err.extras.field).toBe(`body${'.a'.repeat(33)}`);

      let ok: Record<string, unknown> = { leaf: 1 };
      for (let i = 0; i < 31; i++) ok = { a: ok };
      expect(() => keys.assertNone(ok, 'body')).not.toThrow();
    });
  });

  describe('assertNoTenantHeaders', () => {
    it.each([...TENANT_HEADERS])('refuses the %s header, whatever its value', (name) => {
      for (const value of ['acme', '', ['a', 'b']]) {
        const err = errorOf(() => keys.assertNoTenantHeaders({ [name]: value, accept: '*/*' }));
        expect(err).toBeInstanceOf(TenantBypassError);
        expect(err.status).toBe(400);
        expect(err.extras.field).toBe(`headers.${name}`);
      }
    });

    it('accepts requests without tenant headers', () => {
      expect(() =>
        keys.assertNoTenantHeaders({
          authorization: 'Bearer tenant_id',
          'x-request-id': 'tenant',
          'x-tenants': 'not-a-tenant-header',
        }),
      ).not.toThrow();
    });
  });
  describe('remembered verdicts', () => {
    it('refuses a reserved name every time, however many other names came between', () => {
      const fresh = new ReservedKeys(['tenant_id']);
      expect(fresh.isReserved('Tenant-ID')).toBe(true);
      expect(fresh.isReserved('ＴＥＮＡＮＴ_ID')).toBe(true);
      for (let i = 0; i < 10_000; i++) {
        expect(fresh.isReserved(`field_${i}`)).toBe(false);
        expect(fresh.isReserved(`ｆield_${i}`)).toBe(false);
      }
      expect(fresh.isReserved('Tenant-ID')).toBe(true);
      expect(fresh.isReserved('ＴＥＮＡＮＴ_ID')).toBe(true);
      expect(() => fresh.assertNone({ a: { 'Tenant-ID': 1 } }, 'body')).toThrow(TenantBypassError);
    });

    it('judges names too long to remember like any other', () => {
      const fresh = new ReservedKeys([]);
      const long = `${'x'.repeat(200)}.tenant`;
      expect(fresh.isReserved(long)).toBe(true);
      expect(fresh.isReserved(long)).toBe(true);
      expect(fresh.isReserved('x'.repeat(200))).toBe(false);
    });

    it('judges ASCII names in one pass exactly as the definition does', () => {
      const random = rng(7);
      const pieces = [
        'tenant',
        'Tenant',
        'TENANT',
        'id',
        'Uid',
        'org',
        'https',
        'idp',
        'example',
        'com',
        '_vg',
        '_VG',
        'vg',
        '_',
        '-',
        '.',
        ' ',
        ':',
        '/',
        'x',
        '9',
        'field',
        'ID',
        '..',
      ];
      const claims = ['tenant_id', 'https://idp.example.com/org', 'org_id'];
      let reserved = 0;
      for (let i = 0; i < 20_000; i++) {
        const count = 1 + Math.floor(random() * 6);
        let name = '';
        for (let j = 0; j < count; j++) name += pieces[Math.floor(random() * pieces.length)];
        const fresh = new ReservedKeys(claims);
        const verdict = fresh.isReserved(name);
        if (verdict !== fresh.judge(name)) throw new Error(`differs on ${JSON.stringify(name)}`);
        if (verdict) reserved++;
      }
      // A reserved name with more after it is another name, at any length.
      for (const name of ['https://idp.example.com/org-x', 'tenantuid0', 'org_id_2', 'x.tenantz']) {
        expect(new ReservedKeys(claims).isReserved(name)).toBe(false);
      }
      // Both verdicts occur often, so both branches are compared.
      expect(reserved).toBeGreaterThan(2_000);
      expect(reserved).toBeLessThan(18_000);
    });

    it('judges names outside ASCII exactly as the definition does, normalising once', () => {
      const claims = ['tenant_id', 'org_id'];
      // The definition: NFKC, then lower case without separators, on the name and each segment.
      const canonical = (n: string) =>
        n
          .normalize('NFKC')
          .toLowerCase()
          .replace(/[^a-z0-9]/g, '');
      const names = new Set(['tenantid', 'tenant', 'tenantuid', ...claims.map(canonical)]);
      const reservedName = (n: string) =>
        n.normalize('NFKC').toLowerCase().startsWith('_vg') || names.has(canonical(n));
      const definition = (name: string) =>
        reservedName(name) || name.normalize('NFKC').split('.').some(reservedName);
      const random = rng(11);
      const pieces = [
        'ｔｅｎａｎｔ',
        'ＩＤ',
        'ﬁ',
        'é',
        'e\u0301',
        '\u0301',
        '．',
        '.',
        '＿ｖｇ',
        '_vg',
        'tenant',
        'org',
        '_',
        'id',
        'Ⓣ',
        'ⁱ',
        '\u2024',
        'Å',
        'x',
      ];
      let reserved = 0;
      for (let i = 0; i < 20_000; i++) {
        let name = '';
        for (let j = 0, n = 1 + Math.floor(random() * 6); j < n; j++)
          name += pieces[Math.floor(random() * pieces.length)];
        const verdict = new ReservedKeys(claims).isReserved(name);
        if (verdict !== definition(name)) throw new Error(`differs on ${JSON.stringify(name)}`);
        if (verdict) reserved++;
      }
      expect(reserved).toBeGreaterThan(2_000);
      expect(reserved).toBeLessThan(18_000);
    });

    it('refuses an input whose keys outside ASCII pass the budget, and judges those before it', () => {
      const fresh = new ReservedKeys([]);
      const wide = (i: number) => `${'é'.repeat(1000)}${i}`;
      const under: Record<string, number> = {};
      for (let i = 0; i < 60; i++) under[wide(i)] = 0;
      expect(() => fresh.assertNone({ metadata: under }, 'body')).not.toThrow();
      const over: Record<string, number> = { ...under };
      for (let i = 60; i < 70; i++) over[wide(i)] = 0;
      const err = errorOf(() => fresh.assertNone({ metadata: over }, 'body'));
      expect(err).toBeInstanceOf(BadRequestError);
      expect(err.extras).toEqual({ field: 'body.metadata', reason: 'limit:key_text' });
      // Each input has its own budget, and a reserved key within it is still a bypass attempt.
      const first: Record<string, number> = { ｔｅｎａｎｔ: 0, ...over };
      expect(errorOf(() => fresh.assertNone({ metadata: first }, 'body'))).toBeInstanceOf(
        TenantBypassError,
      );
      expect(() => fresh.assertNone({ metadata: under }, 'body')).not.toThrow();
    });

    it('judges a body of a hundred thousand distinct long names in one pass each', () => {
      const fresh = new ReservedKeys(['tenant_id']);
      const metadata: Record<string, number> = {};
      for (let i = 0; i < 121_000; i++) metadata[`k${String(i).padStart(39, '0')}`] = 0;
      const judge = jest.spyOn(fresh, 'judge');
      expect(() => fresh.assertNone({ vectors: [{ metadata }] }, 'body')).not.toThrow();
      expect(judge).not.toHaveBeenCalled();
      expect(fresh.isReserved('ｔｅｎａｎｔ')).toBe(true);
      expect(judge).toHaveBeenCalledTimes(1);
    });

    it('names the path of a reserved key found below a remembered harmless one', () => {
      const fresh = new ReservedKeys([]);
      fresh.assertNone({ metadata: { genre: 'a' } }, 'body');
      const err = errorOf(() => fresh.assertNone({ metadata: { _vg_uid: 'x' } }, 'body'));
      expect(err).toBeInstanceOf(TenantBypassError);
      expect(err.extras.field).toBe('body.metadata._vg_uid');
    });
  });
});
