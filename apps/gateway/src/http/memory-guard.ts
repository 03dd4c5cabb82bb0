import { OnModuleDestroy } from '@nestjs/common';
import { getHeapStatistics } from 'node:v8';

/**
 * Watches the heap against V8's limit (`--max-old-space-size`) from one interval, so that the
 * check on the request path is a field read. While the heap is above the threshold, heavy work
 * (searches, writes, deletes) is refused with 503 and Retry-After; light requests (a fetch by
 * id, stats, health) still pass, and answers already being written can drain.
 */
export class MemoryGuard implements OnModuleDestroy {
  private readonly limit = getHeapStatistics().heap_size_limit;
  private readonly timer: NodeJS.Timeout;
  private usedRatio = 0;

  constructor(
    readonly percent: number,
    intervalMs = 100,
    private readonly heapUsed: () => number = () => getHeapStatistics().used_heap_size,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  /** True while new heavy work must be refused. */
  get pressed(): boolean {
    return this.usedRatio * 100 >= this.percent;
  }

  /** Heap used, as a percentage of the heap limit, at the last sample. */
  get usedPercent(): number {
    return this.usedRatio * 100;
  }

  sample(): void {
    this.usedRatio = this.heapUsed() / this.limit;
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }
}
