import { MAX_DIMENSION, METRICS, MetricName } from '@vecgate/isolation';

/** One entry of a `dimension:metric=value` list. */
export interface SpaceEntry {
  readonly dimension: number;
  readonly metric: MetricName;
  /** What the backend maps the vector space to (a collection, `index@host`...). */
  readonly value: string;
  /** The entry as written, for messages. */
  readonly entry: string;
}

const ENTRY = /^(\d{1,5}):([a-z0-9_]+)=(.+)$/;

/**
 * Parses `dimension:metric=value,...`, the form every server backend uses to map a vector
 * space to its shared place. Each bad entry, and a space mapped twice, is a problem naming
 * the key; the backend then checks the values themselves.
 */
export function parseSpaceMap(
  key: string,
  text: string | undefined,
  problems: string[],
  options: { what: string; aliases?: Readonly<Record<string, MetricName>> },
): SpaceEntry[] {
  if (text === undefined) return [];
  const out: SpaceEntry[] = [];
  for (const entry of text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const match = ENTRY.exec(entry);
    if (!match) {
      problems.push(`${key}: entry "${entry}" is not dimension:metric=${options.what}`);
      continue;
    }
    const [, dimensionText = '', metricText = '', value = ''] = match;
    const dimension = Number(dimensionText);
    const metric =
      options.aliases?.[metricText] ??
      ((METRICS as readonly string[]).includes(metricText)
        ? (metricText as MetricName)
        : undefined);
    const wrong: string[] = [];
    if (dimension < 1 || dimension > MAX_DIMENSION)
      wrong.push(`dimension must be 1 to ${MAX_DIMENSION}`);
    if (!metric) wrong.push(`metric must be one of ${METRICS.join(', ')}`);
    else if (out.some((o) => o.dimension === dimension && o.metric === metric)) {
      wrong.push(`${dimension}:${metric} is mapped twice`);
    }
    if (wrong.length > 0 || !metric) {
      problems.push(`${key}: entry "${entry}": ${wrong.join('; ')}`);
      continue;
    }
    out.push({ dimension, metric, value: value.trim(), entry });
  }
  return out;
}
