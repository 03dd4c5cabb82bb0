import type { QuotaPolicy, StorageQuota } from '@vecgate/search';
import { DEFAULT_METADATA_BYTES, UNLIMITED } from '@vecgate/search';

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
 * Parses `tier:vectors=N,bytes=SIZE,metadata=SIZE;tier:...` (SIZE in B, KB, MB, GB or TB,
 * 1024-based). `vectors` and `bytes` may be `unlimited` or left out, which means unlimited;
 * `metadata` (one record's metadata as JSON) defaults to 40 KB, and `unlimited` leaves only the
 * backend's own limit. The tier `default` applies to every tier not listed; without it those
 * tiers have no storage limit. Each bad entry is a problem naming the key.
 */
export function parseTierQuotas(key: string, text: string, problems: string[]): QuotaPolicy {
  const tiers: Record<string, StorageQuota> = {};
  let fallback: StorageQuota = UNLIMITED;
  for (const entry of text
    .split(';')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const colon = entry.indexOf(':');
    const tier = colon > 0 ? entry.slice(0, colon).trim() : '';
    if (!TIER.test(tier)) {
      problems.push(`${key}: entry "${entry}" must start with a tier name and a colon`);
      continue;
    }
    if (Object.hasOwn(tiers, tier) || (tier === 'default' && fallback !== UNLIMITED)) {
      problems.push(`${key}: tier "${tier}" is given twice`);
      continue;
    }
    const quota = parseLimits(key, entry, entry.slice(colon + 1), problems);
    if (!quota) continue;
    if (tier === 'default') fallback = quota;
    else tiers[tier] = quota;
  }
  return { tiers, fallback };
}

function parseLimits(
  key: string,
  entry: string,
  text: string,
  problems: string[],
): StorageQuota | undefined {
  let vectors: number | null = null;
  let bytes: number | null = null;
  let metadataBytes: number | null = DEFAULT_METADATA_BYTES;
  const before = problems.length;
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name = '', value = ''] = part.split('=').map((p) => p.trim());
    const sized = name === 'bytes' || name === 'metadata';
    const limit = value.toLowerCase() === 'unlimited' ? null : sizeOf(value, sized);
    if (limit === undefined) {
      problems.push(`${key}: entry "${entry}": ${name} must be a positive number or "unlimited"`);
    } else if (name === 'vectors') vectors = limit;
    else if (name === 'bytes') bytes = limit;
    else if (name === 'metadata') metadataBytes = limit;
    else
      problems.push(`${key}: entry "${entry}": unknown limit "${name}" (vectors, bytes, metadata)`);
  }
  return problems.length === before ? { vectors, bytes, metadataBytes } : undefined;
}

function sizeOf(value: string, withUnit: boolean): number | undefined {
  const match = SIZE.exec(value);
  if (!match) return undefined;
  const [, digits = '', unit] = match;
  if (unit !== undefined && !withUnit) return undefined;
  const size = Number(digits) * (UNITS[(unit ?? 'B').toUpperCase()] ?? 1);
  return Number.isSafeInteger(size) && size > 0 ? size : undefined;
}
