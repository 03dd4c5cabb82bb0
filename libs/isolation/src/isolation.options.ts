import { EmbeddedOptions } from './backends/embedded/embedded.options';

export interface IsolationOptions {
  readonly embedded: EmbeddedOptions;
  /** `tier=backend:strategy,...` */
  readonly placementPolicy: string;
  readonly defaultTier: string;
}

export const ISOLATION_OPTIONS = Symbol('ISOLATION_OPTIONS');
