import { DatabaseError } from 'pg';
import { pgvectorFailure } from './pgvector.errors';
import { PgvectorScopeError } from './pgvector.naming';

function serverError(code: string, message: string): DatabaseError {
  const err = new DatabaseError(message, message.length, 'error');
  err.code = code;
  return err;
}

function status(err: Error): number | undefined {
  return (err as { status?: number }).status;
}

describe('pgvector driver errors', () => {
  it('makes a value PostgreSQL refuses the caller’s 422, naming the reason', () => {
    const err = pgvectorFailure(
      'upsert',
      serverError('22P05', 'unsupported Unicode escape sequence'),
    );
    expect(status(err)).toBe(422);
    expect(err.message).toBe('PostgreSQL refused a value: unsupported Unicode escape sequence');
  });

  it('makes a statement stopped by statement_timeout the deadline (504)', () => {
    const err = pgvectorFailure(
      'search',
      serverError('57014', 'canceling statement due to statement timeout'),
    );
    expect(status(err)).toBe(504);
  });

  it('makes an unreachable or shutting-down server unavailable (503), without the address', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:5432'), {
      code: 'ECONNREFUSED',
      syscall: 'connect',
    });
    const network = pgvectorFailure('fetch', refused);
    expect(status(network)).toBe(503);
    expect(network.message).toBe('PostgreSQL cannot be reached (fetch: ECONNREFUSED)');
    expect(status(pgvectorFailure('fetch', serverError('57P01', 'terminating connection')))).toBe(
      503,
    );
    expect(status(pgvectorFailure('fetch', new Error('Connection terminated unexpectedly')))).toBe(
      503,
    );
  });

  it('answers anything else as a backend failure (502) that shows no SQL or driver text', () => {
    const err = pgvectorFailure('count', serverError('42P01', 'relation "vg_t_x" does not exist'));
    expect(status(err)).toBe(502);
    expect(err.message).toBe('PostgreSQL count failed (SQLSTATE 42P01)');
  });

  it('keeps a refused placement as it is: vecgate’s invariant, not PostgreSQL’s failure', () => {
    const scope = new PgvectorScopeError('placement does not match its uid');
    expect(pgvectorFailure('fetch', scope)).toBe(scope);
  });
});
