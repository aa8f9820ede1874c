import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Publisher } from '../publisher.js';
import type { OutboxRow } from './enqueue.js';
import { sleep, backoffMs } from '../backoff.js';

export interface OutboxRelayOptions {
  db: Kysely<any>;
  publisher: Publisher;
  logger: Logger;
  /** The schema whose outbox this relay drains; notifications for other schemas are ignored. */
  schema: string;
  /** Where to LISTEN for new rows; without it the relay only polls. */
  listenConnectionString?: string;
  batchSize?: number;
  /** Fallback poll when no notification arrives (lost connection, missed wake-up). */
  pollIntervalMs?: number;
  onPublished?: (count: number) => void;
}

export interface OutboxRelay {
  start(): Promise<void>;
  /** Publishes one batch of pending rows; returns how many it published. */
  publishBatch(): Promise<number>;
  stop(): Promise<void>;
}

const CHANNEL = 'baton_outbox';

/**
 * Creates the relay that publishes committed outbox rows to Kafka and marks them published.
 * Several relays may run against one schema: rows are claimed with FOR UPDATE SKIP LOCKED, and a relay
 * leaves a key alone while another relay holds an earlier row of it, so a lead's events stay in order.
 */
export function createOutboxRelay(opts: OutboxRelayOptions): OutboxRelay {
  const batchSize = opts.batchSize ?? 500;
  const pollIntervalMs = opts.pollIntervalMs ?? 1_000;
  const log = opts.logger.child({ component: 'outbox-relay' });
  let stopped = false;
  let loop: Promise<void> | undefined;
  const waker = createWaker();
  let listener: pg.Client | undefined;

  async function publishBatch(): Promise<number> {
    return opts.db.transaction().execute(async (trx) => {
      const { rows } = await sql<OutboxRow>`
        WITH claimed AS (
          SELECT id, message_key FROM outbox
          WHERE published_at IS NULL
          ORDER BY id
          LIMIT ${batchSize}
          FOR UPDATE SKIP LOCKED
        )
        SELECT o.id, o.event_id, o.topic, o.message_key, o.event_type, o.payload
        FROM outbox o JOIN claimed c ON c.id = o.id
        WHERE NOT EXISTS (
          SELECT 1 FROM outbox earlier
          WHERE earlier.message_key = c.message_key
            AND earlier.published_at IS NULL
            AND earlier.id < c.id
            AND earlier.id NOT IN (SELECT id FROM claimed)
        )
        ORDER BY o.id`.execute(trx);
      if (rows.length === 0) return 0;
      await opts.publisher.publish(
        rows.map((r) => ({
          topic: r.topic,
          key: r.message_key,
          value: JSON.stringify(r.payload),
          headers: { 'content-type': 'application/cloudevents+json', ce_type: r.event_type, ce_id: r.event_id },
        })),
      );
      const ids = rows.map((r) => r.id);
      await sql`UPDATE outbox SET published_at = now() WHERE id = ANY(${ids}::bigint[])`.execute(trx);
      return rows.length;
    });
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (!stopped) {
      try {
        const published = await publishBatch();
        failures = 0;
        if (published > 0) opts.onPublished?.(published);
        if (published >= batchSize) continue;
      } catch (err) {
        failures += 1;
        // The transaction rolled back: the rows stay pending and are retried, never skipped.
        log.error({ err, failures }, 'outbox batch failed; retrying');
        await sleep(backoffMs(failures, 100, 10_000));
        continue;
      }
      await waker.wait(pollIntervalMs);
    }
  }

  async function listen(connectionString: string): Promise<void> {
    const client = new pg.Client({ connectionString });
    client.on('notification', (msg) => {
      if (msg.channel === CHANNEL && msg.payload === opts.schema) waker.wake();
    });
    client.on('error', (err) => {
      log.warn({ err }, 'outbox LISTEN connection lost; polling until it is back');
      listener = undefined;
      client.end().catch(() => undefined);
      if (!stopped) setTimeout(() => void listen(connectionString).catch(() => undefined), 1_000).unref();
    });
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    listener = client;
  }

  return {
    publishBatch,
    async start() {
      if (loop) return;
      if (opts.listenConnectionString) await listen(opts.listenConnectionString);
      loop = run();
    },
    async stop() {
      stopped = true;
      waker.wake();
      await loop;
      await listener?.end().catch(() => undefined);
    },
  };
}

/** A wake-up signal that is not lost when it fires while nobody waits. */
function createWaker(): { wake(): void; wait(ms: number): Promise<void> } {
  let pending = false;
  let resolveWait: (() => void) | undefined;
  return {
    wake() {
      pending = true;
      resolveWait?.();
    },
    async wait(ms) {
      if (pending) {
        pending = false;
        return;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        resolveWait = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      resolveWait = undefined;
      pending = false;
    },
  };
}
