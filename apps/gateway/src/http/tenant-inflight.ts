/**
 * How many requests each tenant has being served. A slot is taken once the tenant is known and
 * given back when the request's work has settled, whatever its outcome (answer, error, 504,
 * client gone), so a tenant cannot shed its count by dropping connections while its work
 * still runs.
 */
export class TenantInflight {
  private readonly counts = new Map<string, number>();

  constructor(readonly max: number) {}

  /** Takes a slot, or returns false when the tenant already has `max` requests in flight. */
  tryAcquire(tenant: string): boolean {
    const count = this.counts.get(tenant) ?? 0;
    if (count >= this.max) return false;
    this.counts.set(tenant, count + 1);
    return true;
  }

  release(tenant: string): void {
    const count = this.counts.get(tenant) ?? 0;
    // Deleting at zero keeps the map as small as the set of tenants currently served.
    if (count <= 1) this.counts.delete(tenant);
    else this.counts.set(tenant, count - 1);
  }

  inflight(tenant: string): number {
    return this.counts.get(tenant) ?? 0;
  }
}
