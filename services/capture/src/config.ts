import { baseConfigSchema } from '@baton/kit';
import { z } from 'zod';

/** Process name, log `service` field, metrics label and Postgres schema of this service. */
export const SERVICE_NAME = 'capture';

const positiveInt = z.coerce.number().int().positive();

/** capture's environment: the shared variables, with its own default port and limits. */
export const configSchema = baseConfigSchema.extend({
  PORT: baseConfigSchema.shape.PORT.default(3001),
  // Per API key, unless the key carries its own limit.
  RATE_LIMIT_PER_MINUTE: positiveInt.default(6000),
  // A batch of 500 rich leads does not fit the 1 MiB a single lead is allowed.
  BATCH_BODY_LIMIT_BYTES: positiveInt.default(10 * 1024 * 1024),
});

/** capture's parsed configuration. */
export type Config = z.output<typeof configSchema>;
