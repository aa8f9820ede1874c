import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { OutgoingMessage, Publisher } from '../publisher.js';
import type { OutboxRow } from './enqueue.js';
import { sleep, backoffMs } from '../backoff.js';
import { onOutboxCommit } from './signal.js';

export interface OutboxRelayOptions {
  db: Kysely<any>;
  publisher: Publisher;
  logger: Logger;
  /** The schema whose outbox this relay drains: commits to it in this process wake the relay (signal.ts). */
  schema: string;
  batchSize?: number;
  /** Poll for rows this process was not told about: written by another process, or left by a failed pass. */
  pollIntervalMs?: number;
  /**
   * Pause after a wake-up before reading the outbox, so rows committed around the same moment go out in one
   * batch (one transaction and one send) instead of one pass each. Bounds the latency it adds.
   */
  lingerMs?: number;
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
  const lingerMs = opts.lingerMs ?? 5;
  const log = opts.logger.child({ component: 'outbox-relay' });
  let stopped = false;
  let loop: Promise<void> | undefined;
  const waker = createWaker();
  let unsubscribe: (() => void) | undefined;

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
      if (lingerMs > 0 && !stopped) await sleep(lingerMs);
    }
  }

  return {
    publishBatch,
    consecutiveFailures: () => failures,
    async start() {
      if (loop) return;
      unsubscribe = onOutboxCommit(opts.schema, () => waker.wake());
      loop = run();
    },
    async stop() {
      stopped = true;
      waker.wake();
      unsubscribe?.();
      await loop;
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
