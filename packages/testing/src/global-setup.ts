// Jest globalSetup: decides which real Postgres, Kafka and Redis the whole test run uses, and publishes them
// as BATON_TEST_* variables (workers inherit this process's environment; tests read them through testEnv()).
//   1. all BATON_TEST_* already set  -> use them as they are
//   2. a Docker engine answers       -> start throwaway containers (stopped by global-teardown)
//   3. otherwise                     -> the native services from `bash infra/up.sh`, verified before any test runs
import net from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { StartedTestContainer } from 'testcontainers';

// Jest requires this file outside its module mapper, so it cannot import siblings ('./env.js' would not resolve):
// these names must stay equal to TEST_ENV_VARS in env.ts.
const TEST_ENV_VARS = {
  databaseUrl: 'BATON_TEST_DATABASE_URL',
  kafkaBrokers: 'BATON_TEST_KAFKA_BROKERS',
  redisUrl: 'BATON_TEST_REDIS_URL',
} as const;

const NATIVE = {
  databaseUrl: 'postgres://postgres@127.0.0.1:5432/baton_test',
  kafkaBrokers: '127.0.0.1:9092',
  redisUrl: 'redis://127.0.0.1:6379',
};
// @testcontainers/kafka 11 drives Confluent images only; cp-kafka 7.9 is Apache Kafka 3.9, like the native broker.
const KAFKA_IMAGE = 'confluentinc/cp-kafka:7.9.0';

/** Handles shared with global-teardown: both run in jest's parent process. */
export type BatonTestGlobals = { batonTestContainers?: StartedTestContainer[] };

/** Picks and checks the test infrastructure, then exports it as BATON_TEST_* for every test worker. */
export default async function globalSetup(): Promise<void> {
  const vars = Object.values(TEST_ENV_VARS);
  if (vars.every((name) => process.env[name])) return;
  if (await dockerAnswers()) {
    await startContainers();
    return;
  }
  process.env[TEST_ENV_VARS.databaseUrl] = NATIVE.databaseUrl;
  process.env[TEST_ENV_VARS.kafkaBrokers] = NATIVE.kafkaBrokers;
  process.env[TEST_ENV_VARS.redisUrl] = NATIVE.redisUrl;
  await verifyNative();
}

async function dockerAnswers(): Promise<boolean> {
  try {
    // testcontainers' own detection: DOCKER_HOST, ~/.testcontainers.properties, the usual sockets.
    const { getContainerRuntimeClient } = await import('testcontainers');
    await withTimeout(getContainerRuntimeClient(), 15_000, 'container runtime detection');
    return true;
  } catch {
    return false;
  }
}

async function startContainers(): Promise<void> {
  const [{ PostgreSqlContainer }, { RedisContainer }, { KafkaContainer }] = await Promise.all([
    import('@testcontainers/postgresql'),
    import('@testcontainers/redis'),
    import('@testcontainers/kafka'),
  ]);
  const [postgres, redis, kafka] = await Promise.all([
    new PostgreSqlContainer('postgres:15').withDatabase('baton_test').withUsername('postgres').withPassword('postgres').start(),
    new RedisContainer('redis:7').start(),
    new KafkaContainer(KAFKA_IMAGE).withKraft().start(),
  ]);
  (globalThis as BatonTestGlobals).batonTestContainers = [postgres, redis, kafka];
  process.env[TEST_ENV_VARS.databaseUrl] = postgres.getConnectionUri();
  process.env[TEST_ENV_VARS.redisUrl] = redis.getConnectionUrl();
  // 9093 is the container's host-facing PLAINTEXT listener.
  process.env[TEST_ENV_VARS.kafkaBrokers] = `${kafka.getHost()}:${kafka.getMappedPort(9093)}`;
}

async function verifyNative(): Promise<void> {
  const checks: [string, Promise<void>][] = [
    [`Postgres ${NATIVE.databaseUrl}`, checkPostgres(NATIVE.databaseUrl)],
    [`Kafka ${NATIVE.kafkaBrokers}`, checkTcp(NATIVE.kafkaBrokers)],
    [`Redis ${NATIVE.redisUrl}`, checkRedis(NATIVE.redisUrl)],
  ];
  const results = await Promise.allSettled(checks.map(([, check]) => check));
  const failures = results.flatMap((result, i) =>
    result.status === 'rejected' ? [`  - ${checks[i]?.[0]}: ${errorMessage(result.reason)}`] : [],
  );
  if (failures.length > 0) {
    throw new Error(
      `No Docker engine, and the native test infrastructure does not answer:\n${failures.join('\n')}\n` +
        'Start it with `bash infra/up.sh` (or set BATON_TEST_DATABASE_URL, BATON_TEST_KAFKA_BROKERS, BATON_TEST_REDIS_URL).',
    );
  }
}

async function checkPostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function checkRedis(url: string): Promise<void> {
  // No retries: a down Redis must fail the check now, not reconnect forever.
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 5_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  // connect() only says "Connection is closed"; the 'error' event carries the cause (ECONNREFUSED, NOAUTH...).
  let cause: unknown;
  redis.on('error', (error) => (cause = error));
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw cause ?? error;
  } finally {
    redis.disconnect();
  }
}

// A TCP connect is enough here: infra/up.sh already waited for the broker to serve requests.
async function checkTcp(brokers: string): Promise<void> {
  await Promise.all(
    brokers.split(',').map(
      (broker) =>
        new Promise<void>((resolve, reject) => {
          const [host = '127.0.0.1', port = '9092'] = broker.trim().split(':');
          const socket = net.connect({ host, port: Number(port), timeout: 3_000 });
          socket.once('connect', () => (socket.end(), resolve()));
          socket.once('timeout', () => (socket.destroy(), reject(new Error('connect timed out'))));
          socket.once('error', reject);
        }),
    ),
  );
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms}ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function errorMessage(error: unknown): string {
  if (error instanceof AggregateError) return error.errors.map(errorMessage).join('; ');
  return error instanceof Error ? error.message || error.name : String(error);
}
