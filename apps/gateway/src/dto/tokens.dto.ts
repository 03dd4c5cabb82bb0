import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  Min,
} from 'class-validator';
import { SUBJECT_MAX, TENANT_ROLES } from '@vecgate/tenancy';
import type { MintedTokenRecord } from '@vecgate/tenancy';
import { PageQuery } from './page.dto';

export class MintTokenRequest {
  @ApiProperty({
    example: 'search-service',
    maxLength: SUBJECT_MAX,
    description:
      'Printable: no control or format characters (NUL, ANSI escapes, bidi overrides, zero-width), no leading or trailing space',
  })
  @IsString()
  @MaxLength(SUBJECT_MAX)
  subject!: string;

  @ApiProperty({
    type: [String],
    example: ['reader', 'writer'],
    description: 'Tenant roles: reader, writer, tenant_admin',
  })
  // IsArray first: `each: true` alone accepts a string and validates its characters.
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(TENANT_ROLES.length)
  @IsString({ each: true })
  roles!: string[];

  @ApiProperty({
    example: 3600,
    description: 'At most MAX_TOKEN_TTL and the minter’s own remaining lifetime',
  })
  @IsInt()
  @Min(1)
  ttlSeconds!: number;
}

export class MintTokenResponse {
  @ApiProperty({ example: 'eyJhbGciOiJIUzI1NiIsImtpZCI6ImRlZmF1bHQifQ...' }) token!: string;
  @ApiProperty({ example: '2026-11-27T11:00:00.000Z' }) expiresAt!: string;
  @ApiProperty({ example: '0b8e2f0c-7d0e-4a58-9f52-6f7d4f0f8a11' }) jti!: string;
}

/** A live minted token as listed to its tenant's admins: never the token itself. */
export class TokenDto {
  @ApiProperty({ example: '0b8e2f0c-7d0e-4a58-9f52-6f7d4f0f8a11' }) jti!: string;
  @ApiProperty({ example: 'search-service' }) subject!: string;
  @ApiProperty({ type: [String], example: ['reader'] }) roles!: string[];
  @ApiProperty({ example: 'acme-ops', description: 'Subject of the token that minted it' })
  mintedBy!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    example: '5d0c1f7e-2b44-4b8e-9a0f-3e1d2c4b5a69',
    description:
      'jti of the minted token that minted it; null when a platform token did. Revoking that token revokes this one',
  })
  mintedByJti!: string | null;
  @ApiProperty({ example: '2026-11-27T10:00:00.000Z' }) issuedAt!: string;
  @ApiProperty({ example: '2026-11-27T11:00:00.000Z' }) expiresAt!: string;

  static of(record: MintedTokenRecord): TokenDto {
    return {
      jti: record.jti,
      subject: record.subject,
      roles: [...record.roles],
      mintedBy: record.mintedBy,
      mintedByJti: record.lineage[record.lineage.length - 1] ?? null,
      issuedAt: new Date(record.issuedAt * 1000).toISOString(),
      expiresAt: new Date(record.expiresAt * 1000).toISOString(),
    };
  }
}

export class TokenPageDto {
  @ApiProperty({ type: [TokenDto] }) items!: TokenDto[];
  @ApiProperty({ type: String, nullable: true, example: null }) nextCursor!: string | null;
}

export class ListTokensQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9-]{1,64}$/)
  cursor?: string;
}
