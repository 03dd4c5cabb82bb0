import { DynamicModule, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { buildDrivers } from './backend-drivers.table';
import { QdrantTokenService } from './backends/qdrant';
import { ISOLATION_OPTIONS, IsolationOptions } from './isolation.options';
import { PlacementPolicy } from './placement/placement-policy';
import { BackendAdmin } from './ports/backend-admin';
import { TenantVectorStore } from './ports/tenant-vector-store';
import { BackendDrivers } from './routing/backend-drivers';
import { RoutingBackendAdmin } from './routing/routing-backend-admin';
import { RoutingVectorStore } from './routing/routing-vector-store';
import { MigrationGate } from './routing/migration-gate';
import { ScopeFence } from './routing/scope-fence';

export interface IsolationModuleAsyncOptions {
  imports?: DynamicModule['imports'];
  inject?: (string | symbol | (abstract new (...args: never[]) => unknown))[];
  useFactory: (...args: never[]) => IsolationOptions | Promise<IsolationOptions>;
}

@Injectable()
class DriversLifecycle implements OnApplicationShutdown {
  constructor(private readonly drivers: BackendDrivers) {}
  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.drivers.all().map((d) => d.close()));
  }
}

/** The policy, checked against the enabled drivers; the error lists every problem at once. */
function buildPolicy(options: IsolationOptions, drivers: BackendDrivers): PlacementPolicy {
  const { rules, problems } = PlacementPolicy.check(options.placementPolicy);
  const list = problems.map((p) => `PLACEMENT_POLICY: ${p}`);
  for (const [tier, rule] of rules) {
    if (!drivers.has(rule.backend)) {
      list.push(
        `PLACEMENT_POLICY: tier "${tier}" uses backend ${rule.backend}, which is not enabled`,
      );
    } else if (!drivers.get(rule.backend).supports(rule.strategy)) {
      list.push(
        `PLACEMENT_POLICY: backend ${rule.backend} has no ${rule.strategy} strategy (tier "${tier}")`,
      );
    }
  }
  if (problems.length === 0 && !rules.has(options.defaultTier)) {
    list.push(`DEFAULT_TIER: tier "${options.defaultTier}" has no entry in PLACEMENT_POLICY`);
  }
  if (list.length > 0) {
    throw new Error(`invalid configuration:\n${list.map((p) => `  - ${p}`).join('\n')}`);
  }
  return new PlacementPolicy(rules, options.defaultTier);
}

@Module({})
export class IsolationModule {
  static forRootAsync(options: IsolationModuleAsyncOptions): DynamicModule {
    return {
      module: IsolationModule,
      global: true,
      imports: options.imports ?? [],
      providers: [
        {
          provide: ISOLATION_OPTIONS,
          inject: options.inject ?? [],
          useFactory: options.useFactory,
        },
        {
          provide: BackendDrivers,
          inject: [ISOLATION_OPTIONS],
          useFactory: (o: IsolationOptions) => new BackendDrivers(buildDrivers(o)),
        },
        {
          provide: PlacementPolicy,
          inject: [ISOLATION_OPTIONS, BackendDrivers],
          useFactory: buildPolicy,
        },
        ScopeFence,
        MigrationGate,
        QdrantTokenService,
        { provide: TenantVectorStore, useClass: RoutingVectorStore },
        { provide: BackendAdmin, useClass: RoutingBackendAdmin },
        DriversLifecycle,
      ],
      exports: [
        TenantVectorStore,
        BackendAdmin,
        PlacementPolicy,
        BackendDrivers,
        QdrantTokenService,
        MigrationGate,
      ],
    };
  }
}
