import { Injectable } from '@nestjs/common';
import { UnavailableError, UnprocessableError } from '@vecgate/core';
import {
  BackendAdmin,
  BackendHealth,
  ErasureReport,
  PlacementRequest,
  StrategyCapability,
} from '../ports/backend-admin';
import { BackendName, Placement, TenantScope } from '../ports/vector.types';
import { BackendDrivers } from './backend-drivers';
import { ScopeFence } from './scope-fence';

/** Longer than any backend call's own timeout, so every admitted call has ended by then. */
const DRAIN_TIMEOUT_MS = 60_000;

@Injectable()
export class RoutingBackendAdmin extends BackendAdmin {
  constructor(
    private readonly drivers: BackendDrivers,
    private readonly fence: ScopeFence,
  ) {
    super();
  }

  backends(): readonly BackendName[] {
    return this.drivers.all().map((d) => d.name);
  }

  capabilities(backend: BackendName): readonly StrategyCapability[] {
    return this.drivers.get(backend).capabilities;
  }

  plan(backend: BackendName, request: PlacementRequest): Placement {
    const driver = this.drivers.get(backend);
    if (!driver.supports(request.strategy)) {
      throw new UnprocessableError(
        `backend ${backend} has no ${request.strategy} strategy`,
        'strategy',
      );
    }
    return driver.plan(request);
  }

  checkCapacity(scope: TenantScope): Promise<void> {
    return this.drivers.get(scope.placement.backend).checkCapacity(scope);
  }

  provision(scope: TenantScope): Promise<void> {
    this.fence.assertOpen(scope.tenantUid);
    // A place a migration left stays closed to late calls until a later one comes back to it.
    this.fence.reopen(scope);
    return this.drivers.get(scope.placement.backend).provision(scope);
  }

  async erase(scope: TenantScope): Promise<ErasureReport> {
    if (!(await this.fence.close(scope, DRAIN_TIMEOUT_MS))) throw erasureBusy();
    return this.verifiedErase(scope);
  }

  async retire(scope: TenantScope): Promise<ErasureReport> {
    if (!(await this.fence.retire(scope, DRAIN_TIMEOUT_MS))) throw erasureBusy();
    return this.verifiedErase(scope);
  }

  private async verifiedErase(scope: TenantScope): Promise<ErasureReport> {
    const report = await this.drivers.get(scope.placement.backend).erase(scope);
    const left = report.places.filter((p) => p.remaining > 0);
    if (left.length > 0) {
      throw new Error(
        `erasure left records in ${left.map((p) => `${p.place} (${p.remaining})`).join(', ')}`,
      );
    }
    return report;
  }

  async health(): Promise<Record<string, BackendHealth>> {
    const entries = await Promise.all(
      this.drivers.all().map(async (d) => {
        try {
          return [d.name, await d.health()] as const;
        } catch (err) {
          return [d.name, { ok: false, detail: (err as Error).message }] as const;
        }
      }),
    );
    return Object.fromEntries(entries);
  }
}

function erasureBusy(): UnavailableError {
  return new UnavailableError(
    'calls of the tenant are still running; retry the deletion',
    5,
    'erasure_busy',
  );
}
