import { baseConfigSchema } from '@baton/kit';
import { z } from 'zod';

/** Process name, log `service` field, metrics label and Postgres schema of this service. */
export const SERVICE_NAME = 'metrics';

// Digits only, like the kit's own variables: '1e3' or '0x10' is a typo, not a number.
const positiveInt = z.string().trim().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().positive());

/** metrics's environment: the shared variables, with its own default port, limits and projector tuning. */
export const configSchema = baseConfigSchema.extend({
  PORT: baseConfigSchema.shape.PORT.default(3005),
  // Per API key, unless the key carries its own limit. Funnel queries are cheap, but not free.
  RATE_LIMIT_PER_MINUTE: positiveInt.default(600),
  // Partitions this replica takes from a fetch at once (the topic has 6 by default); their chunks share one
  // transaction (the consumer's combiner).
  CONSUMER_CONCURRENCY: positiveInt.default(6),
  // Events per consumer transaction and offset commit: fewer commits (fsyncs) per event; a crash redoes at
  // most this many events per partition, which the inbox and the idempotent fold make harmless.
  CONSUMER_CHUNK_SIZE: positiveInt.default(500),
  // Events folded per projector transaction: bigger batches share more journey and rollup writes (a lead's
  // events and a rollup row's leads merge into one write; 4000 writes ~30% fewer rollup rows than 1000).
  PROJECTOR_BATCH_SIZE: positiveInt.default(4000),
  // How long the projector sleeps when idle and nobody wakes it (events recorded by another replica).
  PROJECTOR_IDLE_MS: positiveInt.default(500),
});

/** metrics's parsed configuration. */
export type Config = z.output<typeof configSchema>;
