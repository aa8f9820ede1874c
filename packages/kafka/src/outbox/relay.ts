import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import type { OutgoingMessage, Publisher } from '../publisher.js';
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
  /** Batches failed in a row since the last success (0 when healthy), for readiness. */
  consecutiveFailures(): number;
  stop(): Promise<void>;
}

const CHANNEL = 'baton_outbox';

/**
 * Bytes of payload per send. kafkajs puts a partition's messages in one record batch and the broker refuses
 * batches over ~1 MB, so a batch is cut by size as well as by row count (enqueue caps a single event lower).
 */
const MAX_BATCH_BYTES = 768 * 1024;

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
      const messages = withinBytes(rows);
      if (messages.length === 0) return 0;
      await opts.publisher.publish(messages.map((m) => m.message));
      // Rows cut off by the size limit stay pending; they lead the next batch, still in id order.
      const ids = messages.map((m) => m.id);
      await sql`UPDATE outbox SET published_at = now() WHERE id = ANY(${ids}::bigint[])`.execute(trx);
      return ids.length;
    });
  }

  let failures = 0;
  async function run(): Promise<void> {
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

  /** Keeps one LISTEN connection open, reconnecting with backoff; polling covers the gaps. */
  async function listen(connectionString: string, attempt = 0): Promise<void> {
    if (stopped) return;
    const client = new pg.Client({ connectionString, keepAlive: true });
    client.on('notification', (msg) => {
      if (msg.channel === CHANNEL && msg.payload === opts.schema) waker.wake();
    });
    let lost = false;
    const reconnect = (err: unknown) => {
      if (lost) return;
      lost = true;
      if (listener === client) listener = undefined;
      client.end().catch(() => undefined); // the connection is already broken
      if (stopped) return;
      log.warn({ err, attempt }, 'outbox LISTEN connection lost; polling until it is back');
      setTimeout(() => void listen(connectionString, attempt + 1), backoffMs(attempt + 1, 500, 15_000)).unref();
    };
    client.on('error', reconnect);
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      reconnect(err);
      return;
    }
    if (stopped) {
      await client.end();
      return;
    }
    listener = client;
    // Rows committed while nobody listened were never announced.
    waker.wake();
  }

  return {
    publishBatch,
    consecutiveFailures: () => failures,
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
interface Prepared {
  id: string;
  message: OutgoingMessage;
}

/** The longest prefix of rows within MAX_BATCH_BYTES (always at least one row: enqueue bounds its size). */
function withinBytes(rows: readonly OutboxRow[]): Prepared[] {
  const out: Prepared[] = [];
  let bytes = 0;
  for (const r of rows) {
    const value = JSON.stringify(r.payload);
    bytes += Buffer.byteLength(value);
    if (out.length > 0 && bytes > MAX_BATCH_BYTES) break;
    out.push({
      id: r.id,
      message: {
        topic: r.topic,
        key: r.message_key,
        value,
        headers: { 'content-type': 'application/cloudevents+json', ce_type: r.event_type, ce_id: r.event_id },
      },
    });
  }
  return out;
}

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
