import { MetricsService } from './metrics.service';

describe('MetricsService', () => {
  it('names process metrics without a doubled prefix, and keeps the 0.1 names for one release', async () => {
    const text = await new MetricsService().registry.metrics();
    expect(text).toMatch(/^vecgate_process_cpu_seconds_total /m);
    expect(text).toMatch(/^vecgate_nodejs_heap_size_used_bytes /m);
    // Deprecated: removed in 0.3.
    expect(text).toMatch(/^vecgate_process_process_cpu_seconds_total /m);
  });
});
