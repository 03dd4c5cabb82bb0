import type { QuotaPolicy, StorageQuota } from '@vecgate/search';
import {
  DEFAULT_METADATA_BYTES,
  DEFAULT_NAMESPACE_CAP,
  MAX_NAMESPACE_CAP,
  UNLIMITED,
} from '@vecgate/search';

const TIER = /^[a-z][a-z0-9_-]{0,31}$/;
const SIZE = /^(\d{1,15})(B|KB|MB|GB|TB)?$/i;
const UNITS: Record<string, number> = {
  B: 1,
  KB: 1024,
  MB: 1024 ** 2,
  GB: 1024 ** 3,
  TB: 1024 ** 4,
};

/**
 * The storage policy out of the box, and of every tier a `TIER_QUOTAS` without a `default`
 * entry does not list: setting a quota for one tier must not lift the others'.
 */
export const DEFAULT_TIER_QUOTAS = 'default:vectors=1000000,bytes=4GB,metadata=40KB';

/** A setting per tier, and its value for the tiers not listed. */
export interface TierMap<T> {
  readonly tiers: Record<string, T>;
  readonly fallback: T;
}

/**
 * Parses `tier:VALUE;tier:VALUE...` where `parseValue` reads VALUE (pushing its own problems
 * and returning undefined when it is bad). The tier `default` applies to every tier not listed;
 * without it those tiers get `unlisted`. Each bad entry is a problem naming the key, and so is
 * a text with no entry at all (`;;`), which would silently mean "the fallback for everyone".
 */
export function parseTierMap<T>(
  key: string,
  text: string,
  unlisted: T,
  problems: string[],
  parseValue: (entry: string, value: string) => T | undefined,
): TierMap<T> {
  const tiers: Record<string, T> = {};
  let fallback: T | undefined;
  const entries = text
    .split(';')
    .map((e) => e.trim())
    .filter(Boolean);
  if (entries.length === 0) {
    problems.push(`${key}: no entry; give at least "default:..." (see the README)`);
  }
  for (const entry of entries) {
    const colon = entry.indexOf(':');
    const tier = colon > 0 ? entry.slice(0, colon).trim() : '';
    if (!TIER.test(tier)) {
      problems.push(`${key}: entry "${entry}" must start with a tier name and a colon`);
      continue;
    }
    if (Object.hasOwn(tiers, tier) || (tier === 'default' && fallback !== undefined)) {
      problems.push(`${key}: tier "${tier}" is given twice`);
      continue;
    }
    const value = parseValue(entry, entry.slice(colon + 1).trim());
    if (value === undefined) continue;
    if (tier === 'default') fallback = value;
    else tiers[tier] = value;
  }
  return { tiers, fallback: fallback ?? unlisted };
}

/**
 * Parses `tier:vectors=N,bytes=SIZE,namespaces=N,metadata=SIZE;tier:...` (SIZE in B, KB, MB,
 * GB or TB, 1024-based). `vectors` and `bytes` may be `unlimited` or left out, which means
 * unlimited; the namespace cap is always a number, 1000 when left out; `metadata` (one record's
 * metadata as JSON) defaults to 40 KB, and `unlimited` leaves only the backend's own limit.
 * Tiers not listed, without a `default` entry, keep `DEFAULT_TIER_QUOTAS`.
 */
export function parseTierQuotas(key: string, text: string, problems: string[]): QuotaPolicy {
  const read = (entry: string, value: string): StorageQuota | undefined =>
    parseLimits(key, entry, value, problems);
  const builtIn = parseTierMap<StorageQuota>(key, DEFAULT_TIER_QUOTAS, UNLIMITED, [], read);
  return parseTierMap<StorageQuota>(key, text, builtIn.fallback, problems, read);
}

/** Parses `tier:DAYS;...` (whole days, or `unlimited`): the longest lifetime of an API key. */
export function parseTierDays(
  key: string,
  text: string,
  problems: string[],
): TierMap<number | null> {
  return parseTierMap<number | null>(key, text, null, problems, (entry, value) => {
    if (value.toLowerCase() === 'unlimited') return null;
    const days = /^\d{1,6}$/.test(value) ? Number(value) : 0;
    if (days > 0) return days;
    problems.push(`${key}: entry "${entry}": days must be a positive whole number or "unlimited"`);
    return undefined;
  });
}

function parseLimits(
  key: string,
  entry: string,
  text: string,
  problems: string[],
): StorageQuota | undefined {
  let vectors: number | null = null;
  let bytes: number | null = null;
  let namespaces = DEFAULT_NAMESPACE_CAP;
  let metadataBytes: number | null = DEFAULT_METADATA_BYTES;
  const before = problems.length;
  const given = new Set<string>();
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name = '', value = ''] = part.split('=').map((p) => p.trim());
    if (given.has(name)) {
      problems.push(`${key}: entry "${entry}": ${name} is given twice`);
      continue;
    }
    given.add(name);
    if (name === 'namespaces') {
      const cap = sizeOf(value, false);
      if (cap === undefined || cap > MAX_NAMESPACE_CAP) {
        problems.push(
          `${key}: entry "${entry}": namespaces must be a number from 1 to ${MAX_NAMESPACE_CAP}`,
        );
      } else namespaces = cap;
      continue;
    }
    const sized = name === 'bytes' || name === 'metadata';
    const limit = value.toLowerCase() === 'unlimited' ? null : sizeOf(value, sized);
    if (limit === undefined) {
      problems.push(`${key}: entry "${entry}": ${name} must be a positive number or "unlimited"`);
    } else if (name === 'vectors') vectors = limit;
    else if (name === 'bytes') bytes = limit;
    else if (name === 'metadata') metadataBytes = limit;
    else
      problems.push(
        `${key}: entry "${entry}": unknown limit "${name}" (vectors, bytes, namespaces, metadata)`,
      );
  }
  return problems.length === before ? { vectors, bytes, namespaces, metadataBytes } : undefined;
}

function sizeOf(value: string, withUnit: boolean): number | undefined {
  const match = SIZE.exec(value);
  if (!match) return undefined;
  const [, digits = '', unit] = match;
  if (unit !== undefined && !withUnit) return undefined;
  const size = Number(digits) * (UNITS[(unit ?? 'B').toUpperCase()] ?? 1);
  return Number.isSafeInteger(size) && size > 0 ? size : undefined;
}
