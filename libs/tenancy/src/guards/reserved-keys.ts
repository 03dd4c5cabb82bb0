import { BadRequestError, TenantBypassError } from '@vecgate/core';

export const TENANT_HEADERS = ['x-tenant-id', 'tenant-id', 'x-tenant'] as const;
const MAX_DEPTH = 32;
/** Verdicts remembered: names up to this length, this many before the memo starts over. */
const MEMO_NAME_LENGTH = 128;
const MEMO_SIZE = 4096;

function canonical(name: string): string {
  return name
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

/**
 * Key names a caller may never use, anywhere in its input: `tenant_id`, `tenantId`, `tenant`,
 * the configured tenant claims, and anything starting with `_vg`. Names are compared after
 * NFKC normalisation, case-insensitively and ignoring separators, so `Tenant-ID` or a
 * full-width `ｔｅｎａｎｔ` are caught too, and so is every segment of a dotted name. Values are
 * never inspected.
 */
export class ReservedKeys {
  private readonly names: ReadonlySet<string>;
  /**
   * Callers send the same few key names request after request; normalising each of them
   * again cost microseconds per key. Bounded, so distinct names sent to churn it only cost
   * the normalisation they would have cost anyway.
   */
  private readonly verdicts = new Map<string, boolean>();

  constructor(tenantClaims: readonly string[]) {
    this.names = new Set(['tenantid', 'tenant', 'tenantuid', ...tenantClaims.map(canonical)]);
  }

  /**
   * A dotted name (`metadata.tenant`, `a._vg_x`) is reserved when the whole name or any one
   * of its segments is: a filter field with dots can address a nested key.
   */
  isReserved(name: string): boolean {
    const known = this.verdicts.get(name);
    if (known !== undefined) return known;
    const verdict = this.judge(name);
    if (name.length <= MEMO_NAME_LENGTH) {
      if (this.verdicts.size >= MEMO_SIZE) this.verdicts.clear();
      this.verdicts.set(name, verdict);
    }
    return verdict;
  }

  private judge(name: string): boolean {
    const segments = name.normalize('NFKC').split('.');
    return this.reservedName(name) || segments.some((segment) => this.reservedName(segment));
  }

  private reservedName(name: string): boolean {
    const normalized = name.normalize('NFKC').toLowerCase();
    return normalized.startsWith('_vg') || this.names.has(canonical(name));
  }

  /** Throws for the first reserved key in `value`, naming its path (`body.vectors[2].metadata.tenant`). */
  assertNone(value: unknown, path: string): void {
    this.walk(value, path, 0);
  }

  assertNoTenantHeaders(headers: Record<string, unknown>): void {
    for (const name of TENANT_HEADERS) {
      if (headers[name] !== undefined) {
        throw new TenantBypassError(
          `header ${name} is not accepted: the tenant comes from the token`,
          `headers.${name}`,
        );
      }
    }
  }

  private walk(value: unknown, path: string, depth: number): void {
    if (typeof value !== 'object' || value === null) return;
    if (depth > MAX_DEPTH)
      throw new BadRequestError(`input is nested deeper than ${MAX_DEPTH} levels`, path);
    if (Array.isArray(value)) {
      // forEach, not an indexed loop: an optimised loop whose element reads have met arrays of
      // objects converts each array of unboxed floats it then reads (a vector) into one of
      // boxed numbers, about 90 MiB of long-lived heap for a write of 1,000 × 4,096 values.
      // The builtin reads every kind of array as it is.
      value.forEach((item: unknown, i) => {
        if (typeof item === 'object' && item !== null) this.walk(item, `${path}[${i}]`, depth + 1);
      });
      return;
    }
    for (const key of Object.keys(value)) {
      if (this.isReserved(key)) {
        throw new TenantBypassError(
          `key "${key}" is reserved: the tenant comes from the token`,
          `${path}.${key}`,
        );
      }
      const item = (value as Record<string, unknown>)[key];
      if (typeof item === 'object' && item !== null) this.walk(item, `${path}.${key}`, depth + 1);
    }
  }
}
