import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches, MaxLength } from 'class-validator';
import { CLIENT_REQUEST_ID } from '../http/request-id';
import { PageQuery } from './page.dto';
import { IsInstant } from './rules';
import { SEALED_CURSOR } from '../controllers/tenant-audit-cursors';
import { BadRequestError, instantOf } from '@vecgate/core';
import type { AuditFilter, AuditOutcome, AuditSeverity } from '@vecgate/audit';

export class AuditEventDto {
  @ApiPropertyOptional({
    description: 'Position in the whole trail (admin trail only: it counts every tenant’s events)',
  })
  seq?: number;
  @ApiProperty() id!: string;
  @ApiProperty({ description: 'Epoch milliseconds' }) at!: number;
  @ApiProperty({ description: 'The gateway’s own id of the request (its answer’s x-request-id)' })
  requestId!: string;
  @ApiPropertyOptional({
    description: 'The x-request-id the client sent, if valid: chosen by the client, not unique',
  })
  clientRequestId?: string;
  @ApiPropertyOptional() subject?: string;
  @ApiPropertyOptional({
    description: 'Who minted the subject’s token (minted tokens only)',
    example: 'acme-ops',
  })
  mintedBy?: string;
  @ApiPropertyOptional() tenantUid?: string;
  @ApiPropertyOptional() tenantId?: string;
  @ApiPropertyOptional({
    description: 'Tenant claimed by an unverified token (platform view only)',
  })
  claimedTenant?: string;
  @ApiPropertyOptional() targetTenant?: string;
  @ApiPropertyOptional() targetTenantUid?: string;
  @ApiProperty({ example: 'vectors.search' }) action!: string;
  @ApiProperty({
    example: 'POST /v1/search?namespace=docs',
    description: 'Method and route; `?namespace=<name>` after it for a call in a named namespace',
  })
  resource!: string;
  @ApiProperty({ enum: ['allowed', 'denied', 'error'] }) outcome!: string;
  @ApiProperty({ example: 200 }) status!: number;
  @ApiPropertyOptional() reason?: string;
  @ApiPropertyOptional() resultCount?: number;
  @ApiProperty() latencyMs!: number;
  @ApiProperty() ip!: string;
  @ApiProperty({ enum: ['info', 'alert'] }) severity!: string;
}

export class AuditPageDto {
  @ApiProperty({ type: [AuditEventDto] }) items!: AuditEventDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

/** The filters both trails take. */
export class AuditFilterQuery extends PageQuery {
  @ApiPropertyOptional({ example: 'vectors.search' })
  @IsOptional()
  @Matches(/^[a-z_.]{1,64}$/)
  action?: string;

  @ApiPropertyOptional({ enum: ['allowed', 'denied', 'error'] })
  @IsOptional()
  @IsIn(['allowed', 'denied', 'error'])
  outcome?: AuditOutcome;

  @ApiPropertyOptional({ enum: ['info', 'alert'] })
  @IsOptional()
  @IsIn(['info', 'alert'])
  severity?: AuditSeverity;

  @ApiPropertyOptional({
    description:
      'Events of every request that sent this x-request-id: clients choose it, so it may match several requests',
  })
  @IsOptional()
  @Matches(CLIENT_REQUEST_ID)
  clientRequestId?: string;

  @ApiPropertyOptional({
    example: '2026-11-01T00:00:00Z',
    description: 'Events at or after: a date (midnight UTC) or date-time (UTC without an offset)',
  })
  @IsOptional()
  @IsInstant()
  since?: string;

  @ApiPropertyOptional({
    example: '2026-12-01T00:00:00Z',
    description: 'Events before: a date (midnight UTC) or date-time (UTC without an offset)',
  })
  @IsOptional()
  @IsInstant()
  until?: string;

  toFilter(): AuditFilter {
    const since = this.since ? instantOf(this.since) : undefined;
    const until = this.until ? instantOf(this.until) : undefined;
    if (since !== undefined && until !== undefined && since > until) {
      throw new BadRequestError('since must not be after until', 'since');
    }
    return {
      action: this.action,
      clientRequestId: this.clientRequestId,
      outcome: this.outcome,
      severity: this.severity,
      since,
      until,
    };
  }
}

/** A tenant's trail: its cursor is opaque (the trail's positions are shared by all tenants). */
export class AuditQuery extends AuditFilterQuery {
  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @Matches(SEALED_CURSOR, { message: 'cursor must be the nextCursor of a previous page' })
  cursor?: string;
}

export class AdminAuditQuery extends AuditFilterQuery {
  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @Matches(/^\d{1,18}$/, { message: 'cursor must be the nextCursor of a previous page' })
  cursor?: string;

  @ApiPropertyOptional({
    example: 'acme',
    description: 'Events of this tenant id, as actor or target',
  })
  @IsOptional()
  @Matches(/^[a-z0-9-]{1,63}$/)
  forTenant?: string;

  @ApiPropertyOptional({ example: 'search-service' })
  @IsOptional()
  @MaxLength(256)
  subject?: string;

  @ApiPropertyOptional({
    description:
      'Events of one request: the gateway’s own id (the x-request-id of its answer), never a client’s',
  })
  @IsOptional()
  @Matches(/^[A-Za-z0-9._-]{1,64}$/)
  requestId?: string;

  @ApiPropertyOptional({ description: 'Events of one tenant incarnation (uid)' })
  @IsOptional()
  @Matches(/^[0-9a-f]{32}$/)
  forTenantUid?: string;

  override toFilter(): AuditFilter {
    return {
      ...super.toFilter(),
      tenantId: this.forTenant,
      tenantUid: this.forTenantUid,
      subject: this.subject,
      requestId: this.requestId,
    };
  }
}
