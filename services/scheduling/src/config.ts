import { baseConfigSchema } from '@baton/kit';
import type { z } from 'zod';

/** Process name, log `service` field, metrics label and Postgres schema of this service. */
export const SERVICE_NAME = 'scheduling';

/** scheduling's environment: the shared variables, with its own default port. */
export const configSchema = baseConfigSchema.extend({
  PORT: baseConfigSchema.shape.PORT.default(3003),
});

/** scheduling's parsed configuration. */
export type Config = z.output<typeof configSchema>;
