import pino from 'pino';
import { Writable } from 'node:stream';
import { LOG_REDACTION } from './log-redaction';

const KEY = `vgk_${'a'.repeat(24)}_${'S3cr3t-'.repeat(8)}`;
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';

function logged(write: (logger: pino.Logger) => void): string {
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      out += chunk.toString();
      done();
    },
  });
  const logger = pino({ redact: LOG_REDACTION }, sink);
  write(logger);
  return out;
}

describe('log redaction', () => {
  it('never writes an API key or a token from request headers', () => {
    const out = logged((log) =>
      log.info({
        req: {
          method: 'POST',
          url: '/v1/search',
          headers: { authorization: `Bearer ${KEY}`, 'api-key': KEY, cookie: `s=${JWT}` },
        },
      }),
    );
    expect(out).not.toContain(KEY.slice(29));
    expect(out).not.toContain(JWT);
    expect(out).toContain('/v1/search');
    expect(out.match(/\[redacted\]/g)).toHaveLength(3);
  });

  it('never writes a key or token field of a logged object, such as a creation answer', () => {
    const out = logged((log) => {
      log.info({ key: KEY, token: JWT, name: 'ingest' });
      log.info({ answer: { id: 'a'.repeat(24), key: KEY, 'api-key': KEY, token: JWT } });
    });
    expect(out).not.toContain(KEY.slice(29));
    expect(out).not.toContain(JWT);
    expect(out).toContain('ingest');
    expect(out).toContain('a'.repeat(24));
  });
});
