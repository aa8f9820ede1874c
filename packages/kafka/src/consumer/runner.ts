import { DEAD_LETTER_TOPIC, LIFECYCLE_TOPIC, type EventType, type LifecycleEvent } from '@baton/contracts';
import type { EachBatchPayload } from 'kafkajs';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { KafkaClient } from '../client.js';
import type { Publisher } from '../publisher.js';
import { createChunkCombiner, type ApplyChunk, type ChunkDeps } from './combiner.js';
import { processMessage, type BeforeCommit, type ChunkItem, type EventHandler, type MessageContext, type Outcome, type ProcessDeps } from './process-message.js';

export interface ConsumerOptions<DB> {
  client: KafkaClient;
  groupId: string;
  db: Kysely<DB>;
  handle: EventHandler<DB>;
  /**
   * Called once per transaction after the handler saw its last event and before the commit (a chunk, or one
   * event on the slow path), so a handler can batch its writes. An error fails the transaction like a handler
   * error: a chunk is replayed one event at a time, where the hook runs once per event.
   */
  beforeCommit?: BeforeCommit<DB>;
  /**
   * Event types the handler reacts to; others are skipped before any database work (a service reads its
   * own events back from the shared topic). Default: every type.
   */
  eventTypes?: readonly EventType[];
  /** Used for dead letters. */
  publisher: Publisher;
  logger: Logger;
  topics?: string[];
  deadLetterTopic?: string;
  /** Name under which processed events are recorded in the inbox; defaults to the group id. */
  inboxName?: string;
  sessionTimeoutMs?: number;
  retry?: { baseMs?: number; maxMs?: number };
  /**
   * Partitions handed to the handler at once. Their chunks are applied together in one transaction (see
   * combiner.ts), so this bounds how many partitions share a commit, not how many transactions run. Default 1.
   */
  partitionsConsumedConcurrently?: number;
  /**
   * Messages per partition applied per database transaction (and per offset commit). Larger chunks mean fewer
   * fsyncs; smaller ones mean less work redone after a crash. Default 100.
   */
  chunkSize?: number;
  /** Called after an event's transaction committed and before its offset is: the at-least-once window. */
  onProcessed?: (outcome: Outcome, ctx: MessageContext) => void | Promise<void>;
  /** Called with the remaining lag of a partition after each batch. */
  onLag?: (lag: number, ctx: { topic: string; partition: number }) => void;
}

export interface ConsumerStats {
  handled: number;
  duplicates: number;
  skipped: number;
  deadLettered: number;
  groupJoins: number;
}

export interface RunningConsumer {
  stats(): ConsumerStats;
  /** Finishes the message in hand, commits, leaves the group. */
  stop(): Promise<void>;
}


/**
 * Runs a consumer group member that hands each decoded event to `handle` inside a transaction that also
 * records the event in the inbox, and commits the Kafka offset only after that transaction commits.
 */
export async function runConsumer<DB>(opts: ConsumerOptions<DB>): Promise<RunningConsumer> {
  const consumerName = opts.inboxName ?? opts.groupId;
  const log = opts.logger.child({ component: 'consumer', group: opts.groupId });
  const stats: ConsumerStats = { handled: 0, duplicates: 0, skipped: 0, deadLettered: 0, groupJoins: 0 };
  const sessionTimeout = opts.sessionTimeoutMs ?? 30_000;
  const consumer = opts.client.kafka.consumer({
    groupId: opts.groupId,
    sessionTimeout,
    heartbeatInterval: Math.max(1_000, Math.floor(sessionTimeout / 10)),
    allowAutoTopicCreation: false,
  });
  let stopping = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    stats.groupJoins += 1;
  });

  await consumer.connect();
  await consumer.subscribe({ topics: opts.topics ?? [LIFECYCLE_TOPIC], fromBeginning: true });
  const base: ChunkDeps<DB> = {
    db: opts.db,
    handle: opts.handle,
    beforeCommit: opts.beforeCommit,
    accepts: acceptsTypes(opts.eventTypes),
    publisher: opts.publisher,
    deadLetterTopic: opts.deadLetterTopic ?? DEAD_LETTER_TOPIC,
    consumer: consumerName,
    logger: log,
    retry: { baseMs: opts.retry?.baseMs ?? 200, maxMs: opts.retry?.maxMs ?? 30_000 },
  };
  const applyChunk = createChunkCombiner(base);
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: opts.partitionsConsumedConcurrently ?? 1,
    eachBatch: (payload) => consumeBatch(payload, { ...opts, base, applyChunk, stats, isStopping: () => stopping, heartbeatMs: sessionTimeout / 5, chunkSize: opts.chunkSize ?? 100 }),
  });
  return {
    stats: () => ({ ...stats }),
    async stop() {
      stopping = true;
      await consumer.disconnect();
    },
  };
}

