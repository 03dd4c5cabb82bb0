/**
 * ISO 8601 calendar dates and date-times as the gateway reads them: `2026-11-01`,
 * `2026-11-01T10:00`, `2026-11-01T10:00:00.250Z`, `2026-11-01T10:00:00+02:00`. A date alone
 * is midnight UTC; a date-time without an offset is UTC as well (never the server's zone).
 * Forms `Date.parse` does not read (week and ordinal dates, the basic format without
 * hyphens) and impossible dates (`2026-02-30`, hour 24) are refused rather than read as
 * "no date" or rolled over into the next month.
 */
const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}:\d{2})?)?$/;

/** Milliseconds since the epoch of `text`, or undefined when it is not such a date. */
export function instantOf(text: string): number | undefined {
  const parts = INSTANT.exec(text);
  if (!parts) return undefined;
  const [y, mo, d, h, mi, s] = parts.slice(1, 7).map((part) => Number(part ?? 0));
  const fraction = parts[7] ?? '';
  const offset = parts[8] ?? 'Z';
  if (
    y === undefined ||
    mo === undefined ||
    d === undefined ||
    h === undefined ||
    mi === undefined ||
    s === undefined ||
    h > 23 ||
    mi > 59 ||
    s > 59
  ) {
    return undefined;
  }
  const at = new Date(0);
  at.setUTCFullYear(y, mo - 1, d);
  if (mo < 1 || d < 1 || at.getUTCMonth() !== mo - 1 || at.getUTCDate() !== d) return undefined;
  const ms = Number(fraction.padEnd(3, '0').slice(0, 3));
  let utc = at.getTime() + ((h * 60 + mi) * 60 + s) * 1000 + ms;
  if (offset.length === 6) {
    const oh = Number(offset.slice(1, 3));
    const om = Number(offset.slice(4, 6));
    if (oh > 23 || om > 59) return undefined;
    utc -= (offset.startsWith('-') ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  return utc;
}
