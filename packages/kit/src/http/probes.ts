import type { MetricsRegistry } from '../metrics.js';
import type { HttpApp } from './types.js';

/** A dependency check for /readyz: resolves when the dependency answers, rejects otherwise. */
export type ReadinessCheck = () => Promise<void>;

type CheckResult = { status: 'ok' } | { status: 'failed'; error: string };

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([check(), timeout]);
    return { status: 'ok' };
  } catch (error) {
    return { status: 'failed', error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

// Probes and scrapes arrive every few seconds; logging each at info would drown real traffic.
const probeRoute = { schema: { hide: true }, logLevel: 'warn' } as const;

/** GET /healthz (liveness), /readyz (dependency checks) and /metrics; all hidden from OpenAPI. */
export function registerProbes(
  app: HttpApp,
  opts: { readiness: Record<string, ReadinessCheck>; metrics: MetricsRegistry; checkTimeoutMs?: number },
): void {
  const timeoutMs = opts.checkTimeoutMs ?? 2_000;
  // Liveness must not depend on Postgres or Kafka: a restart would not fix them, only add load.
  app.get('/healthz', probeRoute, async () => ({ status: 'ok' }));

  app.get('/readyz', probeRoute, async (request, reply) => {
    const entries = Object.entries(opts.readiness);
    const results = await Promise.all(entries.map(async ([name, check]) => [name, await runCheck(check, timeoutMs)] as const));
    const ready = results.every(([, result]) => result.status === 'ok');
    const checks = Object.fromEntries(results);
    if (!ready) request.log.warn({ checks }, 'not ready');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
  });

  app.get('/metrics', probeRoute, async (_request, reply) => {
    const body = await opts.metrics.registry.metrics();
    return reply.type(opts.metrics.registry.contentType).send(body);
  });

  app.addHook('onResponse', async (request, reply) => {
    // Unmatched URLs share one label value; raw paths would give the series unbounded cardinality.
    const route = request.routeOptions.url ?? '(unmatched)';
    const labels = { method: request.method, route, status_code: String(reply.statusCode) };
    opts.metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
  });
}
