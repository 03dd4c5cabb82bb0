import { BackendName, Placement, StrategyName, TenantScope, VectorSpace } from './vector.types';

export interface StrategyCapability {
  readonly strategy: StrategyName;
  /** Maximum number of tenants this strategy can hold on the backend, or null for no fixed limit. */
  readonly limit: number | null;
  readonly limitName?: string;
}

export interface PlacementRequest {
  readonly tenantId: string;
  readonly tenantUid: string;
  readonly strategy: StrategyName;
  readonly space: VectorSpace;
}

export interface BackendHealth {
  readonly ok: boolean;
  readonly detail?: string;
}

/** What an erasure verified, by the place it checked. */
export interface ErasureReport {
  readonly places: readonly { readonly place: string; readonly remaining: number }[];
}

/**
 * The control plane of a backend, used only by the tenancy module: plan, provision and erase
 * a tenant's places, and report health.
 */
export abstract class BackendAdmin {
  abstract backends(): readonly BackendName[];
  abstract capabilities(backend: BackendName): readonly StrategyCapability[];
  /** Deterministic physical names for a tenant; throws 422 for an unsupported combination. */
  abstract plan(backend: BackendName, request: PlacementRequest): Placement;
  /**
   * Throws a CapacityError (507) before anything is created when a limit would be exceeded.
   * Takes the provisional scope of the tenant being created (uid included).
   */
  abstract checkCapacity(scope: TenantScope): Promise<void>;
  /** Creates the tenant's places. Idempotent: safe to repeat after a crash. */
  abstract provision(scope: TenantScope): Promise<void>;
  /** Removes every record and place of the tenant and verifies nothing remains. Idempotent. */
  abstract erase(scope: TenantScope): Promise<ErasureReport>;
  /**
   * Erases and verifies one place of a tenant that goes on living elsewhere (a migration left
   * it, or a cancelled one never switched to it): calls in that place are refused and drained
   * first, and stay refused until the place is provisioned again (a later migration back).
   */
  abstract retire(scope: TenantScope): Promise<ErasureReport>;
  abstract health(): Promise<Record<string, BackendHealth>>;
}
