import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { IsOmittable } from './rules';
import { PageQuery } from './page.dto';
import { BACKENDS, METRICS, STRATEGIES, TIER_PATTERN } from '@vecgate/isolation';
import type { BackendName, MetricName, StrategyName } from '@vecgate/isolation';
import { TENANT_ID_PATTERN } from '@vecgate/tenancy';
import { MIGRATION_STATES } from '@vecgate/tenancy';
import type { Tenant, TenantMigration, TierPlace } from '@vecgate/tenancy';

export class CreateTenantRequest {
  @ApiProperty({ example: 'acme', pattern: '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$' })
  @IsString()
  @MaxLength(63)
  @Matches(TENANT_ID_PATTERN, { message: `id must match ${TENANT_ID_PATTERN.source}` })
  id!: string;

  @ApiPropertyOptional({ example: 'standard', description: 'Defaults to DEFAULT_TIER' })
  @IsOptional()
  @IsString()
  @Matches(TIER_PATTERN, { message: `tier must match ${TIER_PATTERN.source}` })
  tier?: string;

  @ApiPropertyOptional({
    enum: BACKENDS,
    description: 'Overrides the tier placement (with strategy)',
  })
  @IsOptional()
  @IsIn(BACKENDS)
  backend?: BackendName;

  @ApiPropertyOptional({ enum: STRATEGIES })
  @IsOptional()
  @IsIn(STRATEGIES)
  strategy?: StrategyName;

  @ApiProperty({ example: 3, minimum: 1, maximum: 4096 })
  @IsInt()
  dimension!: number;

  @ApiProperty({ enum: METRICS, example: 'cosine' })
  @IsIn(METRICS)
  metric!: MetricName;
}

export class UpdateTenantRequest {
  @ApiPropertyOptional({ enum: ['active', 'suspended'] })
  @IsOmittable()
  @IsIn(['active', 'suspended'])
  status?: 'active' | 'suspended';

  @ApiPropertyOptional({
    example: 'premium',
    description:
      'A tier whose PLACEMENT_POLICY rule places elsewhere moves the tenant (202); a tier without a rule is a label only',
  })
  @IsOmittable()
  @IsString()
  @Matches(TIER_PATTERN, { message: `tier must match ${TIER_PATTERN.source}` })
  tier?: string;

  @ApiPropertyOptional({ enum: BACKENDS, description: 'Moves the tenant to this backend' })
  @IsOmittable()
  @IsIn(BACKENDS)
  backend?: BackendName;

  @ApiPropertyOptional({ enum: STRATEGIES, description: 'Moves the tenant to this strategy' })
  @IsOmittable()
  @IsIn(STRATEGIES)
  strategy?: StrategyName;
}

export class MigrationEndDto {
  @ApiProperty({ example: 'standard' }) tier!: string;
  @ApiProperty({ enum: BACKENDS }) backend!: string;
  @ApiProperty({ enum: STRATEGIES }) strategy!: string;

  static of(end: TierPlace): MigrationEndDto {
    return { tier: end.tier, backend: end.placement.backend, strategy: end.placement.strategy };
  }
}

export class MigrationDto {
  @ApiProperty({ enum: MIGRATION_STATES }) state!: string;
  @ApiProperty({ type: MigrationEndDto }) from!: MigrationEndDto;
  @ApiProperty({ type: MigrationEndDto }) to!: MigrationEndDto;
  @ApiProperty({ example: 1200, description: 'Records copied so far' }) copied!: number;
  @ApiProperty({ example: 5000, description: 'Records in the old place when the copy began' })
  total!: number;
  @ApiProperty({ example: '2026-11-27T10:00:00.000Z' }) startedAt!: string;
  @ApiPropertyOptional({ description: 'Why the move failed and was rolled back' })
  error?: string;

  static of(m: TenantMigration): MigrationDto {
    return {
      state: m.state,
      from: MigrationEndDto.of(m.from),
      to: MigrationEndDto.of(m.to),
      copied: m.copied,
      total: m.total,
      startedAt: new Date(m.startedAt).toISOString(),
      ...(m.error !== null ? { error: m.error } : {}),
    };
  }
}

export class TenantDto {
  @ApiProperty({ example: 'acme' }) id!: string;
  @ApiProperty({
    example: '9f2c4e1a0b7d4c3e8a6f5b2d1c0e9a8b',
    description: 'Immutable, never reused',
  })
  uid!: string;
  @ApiProperty({ enum: ['active', 'suspended', 'deleting'] }) status!: string;
  @ApiProperty({ example: 'standard' }) tier!: string;
  @ApiProperty({ enum: BACKENDS }) backend!: string;
  @ApiProperty({ enum: STRATEGIES }) strategy!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { file: 'embedded.db', table: 'vg_shared_3_cosine' },
  })
  location!: Record<string, string>;
  @ApiProperty({ example: 3 }) dimension!: number;
  @ApiProperty({ enum: METRICS }) metric!: string;
  @ApiPropertyOptional({
    example: '0b6f3c1e-5d2a-4c8e-9f1b-7a3d2e4c6b8a',
    description:
      'Embedded tenants only: the gateway replica (DATA_DIR/replica-id) that holds its records and alone serves it',
  })
  replica?: string;
  @ApiProperty({ example: '2026-11-27T10:00:00.000Z' }) createdAt!: string;
  @ApiProperty({ example: '2026-11-27T10:00:00.000Z' }) updatedAt!: string;
  @ApiPropertyOptional({
    type: MigrationDto,
    description: 'While the tenant moves to another placement, or after a move failed',
  })
  migration?: MigrationDto;

  static of(tenant: Tenant): TenantDto {
    return {
      id: tenant.id,
      uid: tenant.uid,
      status: tenant.status,
      tier: tenant.tier,
      backend: tenant.placement.backend,
      strategy: tenant.placement.strategy,
      location: { ...tenant.placement.location },
      dimension: tenant.dimension,
      metric: tenant.metric,
      ...(tenant.owner !== null ? { replica: tenant.owner } : {}),
      createdAt: new Date(tenant.createdAt).toISOString(),
      updatedAt: new Date(tenant.updatedAt).toISOString(),
      ...(tenant.migration ? { migration: MigrationDto.of(tenant.migration) } : {}),
    };
  }
}

export class TenantPageDto {
  @ApiProperty({ type: [TenantDto] }) items!: TenantDto[];
  @ApiProperty({ type: String, nullable: true, example: null }) nextCursor!: string | null;
}

export class ListTenantsQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @Matches(/^[a-z0-9-]{1,63}$/)
  cursor?: string;
}
