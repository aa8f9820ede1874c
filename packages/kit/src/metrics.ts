import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** A service's own Prometheus registry plus the metrics the kit records itself. */
export type MetricsRegistry = {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status_code'>;
};

/** Creates a registry labelled {service}, with default process metrics and the HTTP latency histogram. */
export function createMetrics(service: string): MetricsRegistry {
  // A registry per call rather than prom-client's global one: tests build many apps in one process.
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return { registry, httpDuration };
}
