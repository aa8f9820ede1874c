import { z } from 'zod';
import { ConfigError, baseConfigSchema, loadConfig } from '../src/config.js';

const schema = baseConfigSchema.extend({ PORT: baseConfigSchema.shape.PORT.default(3001) });

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies every default when the environment is empty', () => {
    const config = loadConfig(schema, {});
    expect(config).toEqual({
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      PORT: 3001,
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/baton',
      KAFKA_BROKERS: ['127.0.0.1:9092'],
      REDIS_URL: 'redis://127.0.0.1:6379',
      BODY_LIMIT_BYTES: 1024 * 1024,
      SHUTDOWN_TIMEOUT_MS: 10_000,
      KAFKA_TOPIC_PARTITIONS: 6,
      OUTBOX_POLL_INTERVAL_MS: 1_000,
    });
  });

  it('coerces numbers and splits the broker list', () => {
    const config = loadConfig(schema, { PORT: '8080', KAFKA_BROKERS: 'k1:9092, k2:9093,', BODY_LIMIT_BYTES: '2048' });
    expect(config.PORT).toBe(8080);
    expect(config.KAFKA_BROKERS).toEqual(['k1:9092', 'k2:9093']);
    expect(config.BODY_LIMIT_BYTES).toBe(2048);
  });

  it('treats an empty variable as unset, so the default applies', () => {
    expect(loadConfig(schema, { PORT: '', LOG_LEVEL: ' ' }).PORT).toBe(3001);
  });

  it.each([
    ['KAFKA_BROKERS', 'kafka:99999'],
    ['DATABASE_URL', 'postgres://'],
    ['REDIS_URL', 'redis://'],
    ['PORT', '1e3'],
    ['PORT', '70000'],
    ['SHUTDOWN_TIMEOUT_MS', '0x10'],
    ['BODY_LIMIT_BYTES', '0'],
  ])('rejects %s=%s instead of guessing what it meant', (variable, value) => {
    const error = configErrorOf(() => loadConfig(schema, { [variable]: value }));
    expect(error.issues.map((issue) => issue.variable.split('.')[0])).toEqual([variable]);
  });

  it('names every bad variable in one error', () => {
    const error = configErrorOf(() =>
      loadConfig(schema, { PORT: 'eighty', DATABASE_URL: 'mysql://x', KAFKA_BROKERS: 'nohost', LOG_LEVEL: 'loud' }),
    );
    const variables = error.issues.map((issue) => issue.variable).sort();
    expect(variables).toEqual(['DATABASE_URL', 'KAFKA_BROKERS.0', 'LOG_LEVEL', 'PORT']);
    for (const name of ['PORT', 'DATABASE_URL', 'KAFKA_BROKERS', 'LOG_LEVEL']) expect(error.message).toContain(name);
  });

  it('names a missing required variable as missing', () => {
    const error = configErrorOf(() => loadConfig(baseConfigSchema.extend({ API_SECRET: z.string() }), { PORT: '1' }));
    expect(error.issues).toEqual([{ variable: 'API_SECRET', message: 'is required but not set' }]);
    expect(error.message).toContain('API_SECRET: is required but not set');
  });

  it('requires PORT when a service gives no default', () => {
    const error = configErrorOf(() => loadConfig(baseConfigSchema, {}));
    expect(error.issues.map((issue) => issue.variable)).toEqual(['PORT']);
  });
});
