import { accessSync, constants } from 'node:fs';

/**
 * Reads one backend's environment variables, in one message format for every backend: each
 * problem is `<KEY>: <what is wrong>`, with the value given when it helps, collected so that
 * start-up names every bad key at once. A backend is on when its enabling key is set; its other
 * keys set without it are problems rather than settings silently ignored.
 */
export class EnvReader<K extends string> {
  readonly problems: string[] = [];

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly keys: readonly K[],
  ) {}

  /** The trimmed value, or undefined when unset or blank. */
  text(key: K): string | undefined {
    const value = this.env[key]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  problem(key: K, what: string): void {
    this.problems.push(`${key}: ${what}`);
  }

  /**
   * The enabling key's value; when it is unset, every other key of the backend that is set is
   * a problem (`label` names what is off, e.g. "the Qdrant backend").
   */
  enabledBy(key: K, label: string): string | undefined {
    const value = this.text(key);
    if (value === undefined) this.strays(key, this.keys, label);
    return value;
  }

  /** Each of `keys` that is set while `enabler` is not. */
  strays(enabler: K, keys: readonly K[], label: string): void {
    for (const key of keys) {
      if (key !== enabler && this.text(key) !== undefined)
        this.problem(key, `set, but ${enabler} is not (${label} is off)`);
    }
  }

  /** A whole number from `min` to `max` (no upper bound when omitted); `fallback` when unset. */
  int(key: K, fallback: number, min: number, max?: number): number {
    const raw = this.text(key);
    if (raw === undefined) return fallback;
    const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n) || n < min || (max !== undefined && n > max)) {
      const range = max === undefined ? `of at least ${min}` : `from ${min} to ${max}`;
      this.problem(key, `must be an integer ${range}, not "${raw}"`);
      return fallback;
    }
    return n;
  }

  /** true/1 or false/0; `fallback` when unset. */
  bool(key: K, fallback: boolean): boolean {
    const raw = this.text(key);
    if (raw === undefined) return fallback;
    const text = raw.toLowerCase();
    if (text === 'true' || text === '1') return true;
    if (text === 'false' || text === '0') return false;
    this.problem(key, `must be true or false, not "${raw}"`);
    return fallback;
  }

  /** A path this process can read; undefined when unset. */
  readableFile(key: K): string | undefined {
    const path = this.text(key);
    if (path === undefined) return undefined;
    try {
      accessSync(path, constants.R_OK);
    } catch {
      this.problem(key, `cannot read ${path}`);
    }
    return path;
  }

  /**
   * Problems a backend library found in the options built from these keys, which name options
   * (`url`, `sharedCollections`...), reported with the variables an operator sets instead.
   */
  optionProblems(problems: readonly string[], keyOf: Readonly<Record<string, K>>): void {
    const names = new RegExp(`\\b(${Object.keys(keyOf).join('|')})\\b`, 'g');
    for (const problem of problems) {
      this.problems.push(problem.replace(names, (name) => keyOf[name] ?? name));
    }
  }
}
