import { BadRequestError } from '@vecgate/core';
import { namespaceName } from './namespace-name';

function refusal(value: unknown): BadRequestError {
  try {
    namespaceName(value, 'body.namespace');
  } catch (err) {
    if (err instanceof BadRequestError) return err;
    throw err;
  }
  throw new Error(`${JSON.stringify(value)} was accepted`);
}

describe('namespace names', () => {
  it('reads absent, "" and "__default__" as the default namespace', () => {
    expect(namespaceName(undefined)).toBe('');
    expect(namespaceName('')).toBe('');
    expect(namespaceName('__default__')).toBe('');
  });

  it.each(['docs', 'a', 'A1', 'team.docs:v2@eu-west_1', '9lives', 'x'.repeat(64)])(
    'accepts %s unchanged',
    (name) => {
      expect(namespaceName(name)).toBe(name);
    },
  );

  it.each(['_private', '_', '__default', '___default__', '_vg_uid', '__DEFAULT__'])(
    'refuses %s as reserved',
    (name) => {
      const err = refusal(name);
      expect(err.status).toBe(400);
      expect(err.message).toContain('reserved');
      expect(err.extras).toMatchObject({ field: 'body.namespace', reason: 'reserved_namespace' });
    },
  );

  it.each([
    'x'.repeat(65),
    '-docs',
    '.docs',
    'docs/other',
    'docs space',
    'docs\n',
    'dócs',
    'a*',
    'tenant\u0000',
  ])('refuses %j naming the field and the rule', (name) => {
    const err = refusal(name);
    expect(err.status).toBe(400);
    expect(err.extras.field).toBe('body.namespace');
    expect(err.extras.reason).toBeUndefined();
    expect(err.message).toContain('1 to 64 letters, digits and _ . : @ -');
  });

  it.each([null, 7, true, ['docs'], { name: 'docs' }])('refuses %j: names are strings', (v) => {
    const err = refusal(v);
    expect(err.message).toBe('must be a string');
    expect(err.extras.field).toBe('body.namespace');
  });
});
