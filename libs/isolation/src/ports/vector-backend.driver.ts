import { BackendHealth, ErasureReport, StrategyCapability } from './backend-admin';
import { TenantVectorStore } from './tenant-vector-store';
import { BackendName, Placement, StrategyName, TenantScope } from './vector.types';
import { PlacementRequest } from './backend-admin';

/**
 * One backend adapter: its data plane (the store port) plus the control-plane operations
 * the routing admin dispatches to it.
 */
export abstract class VectorBackendDriver extends TenantVectorStore {
  abstract readonly name: BackendName;
  abstract readonly capabilities: readonly StrategyCapability[];
  abstract plan(request: PlacementRequest): Placement;
  abstract checkCapacity(scope: TenantScope): Promise<void>;
  abstract provision(scope: TenantScope): Promise<void>;
  abstract erase(scope: TenantScope): Promise<ErasureReport>;
  abstract health(): Promise<BackendHealth>;
  abstract close(): Promise<void>;

  supports(strategy: StrategyName): boolean {
    return this.capabilities.some((c) => c.strategy === strategy);
  }
}
