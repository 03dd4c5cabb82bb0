// The embedded backend's public surface: what the app and the isolation module use.
export * from './embedded.backend';
export * from './embedded.options';
