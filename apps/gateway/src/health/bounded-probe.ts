/**
 * One readiness probe of a dependency, bounded in time and never piled up: while a probe is
 * still running (a hung database or backend), later callers share it instead of starting
 * another, and each caller waits at most `timeoutMs` for its verdict.
 */
export class BoundedProbe {
  private running?: Promise<void>;

  constructor(
    private readonly probe: () => Promise<void>,
    private readonly timeoutMs: number,
  ) {}

  /** Resolves when the dependency answered in time; rejects with the reason otherwise. */
  async check(): Promise<void> {
    this.running ??= this.probe().finally(() => {
      this.running = undefined;
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
    });
    try {
      await Promise.race([this.running, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}
