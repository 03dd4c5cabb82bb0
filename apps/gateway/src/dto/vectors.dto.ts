import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsArray, IsBoolean, IsInt, IsObject, IsOptional, Max, Min } from 'class-validator';

export class VectorRecordDto {
  @ApiProperty({
    example: 'doc-1',
    description: 'Caller-chosen id, 1-512 characters, no control characters',
  })
  id!: string;

  @ApiProperty({
    type: [Number],
    example: [0.1, 0.2, 0.3],
    description: "Exactly the tenant's dimension; finite floats",
  })
  values!: number[];

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { genre: 'news', year: 2024 },
    description:
      'Keys match ^[A-Za-z_][A-Za-z0-9_]{0,63}$; no reserved keys; at most 16 KiB as JSON',
  })
  metadata?: Record<string, unknown>;
}

export class UpsertVectorsRequest {
  @ApiProperty({
    type: [VectorRecordDto],
    description: '1 to 1,000 records; all or nothing; idempotent by id',
  })
  @IsArray()
  vectors!: unknown[];
}

export class UpsertVectorsResponse {
  @ApiProperty({ example: 2 }) upserted!: number;
}

export class VectorDto {
  @ApiProperty({ example: 'doc-1' }) id!: string;
  @ApiProperty({ type: [Number], example: [0.1, 0.2, 0.3] }) values!: number[];
  @ApiProperty({ type: 'object', additionalProperties: true, example: { genre: 'news' } })
  metadata!: Record<string, unknown>;
}

export class DeleteVectorsRequest {
  @ApiPropertyOptional({ type: [String], example: ['doc-1'], description: 'Up to 1,000 ids' })
  @IsOptional()
  @IsArray()
  ids?: unknown[];

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { genre: { $eq: 'news' } },
  })
  @IsOptional()
  @IsObject()
  filter?: Record<string, unknown>;

  @ApiPropertyOptional({
    example: false,
    description: 'Required (true) to delete every record of the tenant',
  })
  @IsOptional()
  @IsBoolean()
  deleteAll?: boolean;
}

export class DeleteVectorsResponse {
  @ApiProperty({ example: 1 }) deleted!: number;
}

export class SearchRequest {
  @ApiProperty({ type: [Number], example: [0.1, 0.2, 0.3] })
  @IsArray()
  vector!: unknown[];

  @ApiProperty({ example: 10, minimum: 1, maximum: 1000 })
  @IsInt()
  @Min(1)
  @Max(1000)
  topK!: number;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { $and: [{ genre: 'news' }, { year: { $gte: 2020 } }] },
    description:
      'Operators $eq $ne $in $nin $gt $gte $lt $lte $and $or; at most 6 levels and 64 clauses',
  })
  @IsOptional()
  @IsObject()
  filter?: Record<string, unknown>;

  @ApiPropertyOptional({ example: true }) @IsOptional() @IsBoolean() includeMetadata?: boolean;
  @ApiPropertyOptional({ example: false }) @IsOptional() @IsBoolean() includeValues?: boolean;

  @ApiPropertyOptional({
    example: false,
    description:
      'Search exactly: the embedded backend otherwise answers large namespaces from an HNSW index',
  })
  @IsOptional()
  @IsBoolean()
  exact?: boolean;
}

export class MatchDto {
  @ApiProperty({ example: 'doc-1' }) id!: string;
  @ApiProperty({ example: 0.98, description: 'Higher is more similar, for every metric' })
  score!: number;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) metadata?: Record<
    string,
    unknown
  >;
  @ApiPropertyOptional({ type: [Number] }) values?: number[];
}

export class SearchResponse {
  @ApiProperty({ type: [MatchDto] }) matches!: MatchDto[];
}

export class QuotaUsageDto {
  @ApiProperty({ example: 1200 }) used!: number;
  @ApiProperty({ example: 1000000, nullable: true, type: Number }) limit!: number | null;
}

export class QuotaViewDto {
  @ApiProperty({ type: QuotaUsageDto }) vectors!: QuotaUsageDto;
  @ApiProperty({ type: QuotaUsageDto }) bytes!: QuotaUsageDto;
}

export class StatsResponse {
  @ApiProperty({ example: 1200 }) vectorCount!: number;
  @ApiProperty({ example: 3 }) dimension!: number;
  @ApiProperty({ example: 'cosine', enum: ['cosine', 'euclidean', 'dot'] }) metric!: string;
  @ApiProperty({ example: 'embedded' }) backend!: string;
  @ApiProperty({ example: 'partition_key' }) strategy!: string;
  @ApiProperty({
    description:
      'Stored vectors and bytes against the tier’s storage quota; `limit: null` is unlimited',
    example: {
      vectors: { used: 1200, limit: 1000000 },
      bytes: { used: 91200, limit: 4294967296 },
    },
  })
  quota!: QuotaViewDto;
}
