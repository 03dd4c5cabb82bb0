import { BadRequestError, TenantBypassError, VecgateError } from '@vecgate/core';
import { FilterNode } from '@vecgate/isolation';
import { ReservedKeys } from '@vecgate/tenancy';
import { LIMITS } from '../limits';
import { FilterParser } from './filter.parser';

const parser = new FilterParser(new ReservedKeys(['tenant_id']));

function parse(input: unknown): FilterNode | undefined {
  return parser.parse(input);
}

/** Runs `fn` and returns the error it threw; fails the test when it does not throw. */
function errorOf(fn: () => unknown): VecgateError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  if (!(caught instanceof VecgateError)) {
    throw new Error(`expected a VecgateError, got ${String(caught)}`);
  }
  return caught;
}

function expectBadRequest(input: unknown, field: string): BadRequestError {
  const err = errorOf(() => parse(input));
  expect(err).toBeInstanceOf(BadRequestError);
  expect(err.status).toBe(400);
  expect(err.extras.field).toBe(field);
  return err as BadRequestError;
}

function expectBypass(input: unknown, field: string): void {
  const err = errorOf(() => parse(input));
  expect(err).toBeInstanceOf(TenantBypassError);
  expect(err.status).toBe(400);
  expect(err.extras.field).toBe(field);
  expect(err.extras.reason).toBe('tenant_bypass_attempt');
}

/** `{$and: [{$and: [ ... {leaf} ]}]}` with `levels` levels of `$and` around the leaf. */
function nested(levels: number, leaf: Record<string, unknown>): Record<string, unknown> {
  let node: Record<string, unknown> = leaf;
  for (let i = 0; i < levels; i++) node = { $and: [node] };
  return node;
}

