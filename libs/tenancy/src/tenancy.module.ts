import { DynamicModule, Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { SqlDatabase } from '@vecgate/core';
import { InProcessOnly, MigrationLock } from '@vecgate/isolation';
import { ApiKeyUsage } from './api-keys/api-key-usage';
import { ApiKeyFormat } from './api-keys/api-key.format';
import { ApiKeyService } from './api-keys/api-key.service';
import { ApiKeyVerifier } from './api-keys/api-key.verifier';
import { Authenticator } from './auth/authenticator';
import { JwtKeys } from './auth/jwt-keys';
import { JwtStrategy } from './auth/jwt.strategy';
import { PrincipalFactory } from './auth/principal.factory';
import { AuthGuard } from './guards/auth.guard';
import { RequestBudgets } from './guards/request-budgets';
import { ReservedKeys } from './guards/reserved-keys';
import { TenantGuard } from './guards/tenant.guard';
import { NamespaceRegistry } from './registry/namespace-registry';
import { PgMigrationLock } from './registry/pg-migration-lock';
import { RevocationList } from './registry/revocation-list';
import { TenantRegistry } from './registry/tenant-registry';
import { TenantRegistryRepository } from './registry/tenant-registry.repository';
import { TENANCY_OPTIONS, TenancyOptions } from './tenancy.options';
import { TenantLocks } from './tenant-locks';
import { TenantService } from './tenant.service';
import { CredentialGrant } from './tokens/grant';
import { TokenSigner } from './tokens/token-signer';
import { TokenService } from './tokens/token.service';
import { CreateTenant } from './usecases/create-tenant/create-tenant.usecase';
import { DeleteTenant } from './usecases/delete-tenant/delete-tenant.usecase';
import { MigrateTenant } from './usecases/migrate-tenant/migrate-tenant.usecase';
import { MigrationRunner } from './usecases/migrate-tenant/migration-runner';
import { RecoverTenants } from './usecases/recover-tenants/recover-tenants.usecase';

export interface TenancyModuleAsyncOptions {
  imports?: DynamicModule['imports'];
  inject?: (string | symbol | (abstract new (...args: never[]) => unknown))[];
  useFactory: (...args: never[]) => TenancyOptions | Promise<TenancyOptions>;
}

/** Replicas on a PostgreSQL registry share the migration gate through advisory locks. */
function migrationLockOf(db: SqlDatabase, options: TenancyOptions): MigrationLock {
  const pool = db.sessionPool(options.migrationLockConnections);
  return pool ? new PgMigrationLock(pool) : new InProcessOnly();
}

@Module({})
export class TenancyModule {
  static forRootAsync(options: TenancyModuleAsyncOptions): DynamicModule {
    return {
      module: TenancyModule,
      global: true,
      imports: [...(options.imports ?? []), PassportModule.register({ session: false })],
      providers: [
        { provide: TENANCY_OPTIONS, inject: options.inject ?? [], useFactory: options.useFactory },
        {
          provide: ReservedKeys,
          inject: [TENANCY_OPTIONS],
          useFactory: (o: TenancyOptions) =>
            new ReservedKeys([o.tenantClaim, ...(o.external ? [o.external.tenantClaim] : [])]),
        },
        {
          provide: TenantRegistryRepository,
          inject: [SqlDatabase],
          useFactory: TenantRegistryRepository.open,
        },
        {
          provide: MigrationLock,
          inject: [SqlDatabase, TENANCY_OPTIONS],
          useFactory: migrationLockOf,
        },
        TenantRegistry,
        NamespaceRegistry,
        RevocationList,
        JwtKeys,
        PrincipalFactory,
        JwtStrategy,
        Authenticator,
        TokenSigner,
        TokenService,
        CredentialGrant,
        ApiKeyFormat,
        ApiKeyUsage,
        ApiKeyVerifier,
        ApiKeyService,
        TenantLocks,
        TenantService,
        CreateTenant,
        DeleteTenant,
        MigrateTenant,
        MigrationRunner,
        RecoverTenants,
        RequestBudgets,
        AuthGuard,
        TenantGuard,
      ],
      exports: [
        ReservedKeys,
        MigrationLock,
        TenantService,
        CreateTenant,
        DeleteTenant,
        MigrateTenant,
        TokenService,
        TokenSigner,
        ApiKeyService,
        Authenticator,
        AuthGuard,
        TenantGuard,
        TenantRegistry,
        NamespaceRegistry,
        RequestBudgets,
      ],
    };
  }
}
