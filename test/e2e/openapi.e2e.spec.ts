import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryModule, DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { startGateway, TestGateway } from '../support/test-gateway';

type Schema = {
  type?: string;
  example?: unknown;
  enum?: unknown[];
  items?: Schema;
  properties?: Record<string, Schema>;
  $ref?: string;
  nullable?: boolean;
};
type Operation = {
  security?: unknown[];
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
};
type Document = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
};

/** The routes of the HTTP API in the README (tenant plane, admin plane, health). */
const CONTRACT = [
  'put /v1/vectors',
  'get /v1/vectors/{id}',
  'post /v1/vectors/delete',
  'post /v1/search',
  'get /v1/stats',
  'get /v1/audit',
  'post /v1/admin/tenants',
  'get /v1/admin/tenants',
  'get /v1/admin/tenants/{id}',
  'patch /v1/admin/tenants/{id}',
  'delete /v1/admin/tenants/{id}',
  'post /v1/admin/tenants/{id}/tokens',
  'delete /v1/admin/tenants/{id}/tokens/{jti}',
  'post /v1/admin/tenants/{id}/api-keys',
  'get /v1/admin/tenants/{id}/api-keys',
  'delete /v1/admin/tenants/{id}/api-keys/{keyId}',
  'post /v1/admin/tenants/{id}/search',
  'get /v1/admin/audit',
  'get /health/live',
  'get /health/ready',
];

/** The metadata key of `@ApiExcludeController()` (@nestjs/swagger's DECORATORS, not exported). */
const EXCLUDED = 'swagger/apiExcludeController';

function controllerRoutes(gw: TestGateway): string[] {
  const discovery = gw.app.get(DiscoveryService);
  const scanner = gw.app.get(MetadataScanner);
  const reflector = gw.app.get(Reflector);
  const routes: string[] = [];
  for (const wrapper of discovery.getControllers()) {
    // Dialects serve another product's API (the Pinecone API under /pinecone, the Qdrant API on
    // its own port), documented in docs/dialects, not in /docs.
    const excluded = reflector.get<boolean[] | undefined>(EXCLUDED, wrapper.metatype as never);
    if (excluded?.[0] === true) continue;
    const instance = wrapper.instance as object;
    const base = String(reflector.get<string>(PATH_METADATA, wrapper.metatype as never) ?? '');
    for (const name of scanner.getAllMethodNames(Object.getPrototypeOf(instance))) {
      const handler = (instance as Record<string, unknown>)[name] as () => unknown;
      const path = reflector.get<string | undefined>(PATH_METADATA, handler);
      const method = reflector.get<RequestMethod | undefined>(METHOD_METADATA, handler);
      if (path === undefined || method === undefined) continue;
      const full = `/${[base, path].filter((p) => p && p !== '/').join('/')}`
        .replace(/\/+/g, '/')
        .replace(/:(\w+)/g, '{$1}');
      routes.push(`${RequestMethod[method].toLowerCase()} ${full}`);
    }
  }
  return routes.sort();
}

function checkExample(schema: Schema, doc: Document, where: string, problems: string[]): void {
  if (schema.$ref) return;
  if (schema.example !== undefined && schema.example !== null) {
    const ex = schema.example;
    const ok =
      schema.type === 'number' || schema.type === 'integer'
        ? typeof ex === 'number' && (schema.type === 'number' || Number.isInteger(ex))
        : schema.type === 'string'
          ? typeof ex === 'string'
          : schema.type === 'boolean'
            ? typeof ex === 'boolean'
            : schema.type === 'array'
              ? Array.isArray(ex)
              : schema.type === 'object'
                ? typeof ex === 'object' && !Array.isArray(ex)
                : true;
    if (!ok) problems.push(`${where}: example ${JSON.stringify(ex)} is not a ${schema.type}`);
    if (schema.enum && !schema.enum.includes(ex))
      problems.push(`${where}: example ${JSON.stringify(ex)} not in enum`);
  }
  for (const [name, prop] of Object.entries(schema.properties ?? {}))
    checkExample(prop, doc, `${where}.${name}`, problems);
  if (schema.items) checkExample(schema.items, doc, `${where}[]`, problems);
}

describe('OpenAPI document', () => {
  let gw: TestGateway;
  let doc: Document;
  beforeAll(async () => {
    gw = await startGateway({ imports: [DiscoveryModule] });
    const res = await gw.http.get('/docs-json');
    expect(res.status).toBe(200);
    doc = res.body as Document;
  });
  afterAll(() => gw.close(true));

  it('serves the Swagger UI at /docs without a token', async () => {
    const res = await gw.http.get('/docs');
    expect(res.status).toBe(200);
    expect(res.text).toContain('swagger');
  });

  it('documents exactly the routes the controllers serve, and the contract’s routes are among them', () => {
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`))
      .sort();
    expect(documented).toEqual(controllerRoutes(gw));
    for (const route of CONTRACT) expect(documented).toContain(route);
  });

  it('documents, for every protected route, bearer and api-key security, a success schema and problem answers', () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (path.startsWith('/health')) continue;
      for (const [method, op] of Object.entries(ops)) {
        const where = `${method} ${path}`;
        expect([where, op.security]).toEqual([where, [{ bearer: [] }, { 'api-key': [] }]]);
        const statuses = Object.keys(op.responses);
        expect([where, statuses.some((s) => /^2/.test(s))]).toEqual([where, true]);
        for (const s of ['401', '403']) {
          expect([
            where,
            s,
            op.responses[s]?.content?.['application/problem+json']?.schema?.$ref,
          ]).toEqual([where, s, '#/components/schemas/ProblemDto']);
        }
      }
    }
  });

  it('has only examples that fit their schemas', () => {
    const problems: string[] = [];
    for (const [name, schema] of Object.entries(doc.components.schemas))
      checkExample(schema, doc, name, problems);
    expect(problems).toEqual([]);
  });
});
