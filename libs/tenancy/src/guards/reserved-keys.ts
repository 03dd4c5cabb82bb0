import { BadRequestError, TenantBypassError } from '@vecgate/core';

export const TENANT_HEADERS = ['x-tenant-id', 'tenant-id', 'x-tenant'] as const;
const MAX_DEPTH = 32;
/** Verdicts remembered: names up to this length, this many before the memo starts over. */
const MEMO_NAME_LENGTH = 128;
const MEMO_SIZE = 4096;
/**
 * Characters of key names outside ASCII one input may have judged (NFKC-normalised): no key
 * vecgate takes has any (metadata keys and fields are ASCII), so only a refused input reaches
 * it, and normalising a body's worth of them (16 MiB) would hold the event loop for most of a
 * second. Past it, the input is refused without reading further.
 */
export const NON_ASCII_KEY_BUDGET = 65_536;

/** What is left of an input's NON_ASCII_KEY_BUDGET while it is walked. */
interface KeyBudget {
  left: number;
}

function canonical(name: string): string {
  return name
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

const DOT = 0x2e;

/** `_vg` at `at`, in any case (the ASCII reading of `startsWith('_vg')` after lower-casing). */
function vgAt(name: string, at: number): boolean {
  return (
    name.charCodeAt(at) === 0x5f &&
    (name.charCodeAt(at + 1) | 0x20) === 0x76 &&
    (name.charCodeAt(at + 2) | 0x20) === 0x67
  );
}

/** The lower-case form of an ASCII letter or digit; -1 for any other character. */
function alnum(code: number): number {
  const lower = code >= 0x41 && code <= 0x5a ? code | 0x20 : code;
  return (lower >= 0x61 && lower <= 0x7a) || (lower >= 0x30 && lower <= 0x39) ? lower : -1;
}

/** `canonical` of `name.slice(from, to)` when that part is ASCII. */
function asciiCanonical(name: string, from: number, to: number): string {
  let out = '';
  for (let i = from; i < to; i++) {
    const lower = alnum(name.charCodeAt(i));
    if (lower >= 0) out += String.fromCharCode(lower);
  }
  return out;
}

/**
 * The verdict for a name of ASCII characters only, in one pass: NFKC leaves ASCII as it is,
 * so lower-casing and dropping what is not a letter or digit is all `canonical` does to it.
 * Undefined for a name with any other character, which takes the full path. A canonical form
 * is only built when it is no longer than the longest reserved one (else it cannot match), so
 * a long distinct name costs one pass and no allocation. A segment is only judged once its
 * dot is reached, after all its characters were seen to be ASCII; what follows a dot cannot
 * change it under NFKC.
 */
function asciiVerdict(
  name: string,
  names: ReadonlySet<string>,
  longest: number,
): boolean | undefined {
  let wholeLength = 0;
  let segmentLength = 0;
  let segmentStart = 0;
  for (let i = 0; i <= name.length; i++) {
    const code = i < name.length ? name.charCodeAt(i) : DOT;
    if (code >= 0x80) return undefined;
    if (code === DOT) {
      if (vgAt(name, segmentStart)) return true;
      if (segmentLength <= longest && names.has(asciiCanonical(name, segmentStart, i))) return true;
      segmentLength = 0;
      segmentStart = i + 1;
    } else if (alnum(code) >= 0) {
      segmentLength++;
      wholeLength++;
    }
  }
  return wholeLength <= longest && names.has(asciiCanonical(name, 0, name.length));
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
   * Verdicts on names that are not ASCII: callers send the same few key names request after
   * request, and normalising each of them again cost microseconds per key. Bounded, so
   * distinct names sent to churn it only cost the normalisation they would have cost anyway.
   */
  private readonly verdicts = new Map<string, boolean>();
  /** Length of the longest reserved canonical name. */
  private readonly longest: number;

  constructor(tenantClaims: readonly string[]) {
    this.names = new Set(['tenantid', 'tenant', 'tenantuid', ...tenantClaims.map(canonical)]);
    this.longest = Math.max(...[...this.names].map((n) => n.length));
  }

  /**
   * A dotted name (`metadata.tenant`, `a._vg_x`) is reserved when the whole name or any one
   * of its segments is: a filter field with dots can address a nested key.
   */
  isReserved(name: string, budget?: KeyBudget, path?: string): boolean {
    // An ASCII name is judged in one pass, faster than looking it up; a body can carry a
    // hundred thousand distinct names, and normalising each took over a microsecond.
    const ascii = asciiVerdict(name, this.names, this.longest);
    if (ascii !== undefined) return ascii;
    const known = this.verdicts.get(name);
    if (known !== undefined) return known;
    if (budget && (budget.left -= name.length) < 0) {
      throw new BadRequestError(
        `keys outside ASCII hold more than ${NON_ASCII_KEY_BUDGET} characters (keys are ASCII)`,
        path ?? 'body',
        'limit:key_text',
      );
    }
    const verdict = this.judge(name);
    if (name.length <= MEMO_NAME_LENGTH) {
      if (this.verdicts.size >= MEMO_SIZE) this.verdicts.clear();
      this.verdicts.set(name, verdict);
    }
    return verdict;
  }

  /** The verdict by definition, for any name (the ASCII pass gives the same for ASCII names). */
  judge(name: string): boolean {
    // Normalised once: each segment of an NFKC form is in NFKC already, so the segments are
    // judged without normalising again (a name of many dots cost one pass per segment).
    const normalized = name.normalize('NFKC');
    return (
      this.reservedNormalized(normalized) ||
      normalized.split('.').some((segment) => this.reservedNormalized(segment))
    );
  }

  /** `canonical` and the `_vg` test of a name already in NFKC. */
  private reservedNormalized(normalized: string): boolean {
    const lower = normalized.toLowerCase();
    return lower.startsWith('_vg') || this.names.has(lower.replace(/[^a-z0-9]/g, ''));
  }

  /** Throws for the first reserved key in `value`, naming its path (`body.vectors[2].metadata.tenant`). */
  assertNone(value: unknown, path: string): void {
    this.walk(value, path, 0, { left: NON_ASCII_KEY_BUDGET });
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

  private walk(value: unknown, path: string, depth: number, budget: KeyBudget): void {
    if (typeof value !== 'object' || value === null) return;
    if (depth > MAX_DEPTH)
      throw new BadRequestError(`input is nested deeper than ${MAX_DEPTH} levels`, path);
    if (Array.isArray(value)) {
      // forEach, not an indexed loop: an optimised loop whose element reads have met arrays of
      // objects converts each array of unboxed floats it then reads (a vector) into one of
      // boxed numbers, about 90 MiB of long-lived heap for a write of 1,000 × 4,096 values.
      // The builtin reads every kind of array as it is.
      value.forEach((item: unknown, i) => {
        if (typeof item === 'object' && item !== null)
          this.walk(item, `${path}[${i}]`, depth + 1, budget);
      });
      return;
    }
    for (const key of Object.keys(value)) {
      if (this.isReserved(key, budget, path)) {
        throw new TenantBypassError(
          `key "${key}" is reserved: the tenant comes from the token`,
          `${path}.${key}`,
        );
      }
      const item = (value as Record<string, unknown>)[key];
      if (typeof item === 'object' && item !== null)
        this.walk(item, `${path}.${key}`, depth + 1, budget);
    }
  }
}
