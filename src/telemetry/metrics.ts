// One Prometheus registry for the agent. Components create their metrics through `metrics()` so that tests
// can use a fresh registry and the agent exposes everything on /metrics.

import { Counter, Gauge, Histogram, Registry } from 'prom-client';

let registry = new Registry();

export function metricsRegistry(): Registry {
  return registry;
}

/** Tests call this to start from empty metrics. */
export function resetMetrics(): void {
  registry = new Registry();
  cache.clear();
}

const cache = new Map<string, Counter | Gauge | Histogram>();

export function counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
  const hit = cache.get(name);
  if (hit) return hit as Counter;
  const c = new Counter({ name, help, labelNames: [...labelNames], registers: [registry] });
  cache.set(name, c);
  return c;
}

export function gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
  const hit = cache.get(name);
  if (hit) return hit as Gauge;
  const g = new Gauge({ name, help, labelNames: [...labelNames], registers: [registry] });
  cache.set(name, g);
  return g;
}

export function histogram(
  name: string,
  help: string,
  labelNames: readonly string[] = [],
  buckets?: number[],
): Histogram {
  const hit = cache.get(name);
  if (hit) return hit as Histogram;
  const h = new Histogram({
    name,
    help,
    labelNames: [...labelNames],
    registers: [registry],
    ...(buckets ? { buckets } : {}),
  });
  cache.set(name, h);
  return h;
}
