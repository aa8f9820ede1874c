import {
  createKafkaClient,
  createMessagingMetrics,
  createOutboxRelay,
  createPublisher,
  ensureTopics,
  lifecycleTopics,
  type KafkaClient,
  type MessagingMetrics,
  type OutboxRelay,
  type Publisher,
} from '@baton/kafka';
import type { Kysely } from 'kysely';
import type { BaseConfig } from './config.js';
import type { ShutdownStep } from './lifecycle.js';
import type { Logger } from './logger.js';
import type { MetricsRegistry } from './metrics.js';

/** A service's connection to the event backbone: what consumers and readiness checks need. */
export type Messaging = {
  client: KafkaClient;
  publisher: Publisher;
  relay: OutboxRelay;
  metrics: MessagingMetrics;
  /** Readiness check: the cluster answers a metadata request. */
  ping: () => Promise<void>;
  /** Relay first (it publishes through the producer), then the producer. */
  shutdown: ShutdownStep[];
};

/**
 * Connects a service to Kafka: creates the lifecycle topics if they are missing (idempotent, safe when
 * several services start at once), connects the idempotent producer and starts the outbox relay.
 */
export async function startMessaging(opts: {
  service: string;
  config: BaseConfig;
  logger: Logger;
  db: Kysely<any>;
  metrics: MetricsRegistry;
}): Promise<Messaging> {
  const { config, logger } = opts;
  const client = createKafkaClient({ brokers: config.KAFKA_BROKERS, clientId: opts.service, logger });
  await ensureTopics(client, lifecycleTopics(config.KAFKA_TOPIC_PARTITIONS));
  const publisher = createPublisher(client);
  await publisher.connect();
  const metrics = createMessagingMetrics(opts.metrics.registry, opts.db);
  const relay = createOutboxRelay({
    db: opts.db,
    publisher,
    logger,
    schema: opts.service,
    listenConnectionString: config.DATABASE_URL,
    pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
    onPublished: metrics.onPublished,
  });
  await relay.start();
  return {
    client,
    publisher,
    relay,
    metrics,
    ping: () => client.ping(),
    shutdown: [
      { name: 'outbox-relay', close: () => relay.stop() },
      { name: 'kafka-producer', close: () => publisher.disconnect() },
    ],
  };
}
