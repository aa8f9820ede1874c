import { closeRedis, createRedis, startIdempotencyPurge, startPeriodic, type Identity, type Logger, type Messaging, type MetricsRegistry, type Redis, type ServiceStarted, type ShutdownStep } from '@baton/kit';
import type { RunningConsumer } from '@baton/kafka';
import type { Kysely } from 'kysely';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { createRoutingHandler } from './consumers/routing.handler.js';
import type { Database } from './db/schema.js';
import { batchTimers, createSlaTimers, rebuildTimers, startTimerSweep, type SlaTimers } from './timers/sla-timers.js';
import { startSlaWorker } from './timers/sla-worker.js';
import { fireTimer } from './use-cases/fire-timer.js';
import { routeUnroutedLeads } from './use-cases/route-unrouted.js';

/** What a routing instance runs on: startService's infrastructure (tests and benches open their own). */
export type RoutingInfra = {
  config: Config;
  logger: Logger;
  db: Kysely<Database>;
  redis: Redis;
  metrics: MetricsRegistry;
  messaging: Messaging;
  identity: Identity;
  clock?: () => Date;
  rateLimitNameSpace?: string;
};

/** A running routing instance: its app, its consumer and timers, and the steps that stop them. */
export type RoutingInstance = ServiceStarted & { consumer: RunningConsumer; timers: SlaTimers; shutdown: ShutdownStep[] };

async function startTimers(infra: RoutingInfra, clock: () => Date) {
  const { config, db, logger } = infra;
  // BullMQ needs a connection that retries forever (maxRetriesPerRequest: null); the shared one fails fast.
  const connection = createRedis(config.REDIS_URL, { name: 'routing-sla', maxRetriesPerRequest: null, logger });
  const place = { connection, name: config.SLA_QUEUE_NAME, prefix: config.SLA_QUEUE_PREFIX };
  const timers = createSlaTimers({ ...place, clock });
  // Redis may have lost everything while we were down: Postgres holds every pending deadline.
  const rebuilt = await rebuildTimers(db, timers);
  logger.info({ rebuilt }, 'SLA timers rebuilt from Postgres');
  const fire = (timer: Parameters<typeof fireTimer>[1]) => fireTimer(db, timer, { clock, topic: config.ROUTING_TOPIC });
  const worker = startSlaWorker({ ...place, concurrency: config.SLA_WORKER_CONCURRENCY, clock, logger, fire, timers });
  const sweep = startTimerSweep({ db, timers, clock, intervalMs: config.SLA_SWEEP_INTERVAL_MS, graceMs: config.SLA_SWEEP_GRACE_MS, logger });
  const shutdown: ShutdownStep[] = [
    // close() lets running jobs finish: a timer is never cut off between its commit and its next schedule.
    { name: 'sla-worker', close: () => worker.close() },
    sweep,
    { name: 'sla-queue', close: () => timers.close() },
    { name: 'sla-redis', close: () => closeRedis(connection) },
  ];
  return { timers, shutdown };
}

/** Starts routing on the given infrastructure: timers (rebuilt from Postgres), the 'routing' consumer and the app. */
export async function startRouting(infra: RoutingInfra): Promise<RoutingInstance> {
  const { config, db, logger } = infra;
  const clock = infra.clock ?? (() => new Date());
  const { timers, shutdown: timerSteps } = await startTimers(infra, clock);
  const batcher = batchTimers((list) => timers.schedule(list), logger);
  const handler = createRoutingHandler({ clock, topic: config.ROUTING_TOPIC, timers: batcher });
  const consumer = await infra.messaging.consume<Database>({
    groupId: config.ROUTING_CONSUMER_GROUP,
    db,
    logger,
    topics: [config.ROUTING_TOPIC],
    deadLetterTopic: config.ROUTING_DEAD_LETTER_TOPIC,
    partitionsConsumedConcurrently: config.ROUTING_CONSUMER_CONCURRENCY,
    chunkSize: config.ROUTING_CONSUMER_CHUNK_SIZE,
    ...handler,
  });
  const app = await buildApp({ ...infra, clock, schedule: (list) => timers.schedule(list) });
  const unroutedSweep = startPeriodic({
    name: 'unrouted-sweep',
    intervalMs: config.UNROUTED_SWEEP_INTERVAL_MS,
    task: async (keepGoing) => {
      const routed = await routeUnroutedLeads(db, { clock, topic: config.ROUTING_TOPIC, schedule: (list) => timers.schedule(list), keepGoing });
      if (routed > 0) logger.info({ routed }, 'unrouted leads routed');
    },
    logger,
    // A page that committed has scheduled its timers; a timer lost on the way is the SLA sweep's to restore.
    failureMessage: 'routing unrouted leads failed; the next sweep retries what is left',
  });
  const shutdown: ShutdownStep[] = [
    // The consumer and the sweep first: they schedule timers through the queue closed below. (messaging's own
    // step stopping the consumer again later is harmless.)
    { name: 'routing-consumer', close: () => consumer.stop() },
    { name: 'sla-timer-batch', close: () => batcher.close() },
    unroutedSweep,
    ...timerSteps,
    // Idempotency keys are kept 24 h; expired ones are purged in the background.
    startIdempotencyPurge(db, { logger }),
  ];
  return { app, consumer, timers, shutdown };
}