describe('FilterParser', () => {
  describe('accepted filters', () => {
    it('treats an absent, null or empty filter as no filter at all', () => {
      expect(parse(undefined)).toBeUndefined();
      expect(parse(null)).toBeUndefined();
      expect(parse({})).toBeUndefined();
    });

    it('reads the shorthand {field: value} as $eq, keeping the value and its type', () => {
      expect(parse({ genre: 'drama' })).toEqual({ op: '$eq', field: 'genre', value: 'drama' });
      expect(parse({ year: 2020 })).toEqual({ op: '$eq', field: 'year', value: 2020 });
      expect(parse({ flag: false })).toEqual({ op: '$eq', field: 'flag', value: false });
      expect(parse({ code: '5' })).toEqual({ op: '$eq', field: 'code', value: '5' });
    });

    it.each(['$eq', '$ne'] as const)('parses %s with a string, a number or a boolean', (op) => {
      expect(parse({ a: { [op]: 'x' } })).toEqual({ op, field: 'a', value: 'x' });
      expect(parse({ a: { [op]: -1.5 } })).toEqual({ op, field: 'a', value: -1.5 });
      expect(parse({ a: { [op]: true } })).toEqual({ op, field: 'a', value: true });
    });

    it.each(['$gt', '$gte', '$lt', '$lte'] as const)('parses the range operator %s', (op) => {
      expect(parse({ price: { [op]: 10 } })).toEqual({ op, field: 'price', value: 10 });
      expect(parse({ price: { [op]: 0 } })).toEqual({ op, field: 'price', value: 0 });
    });

    it.each(['$in', '$nin'] as const)('parses %s with a list of mixed scalars', (op) => {
      expect(parse({ tag: { [op]: ['a', 1, true] } })).toEqual({
        op,
        field: 'tag',
        values: ['a', 1, true],
      });
    });

    it('joins several operators on one field with an implicit $and', () => {
      expect(parse({ price: { $gte: 1, $lt: 5 } })).toEqual({
        op: '$and',
        nodes: [
          { op: '$gte', field: 'price', value: 1 },
          { op: '$lt', field: 'price', value: 5 },
        ],
      });
    });

    it('joins several fields of one object with an implicit $and', () => {
      expect(parse({ a: 1, b: { $ne: 'x' } })).toEqual({
        op: '$and',
        nodes: [
          { op: '$eq', field: 'a', value: 1 },
          { op: '$ne', field: 'b', value: 'x' },
        ],
      });
    });

    it('parses explicit $and and $or, nested, into the same tree shape', () => {
      expect(parse({ $or: [{ a: 1 }, { $and: [{ b: 'x' }, { c: { $in: [1, 2] } }] }] })).toEqual({
        op: '$or',
        nodes: [
          { op: '$eq', field: 'a', value: 1 },
          {
            op: '$and',
            nodes: [
              { op: '$eq', field: 'b', value: 'x' },
              { op: '$in', field: 'c', values: [1, 2] },
            ],
          },
        ],
      });
    });

    it('keeps hostile string values verbatim as values (values are never inspected)', () => {
      const hostile = `' OR 1=1 --\\"; DROP TABLE t; tenant_id`;
      expect(parse({ note: hostile })).toEqual({ op: '$eq', field: 'note', value: hostile });
    });

    it('accepts dotted fields, which reach literal dotted keys and nested paths alike', () => {
      expect(parse({ 'loc.lines.from': 1 })).toEqual({
        op: '$eq',
        field: 'loc.lines.from',
        value: 1,
      });
      expect(parse({ 'metadata.source': { $in: ['a.pdf'] } })).toEqual({
        op: '$in',
        field: 'metadata.source',
        values: ['a.pdf'],
      });
    });

    it('parses $exists with true or false, alone or beside other operators', () => {
      expect(parse({ 'meta.page': { $exists: false } })).toEqual({
        op: '$exists',
        field: 'meta.page',
        value: false,
      });
      expect(parse({ a: { $exists: true, $ne: 'x' } })).toEqual({
        op: '$and',
        nodes: [
          { op: '$exists', field: 'a', value: true },
          { op: '$ne', field: 'a', value: 'x' },
        ],
      });
    });

    it('refuses $exists with anything but a boolean', () => {
      for (const operand of [1, 'true', null, [true], { a: 1 }]) {
        const err = expectBadRequest({ a: { $exists: operand } }, 'filter.a.$exists');
        expect(err.message).toMatch(/\$exists takes true or false/);
      }
    });

    it('counts $exists in the clause and cost limits', () => {
      const values = Array.from({ length: LIMITS.maxFilterValues }, (_, i) => i);
      const full = Object.fromEntries(
        Array.from({ length: LIMITS.maxFilterCost / LIMITS.maxFilterValues }, (_, i) => [
          `f${i}`,
          { $in: values },
        ]),
      );
      const err = expectBadRequest(
        { $and: [full, { x: { $exists: true } }] },
        'filter.$and[1].x.$exists',
      );
      expect(err.extras.reason).toBe('limit:filter_cost');
      const clauses = Array.from({ length: LIMITS.maxFilterClauses + 1 }, (_, i) => ({
        [`f${i}`]: { $exists: i % 2 === 0 },
      }));
      expect(
        expectBadRequest(
          { $or: clauses },
          `filter.$or[${LIMITS.maxFilterClauses}].f${LIMITS.maxFilterClauses}.$exists`,
        ).message,
      ).toMatch(/clauses/);
    });

    it('accepts field names at the edges of the allowed pattern', () => {
      const widest = Array.from({ length: 8 }, (_, i) => `s${i}`.padEnd(15, 'x')).join('.');
      expect(widest).toHaveLength(127);
      expect(parse({ [widest]: 1 })).toEqual({ op: '$eq', field: widest, value: 1 });
      const longest = 'a' + 'b'.repeat(127);
      expect(parse({ [longest]: 1 })).toEqual({ op: '$eq', field: longest, value: 1 });
      expect(parse({ _x9: 1 })).toEqual({ op: '$eq', field: '_x9', value: 1 });
      expect(parse({ Z: 1 })).toEqual({ op: '$eq', field: 'Z', value: 1 });
    });

    it(`accepts nesting exactly ${LIMITS.maxFilterDepth} levels deep`, () => {
      const tree = parse(nested(LIMITS.maxFilterDepth - 1, { a: 1 }));
      let node = tree;
      let levels = 1;
      while (node && node.op === '$and') {
        node = node.nodes[0];
        levels++;
      }
      expect(levels).toBe(LIMITS.maxFilterDepth);
      expect(node).toEqual({ op: '$eq', field: 'a', value: 1 });
    });

    it(`accepts exactly ${LIMITS.maxFilterClauses} clauses and ${LIMITS.maxFilterValues} $in values`, () => {
      const many = Object.fromEntries(
        Array.from({ length: LIMITS.maxFilterClauses }, (_, i) => [`f${i}`, i]),
      );
      const tree = parse(many);
      expect(tree?.op).toBe('$and');
      expect(tree && 'nodes' in tree ? tree.nodes.length : 0).toBe(LIMITS.maxFilterClauses);
      const values = Array.from({ length: LIMITS.maxFilterValues }, (_, i) => i);
      expect(parse({ a: { $in: values } })).toEqual({ op: '$in', field: 'a', values });
    });

    it('uses the given path prefix in errors', () => {
      const err = errorOf(() => parser.parse({ a: { $regex: 'x' } }, 'body.filter'));
      expect(err.extras.field).toBe('body.filter.a.$regex');
    });
  });

  describe('refused operators and shapes', () => {
    it.each([
      [{ a: { $regex: '^x' } }, 'filter.a.$regex'],
      [{ $where: 'this.a == 1' }, 'filter.$where'],
      [{ $not: { a: 1 } }, 'filter.$not'],
      [{ $nor: [{ a: 1 }] }, 'filter.$nor'],
      [{ a: { $elemMatch: { b: 1 } } }, 'filter.a.$elemMatch'],
      [{ a: { b: 1 } }, 'filter.a.b'],
      [{ a: { $gt: 1, $regex: 'x' } }, 'filter.a.$regex'],
    ])('refuses the unknown operator in %j at %s', (input, field) => {
      const err = expectBadRequest(input, field);
      expect(err.message).toMatch(/unknown operator/);
    });

    it.each([
      ['a string', 'a = 1'],
      ['a number', 42],
      ['a boolean', true],
      ['an array', [{ a: 1 }]],
    ])('refuses %s as the filter', (_label, input) => {
      expectBadRequest(input, 'filter');
    });

    it('refuses $and and $or without a non-empty array', () => {
      expectBadRequest({ $and: [] }, 'filter.$and');
      expectBadRequest({ $or: [] }, 'filter.$or');
      expectBadRequest({ $and: { a: 1 } }, 'filter.$and');
      expectBadRequest({ $or: 'a' }, 'filter.$or');
    });

    it('refuses $and items that are not objects or are empty', () => {
      expectBadRequest({ $and: [{ a: 1 }, 'x'] }, 'filter.$and[1]');
      expectBadRequest({ $or: [{ a: 1 }, null] }, 'filter.$or[1]');
      expectBadRequest({ $or: [[{ a: 1 }]] }, 'filter.$or[0]');
      expectBadRequest({ $and: [{}] }, 'filter.$and[0]');
    });

    it('refuses an empty operator object', () => {
      expectBadRequest({ a: {} }, 'filter.a');
    });

    it(`refuses nesting deeper than ${LIMITS.maxFilterDepth} levels`, () => {
      const path = `filter${'.$and[0]'.repeat(LIMITS.maxFilterDepth)}`;
      const err = expectBadRequest(nested(LIMITS.maxFilterDepth, { a: 1 }), path);
      expect(err.message).toContain(String(LIMITS.maxFilterDepth));
    });

    it(`refuses more than ${LIMITS.maxFilterClauses} clauses, counted across the whole tree`, () => {
      const half = LIMITS.maxFilterClauses / 2;
      const left = Object.fromEntries(Array.from({ length: half }, (_, i) => [`l${i}`, i]));
      const right = Object.fromEntries(Array.from({ length: half + 1 }, (_, i) => [`r${i}`, i]));
      const err = expectBadRequest({ $or: [left, right] }, `filter.$or[1].r${half}`);
      expect(err.message).toContain(String(LIMITS.maxFilterClauses));
      // Operators on one field count one clause each.
      const ops = { $gt: 1, $lt: 2 };
      const fields = Object.fromEntries(
        Array.from({ length: LIMITS.maxFilterClauses / 2 + 1 }, (_, i) => [`f${i}`, ops]),
      );
      expectBadRequest(fields, `filter.f${LIMITS.maxFilterClauses / 2}.$gt`);
    });

    it(`refuses $in and $nin with more than ${LIMITS.maxFilterValues} values or none`, () => {
      const tooMany = Array.from({ length: LIMITS.maxFilterValues + 1 }, (_, i) => i);
      expectBadRequest({ a: { $in: tooMany } }, 'filter.a.$in');
      expectBadRequest({ a: { $nin: tooMany } }, 'filter.a.$nin');
      expectBadRequest({ a: { $in: [] } }, 'filter.a.$in');
      expectBadRequest({ a: { $nin: 'x' } }, 'filter.a.$nin');
    });

    it(`refuses a filter whose values add up to more than ${LIMITS.maxFilterCost}, however they are spread`, () => {
      const values = Array.from({ length: LIMITS.maxFilterValues }, (_, i) => i);
      const sets = LIMITS.maxFilterCost / LIMITS.maxFilterValues;
      const atLimit = Object.fromEntries(
        Array.from({ length: sets }, (_, i) => [`f${i}`, { $nin: values }]),
      );
      expect(parse(atLimit)?.op).toBe('$and');
      const over = { $and: [atLimit, { extra: 1 }] };
      const err = expectBadRequest(over, 'filter.$and[1].extra');
      expect(err.message).toContain(String(LIMITS.maxFilterCost));
      expect(err.extras.reason).toBe('limit:filter_cost');
      // The attack that froze the engine: 64 clauses of 256 values each.
      const attack = {
        $and: Array.from({ length: 64 }, (_, i) => ({ [`t${i % 8}`]: { $nin: values } })),
      };
      expect(errorOf(() => parse(attack)).extras.reason).toBe('limit:filter_cost');
    });

    it('refuses non-finite numbers wherever a value appears', () => {
      expectBadRequest({ a: Infinity }, 'filter.a');
      expectBadRequest({ a: { $eq: -Infinity } }, 'filter.a.$eq');
      expectBadRequest({ a: { $gt: NaN } }, 'filter.a.$gt');
      expectBadRequest({ a: { $in: [1, NaN] } }, 'filter.a.$in[1]');
      expectBadRequest({ a: { $nin: [Infinity] } }, 'filter.a.$nin[0]');
    });

    it('refuses null, objects and arrays where a scalar is needed', () => {
      expectBadRequest({ a: null }, 'filter.a');
      expectBadRequest({ a: [1, 2] }, 'filter.a');
      expectBadRequest({ a: { $eq: null } }, 'filter.a.$eq');
      expectBadRequest({ a: { $ne: { b: 1 } } }, 'filter.a.$ne');
      expectBadRequest({ a: { $eq: [1] } }, 'filter.a.$eq');
      expectBadRequest({ a: { $in: [1, null] } }, 'filter.a.$in[1]');
      expectBadRequest({ a: { $in: [[1]] } }, 'filter.a.$in[0]');
      expectBadRequest({ a: { $nin: ['x', { b: 1 }] } }, 'filter.a.$nin[1]');
    });

    it('refuses a value of a type JSON does not have', () => {
      expectBadRequest({ a: undefined }, 'filter.a');
      expectBadRequest({ a: BigInt(1) }, 'filter.a');
    });

    it('refuses range operators with anything but a number', () => {
      expectBadRequest({ a: { $gt: '5' } }, 'filter.a.$gt');
      expectBadRequest({ a: { $gte: 'x' } }, 'filter.a.$gte');
      expectBadRequest({ a: { $lt: true } }, 'filter.a.$lt');
      expectBadRequest({ a: { $lte: '' } }, 'filter.a.$lte');
    });

    it(`refuses string values longer than ${LIMITS.maxFilterString} characters`, () => {
      expect(parse({ a: 'x'.repeat(LIMITS.maxFilterString) })).toEqual({
        op: '$eq',
        field: 'a',
        value: 'x'.repeat(LIMITS.maxFilterString),
      });
      expectBadRequest({ a: 'x'.repeat(LIMITS.maxFilterString + 1) }, 'filter.a');
      expectBadRequest(
        { a: { $in: ['ok', 'x'.repeat(LIMITS.maxFilterString + 1)] } },
        'filter.a.$in[1]',
      );
    });
  });

  describe('field names', () => {
    it.each([
      '1x',
      "x'--",
      'a b',
      '',
      'a-b',
      'é',
      'a"b',
      'a[0]',
      'a' + 'b'.repeat(128),
      'a.',
      '.a',
      'a..b',
      'a.1b',
      'a.b.c.d.e.f.g.h.i',
      'a.$b',
    ])('refuses the field name %j, which does not match the field pattern', (name) => {
      const err = expectBadRequest({ [name]: 1 }, `filter.${name}`);
      expect(err).not.toBeInstanceOf(TenantBypassError);
    });

    it('refuses a field longer than any field can be without judging its segments', () => {
      const reserved = new ReservedKeys(['tenant_id']);
      const judge = jest.spyOn(reserved, 'judge');
      const checking = new FilterParser(reserved);
      const long = `é${'.é'.repeat(600)}.tenant_id`;
      expect(() => checking.checkField(long, 'filter.key')).toThrow(BadRequestError);
      expect(() => checking.checkField(long, 'filter.key')).not.toThrow(TenantBypassError);
      expect(judge).not.toHaveBeenCalled();
      // Within the length, a reserved segment is still a bypass attempt.
      expect(() => checking.checkField('é.tenant_id', 'filter.key')).toThrow(TenantBypassError);
    });

    it('refuses a bad field name inside $or, naming its full path', () => {
      expectBadRequest({ $or: [{ a: 1 }, { 'x-y': { $in: [1] } }] }, 'filter.$or[1].x-y');
    });
  });

  describe('reserved fields', () => {
    it.each([
      'tenant_id',
      'tenantId',
      'tenant',
      'TENANT',
      'Tenant-ID',
      'tenant_uid',
      'ｔｅｎａｎｔ',
      'ｔｅｎａｎｔ＿ｉｄ',
      '_vg_x',
      '_vg',
      '_VG_tenant',
      'metadata.tenant_id',
      'a._vg_tenant',
      'loc.tenant.from',
      '_vg.x',
    ])('refuses the reserved field %j as a tenant bypass attempt', (name) => {
      expectBypass({ [name]: 'acme' }, `filter.${name}`);
    });

    it('refuses a reserved field at any depth and with any operator', () => {
      expectBypass({ $or: [{ a: 1 }, { tenant_id: { $ne: 'x' } }] }, 'filter.$or[1].tenant_id');
      expectBypass(
        { $and: [{ $or: [{ tenant: { $in: ['a', 'b'] } }] }] },
        'filter.$and[0].$or[0].tenant',
      );
    });

    it('refuses the configured tenant claim name', () => {
      const custom = new FilterParser(new ReservedKeys(['org_key']));
      const err = errorOf(() => custom.parse({ orgKey: 'x' }));
      expect(err).toBeInstanceOf(TenantBypassError);
      expect(err.extras.field).toBe('filter.orgKey');
      expect(custom.parse({ org: 'x' })).toEqual({ op: '$eq', field: 'org', value: 'x' });
    });

    it('does not refuse fields that merely contain the word tenant', () => {
      expect(parse({ tenants: 1 })).toEqual({ op: '$eq', field: 'tenants', value: 1 });
      expect(parse({ subtenant_count: 1 })).toEqual({
        op: '$eq',
        field: 'subtenant_count',
        value: 1,
      });
    });
  });
});
