import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsArray, IsBoolean, IsInt, IsObject, IsOptional, Max, Min } from 'class-validator';

const NAMESPACE_DESCRIPTION =
  'The namespace of the tenant the call acts in: absent, `""` and `"__default__"` are the ' +
  'default namespace; otherwise 1 to 64 letters, digits and `_ . : @ -`, starting with a ' +
  'letter or digit (names starting with `_` are reserved).';

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
    example: { genre: 'news', year: 2024, 'loc.lines.from': 12, source: { file: 'a.pdf' } },
    description:
      'Keys are dot-separated segments matching ^[A-Za-z_][A-Za-z0-9_]*$ (at most 128 ' +
      'characters and 8 segments); no reserved name in any segment, at any depth; strings ' +
      "up to 65,536 characters; at most the tenant's metadata limit as JSON (tier setting, " +
      'default 40 KiB, capped by the backend), else 413',
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

  @ApiPropertyOptional({
    example: 'docs',
    description: `${NAMESPACE_DESCRIPTION} A write into a namespace the tenant does not have yet creates it.`,
  })
  @IsOptional()
  namespace?: string;
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

export class FetchVectorQuery {
  @ApiPropertyOptional({
    example: 'docs',
    description: 'The namespace to read from; absent, `""` and `__default__` are the default',
  })
  // Checked with the scope (`@Scope('query')`), by the same rule as a body's namespace.
  @IsOptional()
  namespace?: string;
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
    description:
      'Same language as a search filter: dotted fields reach a literal dotted key, else the nested path',
  })
  @IsOptional()
  @IsObject()
  filter?: Record<string, unknown>;

  @ApiPropertyOptional({
    example: false,
    description: 'Required (true) to delete every record of the namespace',
  })
  @IsOptional()
  @IsBoolean()
  deleteAll?: boolean;

  @ApiPropertyOptional({
    example: 'docs',
    description: NAMESPACE_DESCRIPTION,
  })
  @IsOptional()
  namespace?: string;
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
    example: {
      $and: [{ genre: 'news' }, { 'metadata.year': { $gte: 2020 } }, { draft: { $exists: false } }],
    },
    description:
      'Operators $eq $ne $in $nin $gt $gte $lt $lte $exists $and $or; at most 6 levels and 64 ' +
      'clauses. A dotted field names the literal dotted key when the record has it, else the ' +
      'nested path; a missing, null or object field matches nothing but $exists: false',
  })
  @IsOptional()
  @IsObject()
  filter?: Record<string, unknown>;

  @ApiPropertyOptional({ example: true }) @IsOptional() @IsBoolean() includeMetadata?: boolean;
  @ApiPropertyOptional({ example: false }) @IsOptional() @IsBoolean() includeValues?: boolean;

  @ApiPropertyOptional({
    example: 'docs',
    description: NAMESPACE_DESCRIPTION,
  })
  @IsOptional()
  namespace?: string;

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

export class NamespaceCountDto {
  @ApiProperty({ example: 'docs', description: '`""` is the default namespace' }) name!: string;
  @ApiProperty({ example: 1000 }) vectors!: number;
}

export class StatsResponse {
  @ApiProperty({ example: 1200, description: 'Across every namespace of the tenant' })
  vectorCount!: number;
  @ApiProperty({
    type: [NamespaceCountDto],
    description: 'Each namespace of the tenant with its count: the default first, then by name',
    example: [
      { name: '', vectors: 200 },
      { name: 'docs', vectors: 1000 },
    ],
  })
  namespaces!: NamespaceCountDto[];
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
