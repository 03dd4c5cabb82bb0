import { DynamicModule, Module } from '@nestjs/common';
import { FilterParser } from './filter/filter.parser';
import { NamespaceService } from './namespaces/namespace.service';
import { MoveQuota } from './quota/move-quota';
import { StorageUsageTracker } from './quota/storage-usage';
import { SEARCH_OPTIONS, SearchOptions } from './search.options';
import { RecordInput } from './validation/record-input';
import { RecordListing } from './vectors/record-listing';
import { ResultValidator } from './vectors/result-validator';
import { VectorService } from './vectors/vector.service';

/** Use cases of the tenant plane. Depends on the global isolation, tenancy and audit modules. */
@Module({})
export class SearchModule {
  static forRoot(options: SearchOptions): DynamicModule {
    return {
      module: SearchModule,
      providers: [
        { provide: SEARCH_OPTIONS, useValue: options },
        FilterParser,
        RecordInput,
        ResultValidator,
        StorageUsageTracker,
        VectorService,
        RecordListing,
        NamespaceService,
        MoveQuota,
      ],
      exports: [
        VectorService,
        RecordListing,
        NamespaceService,
        FilterParser,
        RecordInput,
        ResultValidator,
        MoveQuota,
      ],
    };
  }
}
