import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsInt, Min } from 'class-validator';
import { QDRANT_ACCESS } from '@vecgate/isolation';
import type { QdrantAccess } from '@vecgate/isolation';

export class QdrantTokenRequestDto {
  @ApiProperty({
    enum: QDRANT_ACCESS,
    example: 'r',
    description: '`r`: read the collection; `rw`: read and write its points',
  })
  @IsIn(QDRANT_ACCESS)
  access!: QdrantAccess;

  @ApiProperty({
    example: 900,
    minimum: 1,
    description: 'At most QDRANT_TOKEN_MAX_TTL and the minter’s own remaining lifetime',
  })
  @IsInt()
  @Min(1)
  ttlSeconds!: number;
}

export class QdrantTokenResponseDto {
  @ApiProperty({
    example: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...',
    description: 'A Qdrant JWT: send it to Qdrant as `api-key` or `Authorization: Bearer`',
  })
  token!: string;

  @ApiProperty({ example: '2026-11-27T10:15:00.000Z' }) expiresAt!: string;

  @ApiProperty({
    example: 'vg_t_9f2c4e1a0b7d4c3e8a6f5b2d1c0e9a8b',
    description: 'The one collection the token opens',
  })
  collection!: string;

  @ApiProperty({ example: 'https://qdrant.example.com:6333', description: 'Where to call Qdrant' })
  url!: string;
}
