import { DEAD_LETTER_TOPIC, LIFECYCLE_TOPIC } from '@baton/contracts';
import { baseConfigSchema } from '@baton/kit';
import { z } from 'zod';

/** Process name, log `service` field, metrics label and Postgres schema of this service. */
export const SERVICE_NAME = 'routing';

const positiveInt = z.coerce.number().int().positive();
// BullMQ builds Redis keys as `<prefix>:<queue>:...` and refuses ':' in queue names.
const redisName = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'letters, digits, _ . - only');

/** routing's environment: the shared variables, with its own default port, consumer and timer settings. */
export const configSchema = baseConfigSchema.extend({
  PORT: baseConfigSchema.shape.PORT.default(3002),
  // Per API key, unless the key carries its own limit.
  RATE_LIMIT_PER_MINUTE: positiveInt.default(1200),
  // Topics and group are settings so tests and benches can run a routing instance on topics of their own.
  ROUTING_TOPIC: z.string().min(1).default(LIFECYCLE_TOPIC),
  ROUTING_DEAD_LETTER_TOPIC: z.string().min(1).default(DEAD_LETTER_TOPIC),
  ROUTING_CONSUMER_GROUP: z.string().min(1).default('routing'),
  // Partitions one instance takes from a fetch at once. Their chunks are applied in ONE transaction (the
  // consumer's combiner), so this sets how many partitions share a commit and a turn on the queue locks, not
  // how many transactions compete for them. Set it to at least the partitions an instance owns, or the last
  // ones wait for a whole batch (transaction and offset commit) for a worker. Measured at 500 leads/s through
  // one queue, 6 partitions, on 2 cores: 6 gives p99 151-191 ms where 2 without combining gave 212-336 ms.
  // A chunk replayed event by event after a failure runs outside the combiner, and two instances run their
  // own transactions: either can still deadlock with a transaction that takes queue and member locks partway
  // through its chunk. Postgres aborts one, and it is replayed: late, never lost or doubled.
  ROUTING_CONSUMER_CONCURRENCY: positiveInt.default(6),
  // Events per partition per consumer transaction: their captured leads are assigned together in a few multi-row statements
  // before the commit. A chunk holds its queues' row locks until it commits, so smaller chunks hand the lock
  // over sooner (at the price of more commits).
  ROUTING_CONSUMER_CHUNK_SIZE: positiveInt.default(100),
  // How often leads captured before their tenant could route them are routed, if a rule or default queue now
  // takes them.
  UNROUTED_SWEEP_INTERVAL_MS: positiveInt.default(30_000),
  SLA_QUEUE_NAME: redisName.default('routing-sla'),
  SLA_QUEUE_PREFIX: redisName.default('baton'),
  SLA_WORKER_CONCURRENCY: positiveInt.default(8),
  // How often to look for timers Redis lost, and how late a timer must be before it counts as lost.
  SLA_SWEEP_INTERVAL_MS: positiveInt.default(30_000),
  SLA_SWEEP_GRACE_MS: positiveInt.default(10_000),
});

/** routing's parsed configuration. */
export type Config = z.output<typeof configSchema>;
