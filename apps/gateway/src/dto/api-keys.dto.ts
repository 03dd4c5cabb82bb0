import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsISO8601,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
} from 'class-validator';
import { SUBJECT_MAX, TENANT_ROLES } from '@vecgate/tenancy';
import type { ApiKeyRecord } from '@vecgate/tenancy';
import { PageQuery } from './page.dto';

const KEY_ID_EXAMPLE = '3f9a0c2b7d41e8a65b0c9d12';
const iso = (seconds: number | null): string | null =>
  seconds === null ? null : new Date(seconds * 1000).toISOString();

export class CreateApiKeyRequest {
  @ApiProperty({
    example: 'pinecone-ingest',
    maxLength: SUBJECT_MAX,
    description: 'A label for people; printable, like a token subject',
  })
  @IsString()
  @MaxLength(SUBJECT_MAX)
  name!: string;

  @ApiProperty({
    type: [String],
    example: ['reader', 'writer'],
    description: 'Tenant roles (reader, writer, tenant_admin), at most those of the creator',
  })
  // IsArray first: `each: true` alone accepts a string and validates its characters.
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(TENANT_ROLES.length)
  @IsString({ each: true })
  roles!: string[];

  @ApiPropertyOptional({
    example: '2027-06-30T00:00:00.000Z',
    description:
      'When the key stops working; at most API_KEY_MAX_DAYS of the tenant’s tier ahead (422 past it). ' +
      'Without it, the key expires at that maximum, or never when the tier’s maximum is unlimited',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  expiresAt?: string;
}

/** A key as listed: never the key itself. */
export class ApiKeyDto {
  @ApiProperty({ example: KEY_ID_EXAMPLE, description: 'Key id; the principal is `key:<id>`' })
  id!: string;
  @ApiProperty({ example: 'pinecone-ingest' }) name!: string;
  @ApiProperty({ type: [String], example: ['reader', 'writer'] }) roles!: string[];
  @ApiProperty({ example: '2026-12-01T10:00:00.000Z' }) createdAt!: string;
  @ApiProperty({ type: String, nullable: true, example: null, description: 'null: never' })
  expiresAt!: string | null;
  @ApiProperty({ example: 'acme-ops', description: 'Subject of the principal that created it' })
  createdBy!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    example: '5d0c1f7e-2b44-4b8e-9a0f-3e1d2c4b5a69',
    description:
      'jti of the minted token that created it; null when a platform token did. Revoking that token revokes this key',
  })
  createdByJti!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    example: '2026-12-01T10:05:00.000Z',
    description: 'Last accepted use, written in batches: up to a minute behind on each replica',
  })
  lastUsedAt!: string | null;

  static of(record: ApiKeyRecord): ApiKeyDto {
    return {
      id: record.id,
      name: record.name,
      roles: [...record.roles],
      createdAt: iso(record.createdAt) as string,
      expiresAt: iso(record.expiresAt),
      createdBy: record.createdBy,
      createdByJti: record.lineage[record.lineage.length - 1] ?? null,
      lastUsedAt: iso(record.lastUsedAt),
    };
  }
}

/** The answer to a creation: the only time the key is shown. */
export class CreatedApiKeyDto {
  @ApiProperty({ example: KEY_ID_EXAMPLE }) id!: string;
  @ApiProperty({
    example: `vgk_${KEY_ID_EXAMPLE}_${'A'.repeat(56)}`,
    description:
      'The key, shown this once and stored only as a hash. Format: vgk_<24 hex>_<56 base64url>',
  })
  key!: string;
  @ApiProperty({ example: 'pinecone-ingest' }) name!: string;
  @ApiProperty({ type: [String], example: ['reader', 'writer'] }) roles!: string[];
  @ApiProperty({ example: '2026-12-01T10:00:00.000Z' }) createdAt!: string;
  @ApiProperty({ type: String, nullable: true, example: null, description: 'null: never' })
  expiresAt!: string | null;

  static of(record: ApiKeyRecord, key: string): CreatedApiKeyDto {
    const listed = ApiKeyDto.of(record);
    return {
      id: listed.id,
      key,
      name: listed.name,
      roles: listed.roles,
      createdAt: listed.createdAt,
      expiresAt: listed.expiresAt,
    };
  }
}

export class ApiKeyPageDto {
  @ApiProperty({ type: [ApiKeyDto] }) items!: ApiKeyDto[];
  @ApiProperty({ type: String, nullable: true, example: null }) nextCursor!: string | null;
}

export class ListApiKeysQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @Matches(/^[0-9a-f]{24}$/)
  cursor?: string;
}
