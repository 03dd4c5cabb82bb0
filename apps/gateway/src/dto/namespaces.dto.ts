import { ApiProperty } from '@nestjs/swagger';
import type { NamespaceView } from '@vecgate/search';

export class NamespaceDto {
  @ApiProperty({ example: 'docs', description: '`""` is the default namespace' }) name!: string;
  @ApiProperty({ example: 1000, description: 'Vectors stored in it, read from the backend' })
  vectors!: number;
  @ApiProperty({
    example: '2026-11-27T10:00:00.000Z',
    description: 'When it was created; for the default namespace, when the tenant was',
  })
  createdAt!: string;

  static of(view: NamespaceView, tenantCreatedAt: number): NamespaceDto {
    return {
      name: view.name,
      vectors: view.vectors,
      createdAt: new Date(view.createdAt ?? tenantCreatedAt).toISOString(),
    };
  }
}

export class NamespaceListDto {
  @ApiProperty({
    type: [NamespaceDto],
    description: 'Every namespace of the tenant: the default first, then by name',
  })
  items!: NamespaceDto[];
}

export class NamespaceCreatedDto {
  @ApiProperty({ example: 'docs' }) name!: string;
  @ApiProperty({ example: '2026-11-27T10:00:00.000Z' }) createdAt!: string;
}
