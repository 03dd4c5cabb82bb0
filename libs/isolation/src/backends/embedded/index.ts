// The embedded backend's public surface: what the app and the isolation module use.
export * from './embedded.backend';
export { EMBEDDED_DEFAULTS } from './embedded.options';
export type { EmbeddedOptions } from './embedded.options';