interface BatchDeps<DB> extends ConsumerOptions<DB> {
  base: ChunkDeps<DB>;
  applyChunk: ApplyChunk;
  stats: ConsumerStats;
  isStopping: () => boolean;
  heartbeatMs: number;
  chunkSize: number;
}

async function consumeBatch<DB>(payload: EachBatchPayload, deps: BatchDeps<DB>): Promise<void> {
  const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
  const keepGoing = () => isRunning() && !isStale() && !deps.isStopping();
  const process: ProcessDeps<DB> = { ...deps.base, keepGoing, heartbeat };
  const items = batch.messages.map((message) => ({ message, ctx: { topic: batch.topic, partition: batch.partition, offset: message.offset } }));
  for (let start = 0; start < items.length && keepGoing(); start += deps.chunkSize) {
    const chunk = items.slice(start, start + deps.chunkSize);
    const outcomes = await withHeartbeat(heartbeat, deps.heartbeatMs, deps.base.logger, async () =>
      (await deps.applyChunk(chunk)) ?? (await processOneByOne(chunk, process)),
    );
    for (const [i, outcome] of outcomes.entries()) {
      count(deps.stats, outcome);
      await deps.onProcessed?.(outcome, chunk[i]!.ctx);
    }
    const last = chunk[outcomes.length - 1];
    if (last === undefined) break;
    // Only now, after the transaction(s) committed: a crash before this line means redelivery, not loss.
    resolveOffset(last.message.offset);
    await commit(payload, batch.topic, batch.partition, last.message.offset);
    if (outcomes.length < chunk.length) break;
    await heartbeat();
  }
  deps.onLag?.(Number(batch.offsetLag()), { topic: batch.topic, partition: batch.partition });
}

/** The slow path: each message in its own transaction, with retries and dead-lettering; stops when aborted. */
async function processOneByOne<DB>(chunk: readonly ChunkItem[], process: ProcessDeps<DB>): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const item of chunk) {
    if (!process.keepGoing()) break;
    const outcome = await processMessage(item.message, item.ctx, process);
    if (outcome === 'aborted') break;
    outcomes.push(outcome);
  }
  return outcomes;
}

/** Commits the offset after `offset`: Kafka's committed offset names the next message to read. */
async function commit(payload: EachBatchPayload, topic: string, partition: number, offset: string): Promise<void> {
  const next = (BigInt(offset) + 1n).toString();
  await payload.commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset: next }] }] });
}

function count(stats: ConsumerStats, outcome: Outcome): void {
  if (outcome === 'handled') stats.handled += 1;
  else if (outcome === 'duplicate') stats.duplicates += 1;
  else if (outcome === 'skipped') stats.skipped += 1;
  else if (outcome === 'dead_lettered') stats.deadLettered += 1;
}

/** Keeps the group session alive while one slow handler runs longer than the session timeout. */
async function withHeartbeat<T>(heartbeat: () => Promise<void>, everyMs: number, log: Logger, work: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => {
    heartbeat().catch((err: unknown) => log.warn({ err }, 'heartbeat during a slow handler failed'));
  }, everyMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}


function acceptsTypes(types: readonly EventType[] | undefined): (event: LifecycleEvent) => boolean {
  if (types === undefined) return () => true;
  const wanted = new Set<string>(types);
  return (event) => wanted.has(event.type);
}
