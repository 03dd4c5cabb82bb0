export * from './pgvector.backend';
export * from './pgvector.options';
export { PGVECTOR_STRATEGIES, PgvectorStrategy } from './pgvector.naming';
export { TENANT_SETTING } from './pgvector.session';
