import { DynamicModule, Module } from '@nestjs/common';
import { SqlDatabase } from '@vecgate/core';
import { JwtKeys } from '../auth/jwt-keys';
import { RevocationList } from '../registry/revocation-list';
import { TenantRegistryRepository } from '../registry/tenant-registry.repository';
import { TENANCY_OPTIONS, TenancyOptions } from '../tenancy.options';
import { PlatformTokenService } from './platform-token.service';
import { TokenSigner } from './token-signer';

/**
 * Only what minting and revoking platform tokens needs, for a command-line process: no
 * guards, no backends, and no tenant recovery (which belongs to the serving gateway).
 */
@Module({})
export class PlatformTokensModule {
  static forRoot(options: TenancyOptions): DynamicModule {
    return {
      module: PlatformTokensModule,
      providers: [
        { provide: TENANCY_OPTIONS, useValue: options },
        {
          provide: TenantRegistryRepository,
          inject: [SqlDatabase],
          useFactory: TenantRegistryRepository.open,
        },
        RevocationList,
        JwtKeys,
        TokenSigner,
        PlatformTokenService,
      ],
      exports: [PlatformTokenService],
    };
  }
}
