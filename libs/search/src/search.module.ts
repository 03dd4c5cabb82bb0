import { Module } from '@nestjs/common';
import { FilterParser } from './filter/filter.parser';
import { RecordInput } from './validation/record-input';
import { ResultValidator } from './vectors/result-validator';
import { VectorService } from './vectors/vector.service';

/** Use cases of the tenant plane. Depends on the global isolation, tenancy and audit modules. */
@Module({
  providers: [FilterParser, RecordInput, ResultValidator, VectorService],
  exports: [VectorService, FilterParser],
})
export class SearchModule {}
