import { randomBytes } from 'node:crypto';

/** Where the real Postgres, Kafka and Redis of this test run live. */
export type TestEnv = { databaseUrl: string; kafkaBrokers: string[]; redisUrl: string };

/** Environment variables the jest global setup fills in (or the caller sets to reuse running infrastructure). */
export const TEST_ENV_VARS = {
  databaseUrl: 'BATON_TEST_DATABASE_URL',
  kafkaBrokers: 'BATON_TEST_KAFKA_BROKERS',
  redisUrl: 'BATON_TEST_REDIS_URL',
} as const;

/** Reads the test infrastructure chosen by the jest global setup; throws if run outside `pnpm test`. */
export function testEnv(): TestEnv {
  const read = (name: string): string | undefined => process.env[name]?.trim() || undefined;
  const databaseUrl = read(TEST_ENV_VARS.databaseUrl);
  const brokers = read(TEST_ENV_VARS.kafkaBrokers);
  const redisUrl = read(TEST_ENV_VARS.redisUrl);
  if (!databaseUrl || !brokers || !redisUrl) {
    const missing = Object.values(TEST_ENV_VARS).filter((name) => !read(name));
    throw new Error(
      `${missing.join(', ')} not set. Run tests with \`pnpm test\` (its jest global setup picks the infrastructure), ` +
        'or set all three BATON_TEST_* variables to running Postgres, Kafka and Redis.',
    );
  }
  const kafkaBrokers = brokers.split(',').map((broker) => broker.trim()).filter((broker) => broker !== '');
  return { databaseUrl, kafkaBrokers, redisUrl };
}

/** A fresh name safe as a Postgres schema, Kafka topic or group and BullMQ queue: `<prefix>_<suffix>`, [a-z0-9_] only. */
export function uniqueName(prefix: string): string {
  const cleaned = prefix.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  // Postgres identifiers cannot start with a digit.
  const head = /^[a-z_]/.test(cleaned) ? cleaned : `t_${cleaned}`;
  // Time keeps names sortable when debugging leftovers; the random part separates parallel test files.
  const suffix = `${Date.now().toString(36).slice(-6)}${randomBytes(3).toString('hex')}`;
  // Postgres truncates identifiers at 63 bytes, which would merge names that differ only in the suffix.
  return `${head.slice(0, 63 - suffix.length - 1)}_${suffix}`;
}
