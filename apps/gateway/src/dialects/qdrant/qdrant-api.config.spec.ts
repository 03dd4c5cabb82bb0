import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadGatewayConfig } from '../../config/gateway.config';
import { loadQdrantApiConfig } from './qdrant-api.config';

const PRODUCTION = { host: '0.0.0.0', production: true };

function load(env: NodeJS.ProcessEnv, defaults = PRODUCTION) {
  const problems: string[] = [];
  const config = loadQdrantApiConfig(env, defaults, problems);
  return { config, problems };
}

function pemFiles(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'qdrant-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  writeFileSync(cert, '-----BEGIN CERTIFICATE-----\n');
  writeFileSync(key, '-----BEGIN PRIVATE KEY-----\n');
  return { cert, key };
}

describe('Qdrant API listener settings', () => {
  it('is off unless QDRANT_API_PORT is set, and names TLS files set without it', () => {
    expect(load({})).toEqual({ config: { port: null, host: '0.0.0.0' }, problems: [] });
    expect(load({ QDRANT_API_TLS_CERT_FILE: '/x' }).problems).toEqual([
      'QDRANT_API_TLS_CERT_FILE: set, but QDRANT_API_PORT is not (the Qdrant API is off)',
    ]);
  });

  it('refuses a plaintext listener beyond loopback in production unless explicitly allowed', () => {
    const [problem] = load({ QDRANT_API_PORT: '6333' }).problems;
    expect(problem).toMatch(
      /^QDRANT_API_PORT: a plaintext listener on 0\.0\.0\.0 would carry API keys in clear/,
    );
    expect(problem).toContain('QDRANT_API_ALLOW_PLAINTEXT=true');
    expect(load({ QDRANT_API_PORT: '6333', QDRANT_API_ALLOW_PLAINTEXT: 'true' }).problems).toEqual(
      [],
    );
    expect(load({ QDRANT_API_PORT: '6333', QDRANT_API_HOST: '127.0.0.1' }).problems).toEqual([]);
    expect(
      load({ QDRANT_API_PORT: '6333' }, { host: '0.0.0.0', production: false }).problems,
    ).toEqual([]);
    const { cert, key } = pemFiles();
    const tls = load({
      QDRANT_API_PORT: '6333',
      QDRANT_API_TLS_CERT_FILE: cert,
      QDRANT_API_TLS_KEY_FILE: key,
    });
    expect(tls.problems).toEqual([]);
    expect(tls.config.tls?.cert.toString()).toContain('BEGIN CERTIFICATE');
  });

  it('names each bad setting', () => {
    expect(
      load({
        QDRANT_API_PORT: '70000',
        QDRANT_API_ALLOW_PLAINTEXT: 'maybe',
        QDRANT_API_TLS_CERT_FILE: '/no/such/cert.pem',
      }).problems,
    ).toEqual([
      'QDRANT_API_PORT: must be a port number (0 to 65535)',
      'QDRANT_API_ALLOW_PLAINTEXT: must be true or false',
      'QDRANT_API_TLS_CERT_FILE: set both QDRANT_API_TLS_CERT_FILE and QDRANT_API_TLS_KEY_FILE, or neither',
      expect.stringMatching(/^QDRANT_API_PORT: a plaintext listener/),
    ]);
    const { cert } = pemFiles();
    expect(
      load({
        QDRANT_API_PORT: '6333',
        QDRANT_API_TLS_CERT_FILE: cert,
        QDRANT_API_TLS_KEY_FILE: '/no/key.pem',
      }).problems,
    ).toEqual(['QDRANT_API_TLS_KEY_FILE: cannot read /no/key.pem (ENOENT)']);
  });

  it('stops start-up with the other configuration problems', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const start = () =>
      loadGatewayConfig({
        NODE_ENV: 'production',
        JWT_SECRET: 'a-secret-of-at-least-thirty-two-characters!',
        DATA_DIR: dataDir,
        QDRANT_API_PORT: '6333',
      });
    expect(start).toThrow(ConfigError);
    expect(start).toThrow(/QDRANT_API_PORT: a plaintext listener/);
  });
});
