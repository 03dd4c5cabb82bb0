import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { describeExposed, exposedEntries } from '@vecgate/core';
import { GATEWAY_CONFIG } from './config.tokens';
import type { GatewayConfig } from './gateway.config';

const SHOWN = 20;

/**
 * What others than the owner can access in the data directory, as one message, or undefined.
 * vecgate creates the directory 0700 and its files 0600, but a directory made by hand, an
 * older version or a restored backup can be world-readable.
 */
export function dataDirExposure(root: string): string | undefined {
  const exposed = exposedEntries(root).map((entry) => describeExposed(root, entry));
  if (exposed.length === 0) return undefined;
  const more = exposed.length > SHOWN ? ` and ${exposed.length - SHOWN} more` : '';
  return (
    `others can access ${exposed.length} entries of the data directory ` +
    `(${exposed.slice(0, SHOWN).join(', ')}${more}); fix with: chmod -R go-rwx ${root}`
  );
}

/** Warns at start-up about the exposure found when the configuration was loaded. */
@Injectable()
export class DataDirCheck implements OnModuleInit {
  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {}

  onModuleInit(): void {
    if (this.config.dataDirExposure !== undefined)
      new Logger('data-dir').warn(this.config.dataDirExposure);
  }
}
