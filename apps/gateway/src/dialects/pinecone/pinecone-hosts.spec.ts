import { baseUrl } from './pinecone-hosts';

const bound = (address: string, port: number) => ({ address, port, family: 'IPv4' });

describe('the base of Pinecone index hosts', () => {
  it('is PUBLIC_URL whenever it is set, whatever the server is bound to', () => {
    const http = { publicUrl: 'https://vg.example.com/api', host: '0.0.0.0', port: 8080 };
    expect(baseUrl(http, bound('10.0.0.5', 9999))).toBe('https://vg.example.com/api');
  });

  it('is the bound address and port without it, loopback for an unspecified address', () => {
    expect(baseUrl({ host: '0.0.0.0', port: 8080 }, bound('0.0.0.0', 41234))).toBe(
      'http://127.0.0.1:41234',
    );
    expect(baseUrl({ host: '::', port: 8080 }, bound('::', 8080))).toBe('http://127.0.0.1:8080');
    expect(baseUrl({ host: '10.1.2.3', port: 8080 }, bound('10.1.2.3', 8080))).toBe(
      'http://10.1.2.3:8080',
    );
    expect(baseUrl({ host: '::1', port: 8080 }, bound('::1', 8081))).toBe('http://[::1]:8081');
  });

  it('falls back to the configured listener before the server is bound', () => {
    expect(baseUrl({ host: 'gw.internal', port: 8080 }, null)).toBe('http://gw.internal:8080');
  });
});
