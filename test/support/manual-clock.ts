import type { PaceClock } from '../../libs/tenancy/src/usecases/migrate-tenant/copy-pacer';

/** A clock that moves only when the code under test works or sleeps, so pacing is exact. */
export class ManualClock implements PaceClock {
  at = 0;
  now(): number {
    return this.at;
  }
  async sleep(ms: number): Promise<void> {
    this.at += ms;
    return Promise.resolve();
  }
}
