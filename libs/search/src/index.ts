export * from './filter/filter.parser';
export * from './limits';
export * from './search.module';
export * from './validation/record-input';
export * from './vectors/result-validator';
export * from './vectors/vector.service';
