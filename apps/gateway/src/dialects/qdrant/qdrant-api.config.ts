import { readFileSync } from 'node:fs';

/** The Qdrant API listener: off (`port: null`) unless `QDRANT_API_PORT` is set. */
export interface QdrantApiConfig {
  readonly port: number | null;
  readonly host: string;
  /** PEM certificate chain and key; absent for plaintext HTTP. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
}

const LOOPBACK = /^(localhost|::1|127(?:\.\d{1,3}){3})$/;

/** Whether a bind address keeps the listener on this machine. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

/**
 * Reads `QDRANT_API_PORT`, `QDRANT_API_HOST`, `QDRANT_API_TLS_CERT_FILE`,
 * `QDRANT_API_TLS_KEY_FILE` and `QDRANT_API_ALLOW_PLAINTEXT`, adding one line per bad key to
 * `problems`. In production, a plaintext listener bound beyond loopback carries API keys in
 * clear, so it is refused unless `QDRANT_API_ALLOW_PLAINTEXT=true` says TLS ends in front of it.
 */
export function loadQdrantApiConfig(
  source: NodeJS.ProcessEnv,
  defaults: { readonly host: string; readonly production: boolean },
  problems: string[],
): QdrantApiConfig {
  const value = (key: string): string | undefined => source[key]?.trim() || undefined;
  const rawPort = value('QDRANT_API_PORT');
  const host = value('QDRANT_API_HOST') ?? defaults.host;
  const certFile = value('QDRANT_API_TLS_CERT_FILE');
  const keyFile = value('QDRANT_API_TLS_KEY_FILE');
  const allowRaw = value('QDRANT_API_ALLOW_PLAINTEXT') ?? 'false';
  if (rawPort === undefined) {
    for (const key of ['QDRANT_API_TLS_CERT_FILE', 'QDRANT_API_TLS_KEY_FILE'])
      if (value(key) !== undefined)
        problems.push(`${key}: set, but QDRANT_API_PORT is not (the Qdrant API is off)`);
    return { port: null, host };
  }
  const port = /^\d{1,5}$/.test(rawPort) ? Number(rawPort) : NaN;
  if (!(port >= 0 && port <= 65535))
    problems.push('QDRANT_API_PORT: must be a port number (0 to 65535)');
  if (!['true', 'false', '1', '0'].includes(allowRaw))
    problems.push('QDRANT_API_ALLOW_PLAINTEXT: must be true or false');
  if ((certFile === undefined) !== (keyFile === undefined))
    problems.push(
      'QDRANT_API_TLS_CERT_FILE: set both QDRANT_API_TLS_CERT_FILE and QDRANT_API_TLS_KEY_FILE, or neither',
    );
  const tls =
    certFile !== undefined && keyFile !== undefined
      ? {
          cert: readPem('QDRANT_API_TLS_CERT_FILE', certFile, problems),
          key: readPem('QDRANT_API_TLS_KEY_FILE', keyFile, problems),
        }
      : undefined;
  const allowPlaintext = allowRaw === 'true' || allowRaw === '1';
  if (defaults.production && !tls && !allowPlaintext && !isLoopback(host)) {
    problems.push(
      `QDRANT_API_PORT: a plaintext listener on ${host} would carry API keys in clear; set ` +
        'QDRANT_API_TLS_CERT_FILE and QDRANT_API_TLS_KEY_FILE, bind QDRANT_API_HOST to loopback, ' +
        'or set QDRANT_API_ALLOW_PLAINTEXT=true when TLS ends in front of the gateway',
    );
  }
  return { port, host, ...(tls ? { tls } : {}) };
}

function readPem(key: string, file: string, problems: string[]): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    problems.push(
      `${key}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
    return Buffer.alloc(0);
  }
}
