import type pg from 'pg';
import type { Logger } from 'pino';
import type { OutgoingMessage, Publisher } from '../publisher.js';
import type { OutboxRow } from './enqueue.js';
import { sleep, backoffMs } from '../backoff.js';
import { onOutboxCommit } from './signal.js';

export interface OutboxRelayOptions {
  /** The pool of the schema's database handle (its search_path is the schema): a pass holds one connection. */
  pool: pg.Pool;
  publisher: Publisher;
  logger: Logger;
  /** The schema whose outbox this relay drains: commits to it in this process wake the relay (signal.ts). */
  schema: string;
  batchSize?: number;
  /** Poll for rows this process was not told about: written by another process, or left by a failed pass. */
  pollIntervalMs?: number;
  /**
   * Pause after a wake-up before reading the outbox, so rows committed around the same moment go out in one
   * batch (one transaction and one send) instead of one pass each. Bounds the latency it adds. Default 20 ms:
   * at a steady 500 leads/s on two slow cores, 5 ms meant about 70 passes a second of 7 rows each, and every
   * pass costs its round trips and wake-ups whatever it carries (pnpm bench capture, see capture's README).
   */
  lingerMs?: number;
  /** First pause before trying again when another relay of the schema is mid-pass (doubling up to the poll interval). */
  busyRetryMs?: number;
  onPublished?: (count: number) => void;
}

export interface OutboxRelay {
  start(): Promise<void>;
  /** Publishes one batch of pending rows; returns how many it published (0 while another relay holds the outbox). */
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
 * Several relays may run against one schema (one per service instance): a pass holds the schema's relay lock
 * (outbox_claim, messaging migration 0002), so they publish one after another, each pass a prefix, in id
 * order, of the rows committed when it reads, and a lead's events stay in order (enqueue commits them in id
 * order).
 */
export function createOutboxRelay(opts: OutboxRelayOptions): OutboxRelay {
  const batchSize = opts.batchSize ?? 500;
  const pollIntervalMs = opts.pollIntervalMs ?? 1_000;
  const lingerMs = opts.lingerMs ?? 20;
  const busyRetryMs = opts.busyRetryMs ?? 10;
  const log = opts.logger.child({ component: 'outbox-relay' });
  let stopped = false;
  let loop: Promise<void> | undefined;
  const waker = createWaker();
  let unsubscribe: (() => void) | undefined;

  /**
   * One pass: claims pending rows, publishes them, marks them published; 'busy' when another relay holds the
   * outbox. Two round trips to Postgres: the transaction opens with the claim, and closes with the mark. Both
   * are multi-statement simple queries, which take no bound parameters: the batch size and the ids (bigints
   * Postgres itself returned) are written into the SQL.
   */
  async function pass(): Promise<number | 'busy'> {
    const client = await opts.pool.connect();
    let reusable = true;
    try {
      // The payload as Postgres stores it, so it goes out without being parsed and re-serialised here.
      // synchronous_commit off: this transaction only marks rows published. If a crash loses that mark, the
      // rows are published again, which at-least-once delivery allows (consumers dedupe through their
      // inbox); a writer's commit meanwhile no longer queues behind the relay's WAL flush.
      const [, claimed] = (await client.query(`BEGIN;
        SELECT o.id, o.event_id, o.topic, o.message_key, o.event_type, o.payload::text AS payload
        FROM outbox_claim(${batchSize}) AS o, set_config('synchronous_commit', 'off', true)
        ORDER BY o.id`)) as unknown as [pg.QueryResult, pg.QueryResult<OutboxRow>];
      const messages = withinBytes(claimed.rows);
      if (messages.length === 0) {
        await client.query('COMMIT');
        return 0;
      }
      // Rows cut off by the size limit stay pending; they lead the next batch, still in id order.
      const ids = messages.map((m) => bigintLiteral(m.id));
      await opts.publisher.publish(messages.map((m) => m.message));
      await client.query(`UPDATE outbox SET published_at = now() WHERE id = ANY('{${ids.join(',')}}'::bigint[]); COMMIT`);
      return ids.length;
    } catch (err) {
      // A connection that cannot even roll back is not handed to anyone else.
      await client.query('ROLLBACK').catch(() => (reusable = false));
      if (isLockNotAvailable(err)) return 'busy';
      throw err;
    } finally {
      client.release(!reusable);
    }
  }

  let failures = 0;
  let busy = 0;
  async function run(): Promise<void> {
    while (!stopped) {
      try {
        const published = await pass();
        // Busy is neither a success nor a failure: a relay whose sends fail keeps its count (and readiness)
        // while another instance holds the lock.
        if (published === 'busy') {
          // The holder's pass may have read the outbox before this process's rows committed: try again soon,
          // not at the next poll (backing off while the holder is stuck, say on a slow broker).
          busy += 1;
          await sleep(backoffMs(busy, busyRetryMs, pollIntervalMs));
          continue;
        }
        failures = 0;
        busy = 0;
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
    publishBatch: async () => {
      const published = await pass();
      return published === 'busy' ? 0 : published;
    },
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

/** An outbox id as it may be written into SQL: the digits of a bigint, or the pass fails before it sends. */
function bigintLiteral(id: string): string {
  if (!/^[0-9]{1,19}$/.test(id)) throw new Error(`unexpected outbox id ${JSON.stringify(id)}`);
  return id;
}

/** Postgres's lock_not_available, raised by outbox_claim when another relay holds the schema's relay lock. */
const isLockNotAvailable = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === '55P03';

interface Prepared {
  id: string;
  message: OutgoingMessage;
}

/** The longest prefix of rows within MAX_BATCH_BYTES (always at least one row: enqueue bounds its size). */
function withinBytes(rows: readonly OutboxRow[]): Prepared[] {
  const out: Prepared[] = [];
  let bytes = 0;
  for (const r of rows) {
    const value = r.payload;
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
