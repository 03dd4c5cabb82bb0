import { isDatabaseAway, redactDatabaseUrl } from './pg-faults';

const pgError = (code: string) => Object.assign(new Error('from the server'), { code });

describe('isDatabaseAway', () => {
  it.each(['57P01', '08006', '08001', '57014', '53300'])(
    'treats SQLSTATE %s as the database being away (503)',
    (code) => expect(isDatabaseAway(pgError(code))).toBe(true),
  );

  it.each(['23505', '42P01', '22P02', '40001'])(
    'keeps SQLSTATE %s as a statement error the caller handles',
    (code) => expect(isDatabaseAway(pgError(code))).toBe(false),
  );

  it('treats driver failures without a SQLSTATE (refused, reset, terminated) as away', () => {
    expect(isDatabaseAway(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe(
      true,
    );
    expect(isDatabaseAway(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseAway('not an error')).toBe(false);
  });
});

describe('redactDatabaseUrl', () => {
  it('never prints the password of DATABASE_URL', () => {
    const shown = redactDatabaseUrl('postgres://vecgate:s3cret@db.internal:5432/vecgate');
    expect(shown).toBe('postgres://vecgate:***@db.internal:5432/vecgate');
  });
});
