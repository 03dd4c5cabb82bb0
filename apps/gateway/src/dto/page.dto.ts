import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/**
 * A query parameter's decimal digits as a number; anything else (`0x10`, `2e0`, ` 2`, an
 * empty value) stays the string it was, which `@IsInt` refuses naming the parameter.
 * `Number()` alone would read hexadecimal, binary, exponents and surrounding spaces.
 */
const decimal = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^[0-9]{1,9}$/.test(value) ? Number(value) : value;

/** The page size every listing takes; each listing adds its own cursor format. */
export class PageQuery {
  @ApiPropertyOptional({ example: 100, minimum: 1, maximum: 1000 })
  @IsOptional()
  @Transform(decimal)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}
