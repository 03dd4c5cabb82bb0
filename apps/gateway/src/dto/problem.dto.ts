import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';

export class ProblemDto {
  @ApiProperty({ example: 'about:blank' }) type!: string;
  @ApiProperty({ example: 'Bad Request' }) title!: string;
  @ApiProperty({ example: 400 }) status!: number;
  @ApiProperty({ example: 'values must be finite numbers' }) detail!: string;
  @ApiProperty({ example: '/v1/search' }) instance!: string;
  @ApiProperty({ example: '3f1c2a9e-8d1b-4f47-9a55-1c0e2b7d6a10' }) requestId!: string;
  @ApiPropertyOptional({ example: 'vector[3]', description: 'The input field at fault' })
  field?: string;
  @ApiPropertyOptional({ example: 'tenant_bypass_attempt' }) reason?: string;
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed input or a forbidden (tenant) key; `field` names it',
  401: 'Missing, invalid, expired, revoked or superseded token',
  403: 'Valid token without the right (role, tenant, suspended tenant), or a write past the tenant’s storage quota (`reason: quota:vectors|quota:bytes`)',
  404: 'Not found for this tenant',
  409: 'Conflict',
  413: 'Body or batch too large',
  415: 'Content type is not application/json',
  421: 'An embedded tenant held by another gateway replica (reason tenant_on_other_replica)',
  422: 'Well-formed but unacceptable (wrong dimension, unmapped vector space)',
  429: 'Tenant rate limit or in-flight cap exceeded (Retry-After)',
  502: 'The backend refused or failed the call',
  503: 'Audit store or backend unavailable, or the memory guard is on (Retry-After)',
  504: 'The request did not finish within REQUEST_DEADLINE_MS (`reason: deadline_exceeded`)',
  507: 'A backend limit would be exceeded',
};

/** Documents the problem+json answers a route can give. */
export function ApiProblems(...statuses: number[]): MethodDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status] ?? 'Error',
        content: {
          'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDto' } },
        },
      }),
    ),
  );
}
