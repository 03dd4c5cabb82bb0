import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The process's Prometheus registry. Label values never carry tenant ids or uids: metrics
 * are readable by operators who must not learn the customer list from them.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  constructor() {
    // Node's default metrics already start with `process_` or `nodejs_`.
    collectDefaultMetrics({ register: this.registry, prefix: 'vecgate_' });
    // The names of 0.1 (`vecgate_process_process_cpu_seconds_total`, a doubled prefix), kept
    // for one release so dashboards can move; removed in 0.3.
    collectDefaultMetrics({ register: this.registry, prefix: 'vecgate_process_' });
  }

  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Counter<L>;
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Gauge<L>;
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  histogram<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    buckets: number[],
  ): Histogram<L> {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Histogram<L>;
    return new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
  }
}
