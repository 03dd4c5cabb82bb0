import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ProblemDto } from '../dto/problem.dto';

export function buildOpenApi(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('vecgate')
    .setDescription(
      'Multi-tenant gateway for vector databases. The tenant of every tenant-plane call comes from the verified ' +
        'credential only (a JWT, or a tenant API key as a bearer or in the api-key header); errors are ' +
        'application/problem+json (RFC 9457) with a request id.',
    )
    .setVersion('1')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT, or an API key vgk_<24 hex>_<56 base64url>',
    })
    .addApiKey({ type: 'apiKey', in: 'header', name: 'api-key' }, API_KEY_SCHEME)
    .build();
  const document = SwaggerModule.createDocument(app, config, { extraModels: [ProblemDto] });
  acceptApiKeysWhereverBearer(document);
  return document;
}

const API_KEY_SCHEME = 'api-key';

/** Every route that takes a bearer credential takes an API key in the api-key header as well. */
function acceptApiKeysWhereverBearer(document: OpenAPIObject): void {
  for (const item of Object.values(document.paths)) {
    for (const op of [item.get, item.put, item.post, item.delete, item.patch, item.head]) {
      if (op?.security?.some((requirement) => 'bearer' in requirement)) {
        op.security = [...op.security, { [API_KEY_SCHEME]: [] }];
      }
    }
  }
}

/** Serves the UI at /docs and the JSON document at /docs-json. */
export function setupSwagger(app: INestApplication): OpenAPIObject {
  const document = buildOpenApi(app);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
  });
  return document;
}
