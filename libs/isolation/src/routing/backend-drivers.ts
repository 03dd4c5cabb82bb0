import { Injectable } from '@nestjs/common';
import { UnprocessableError } from '@vecgate/core';
import { VectorBackendDriver } from '../ports/vector-backend.driver';
import { BackendName } from '../ports/vector.types';

/** The backends enabled in this process, built once from validated configuration. */
@Injectable()
export class BackendDrivers {
  private readonly byName: ReadonlyMap<BackendName, VectorBackendDriver>;

  constructor(drivers: readonly VectorBackendDriver[]) {
    this.byName = new Map(drivers.map((d) => [d.name, d]));
  }

  get(backend: BackendName): VectorBackendDriver {
    const driver = this.byName.get(backend);
    if (!driver) throw new UnprocessableError(`backend ${backend} is not enabled`, 'backend');
    return driver;
  }

  has(backend: BackendName): boolean {
    return this.byName.has(backend);
  }

  all(): VectorBackendDriver[] {
    return [...this.byName.values()];
  }
}
