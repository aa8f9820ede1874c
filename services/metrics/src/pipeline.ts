import type { Logger, Messaging, MetricsRegistry, ShutdownStep } from '@baton/kit';
import { sql, type Kysely } from 'kysely';
import { Gauge } from 'prom-client';
import { createIntakeRecorder } from './consumers/record-event.handler.js';
import { startProjector } from './projection/projector.js';

/** How the consumer and the projector run (from config). */
export type PipelineOptions = {
  groupId: string;
  /** Topics to consume; the lifecycle topic unless a test or bench uses its own. */
  topics?: string[];
  partitionsConsumedConcurrently: number;
  /** Events per consumer transaction. */
  chunkSize: number;
  batchSize: number;
  idleMs: number;
};

/**
 * Starts the lifecycle consumer (inbox + intake: one transaction and two statements per chunk of events) and
 * the projector that moves the intake into the audit log, journeys and rollups. Returns the projector's shutdown
 * step; the consumer is stopped by messaging's own shutdown (stopConsumers, which runs first).
 */
export async function startPipeline(
  deps: { db: Kysely<any>; logger: Logger; messaging: Pick<Messaging, 'consume'>; metrics?: MetricsRegistry },
  opts: PipelineOptions,
): Promise<ShutdownStep[]> {
  if (deps.metrics) registerIntakeGauge(deps.metrics, deps.db);
  const recorder = createIntakeRecorder();
  const projector = startProjector({ db: deps.db, logger: deps.logger, batchSize: opts.batchSize, idleMs: opts.idleMs });
  try {
    await deps.messaging.consume({
      groupId: opts.groupId,
      ...(opts.topics === undefined ? {} : { topics: opts.topics }),
      db: deps.db,
      logger: deps.logger,
      partitionsConsumedConcurrently: opts.partitionsConsumedConcurrently,
      chunkSize: opts.chunkSize,
      handle: (event, trx) => recorder.handle(event, trx),
      beforeCommit: (trx) => recorder.beforeCommit(trx),
      // A committed chunk means new intake: wake the projector instead of waiting for its next poll.
      onProcessed: (outcome) => {
        if (outcome === 'handled') projector.wake();
      },
    });
  } catch (err) {
    await projector.stop();
    throw err;
  }
  return [{ name: 'projector', close: () => projector.stop() }];
}

// The projector's backlog: how far the audit log, the timelines and the funnel trail what was consumed.
function registerIntakeGauge(metrics: MetricsRegistry, db: Kysely<any>): void {
  new Gauge({
    name: 'baton_metrics_intake_backlog',
    help: 'Events consumed but not yet logged and folded into the projections',
    registers: [metrics.registry],
    async collect() {
      const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM intake`.execute(db);
      this.set(Number(rows[0]?.n ?? 0));
    },
  });
}
