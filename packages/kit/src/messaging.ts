import {
  createKafkaClient,
  createMessagingMetrics,
  createOutboxRelay,
  createPublisher,
  ensureTopics,
  lifecycleTopics,
  purgeMessaging,
  runConsumer,
  type ConsumerOptions,
  type KafkaClient,
  type MessagingMetrics,
  type OutboxRelay,
  type Publisher,
  type RunningConsumer,
} from '@baton/kafka';
import type { BaseConfig } from './config.js';
import type { DatabaseHandle } from './db.js';
import { startPeriodic, type ShutdownStep } from './lifecycle.js';
import type { Logger } from './logger.js';
import type { MetricsRegistry } from './metrics.js';

/** A service's connection to the event backbone: what consumers and readiness checks need. */
export type Messaging = {
  client: KafkaClient;
  publisher: Publisher;
  relay: OutboxRelay;
  metrics: MessagingMetrics;
  /** Starts a consumer group member with this service's client, dead-letter producer and metrics; stopped on shutdown. */
  consume<DB>(opts: ConsumeOptions<DB>): Promise<RunningConsumer>;
  /** Readiness check: the cluster answers a metadata request. */
  ping: () => Promise<void>;
  /** Stops the consumers; runs before the service's own resources, which their handlers use. */
  stopConsumers: ShutdownStep;
  /** The relay (it publishes through the producer), then the producer, then the admin connection. */
  shutdown: ShutdownStep[];
};

/** What a service decides about a consumer; the connection, dead-letter producer and metrics come from Messaging. */
export type ConsumeOptions<DB> = Omit<ConsumerOptions<DB>, 'client' | 'publisher' | 'onLag'>;

/**
 * Connects a service to Kafka: creates the lifecycle topics if they are missing (idempotent, safe when
 * several services start at once), connects the idempotent producer and starts the outbox relay.
 */
export async function startMessaging(opts: {
  service: string;
  config: BaseConfig;
  logger: Logger;
  /** The service's database handle (db and pool): metrics and retention query through db, the relay takes the pool. */
  database: Pick<DatabaseHandle<any>, 'db' | 'pool'>;
  metrics: MetricsRegistry;
}): Promise<Messaging> {
  const { config, logger } = opts;
  const { db, pool } = opts.database;
  const client = createKafkaClient({ brokers: config.KAFKA_BROKERS, clientId: opts.service, logger });
  await ensureTopics(client, lifecycleTopics(config.KAFKA_TOPIC_PARTITIONS));
  const publisher = createPublisher(client);
  await publisher.connect();
  const metrics = createMessagingMetrics(opts.metrics.registry, db);
  const relay = createOutboxRelay({
    pool,
    publisher,
    logger,
    schema: opts.service,
    pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
    onPublished: metrics.onPublished,
  });
  await relay.start();
  // Expired outbox and inbox rows go every ten minutes, off the request path.
  const purge = startPeriodic({
    name: 'messaging-retention',
    intervalMs: 10 * 60_000,
    task: async () => logger.debug(await purgeMessaging(db), 'messaging retention purge'),
    logger,
    failureMessage: 'messaging retention purge failed; will retry',
  });
  const consumers: RunningConsumer[] = [];
  return {
    client,
    publisher,
    relay,
    metrics,
    async consume(consumerOpts) {
      const consumer = await runConsumer({
        ...consumerOpts,
        client,
        publisher,
        onLag: metrics.onLag,
        onProcessed: async (outcome, ctx) => {
          metrics.onProcessed(outcome, ctx);
          await consumerOpts.onProcessed?.(outcome, ctx);
        },
      });
      consumers.push(consumer);
      return consumer;
    },
    async ping() {
      await client.ping();
      // Kafka answering is not enough if this service's events are not getting out.
      const failures = relay.consecutiveFailures();
      if (failures >= 3) throw new Error(`outbox relay has failed ${failures} batches in a row`);
    },
    stopConsumers: { name: 'kafka-consumers', close: () => Promise.all(consumers.splice(0).map((c) => c.stop())) },
    shutdown: [
      purge,
      { name: 'outbox-relay', close: () => relay.stop() },
      { name: 'kafka-producer', close: () => publisher.disconnect() },
      { name: 'kafka-admin', close: () => client.close() },
    ],
  };
}

