import type { QuotaPolicy } from './quota/storage-quota';

/** What the tenant-plane use cases take from configuration. */
export interface SearchOptions {
  readonly quotas: QuotaPolicy;
}

export const SEARCH_OPTIONS = Symbol('SEARCH_OPTIONS');
