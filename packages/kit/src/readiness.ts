import { sql, type Kysely } from 'kysely';
import type { Redis } from 'ioredis';

/** Readiness check: a round trip to Postgres. */
export async function pingPostgres(db: Kysely<any>): Promise<void> {
  await sql`select 1`.execute(db);
}

/** Readiness check: a round trip to Redis. */
export async function pingRedis(redis: Redis): Promise<void> {
  const answer = await redis.ping();
  if (answer !== 'PONG') throw new Error(`unexpected PING answer: ${answer}`);
}
