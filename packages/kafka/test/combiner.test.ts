import type { LifecycleEvent } from '@baton/contracts';
import { testEnv, uniqueName } from '@baton/testing';
import { sql, type Transaction } from 'kysely';
import { createChunkCombiner, type ChunkDeps } from '../src/consumer/combiner.js';
import type { ChunkItem, EventHandler } from '../src/consumer/process-message.js';
import { createKafkaClient, createPublisher } from '../src/index.js';
import { capturedEvent, createTestSchema, silentLogger } from './support.js';

// Chunks that partitions hand in together are applied in one transaction; a failure is isolated to the
// partition whose chunk caused it.

const env = testEnv();
const schema = uniqueName('combiner');
const publisher = createPublisher(createKafkaClient({ brokers: env.kafkaBrokers, clientId: schema, logger: silentLogger }));
let store: Awaited<ReturnType<typeof createTestSchema>>;

beforeAll(async () => {
  store = await createTestSchema(env.databaseUrl, schema);
});

afterAll(async () => {
  await store.drop();
});

/** A handler that records, per event, the id of the transaction that applied it. */
function recordingHandler(opts: { failOn?: Set<string>; before?: () => Promise<void> } = {}): EventHandler<any> {
  return async (event, trx) => {
    await opts.before?.();
    if (opts.failOn?.has(event.id)) throw new Error('connection terminated unexpectedly');
    await sql`INSERT INTO effects (event_id, subject) VALUES (${event.id}::uuid, txid_current()::text)`.execute(trx);
  };
}

function deps(handle: EventHandler<any>, beforeCommit?: (trx: Transaction<any>) => Promise<void>): ChunkDeps<any> {
  return {
    db: store.db, handle, beforeCommit, accepts: () => true, publisher, deadLetterTopic: 'unused', consumer: uniqueName('consumer'),
    logger: silentLogger, retry: { baseMs: 10, maxMs: 10 },
  };
}

function chunkOf(partition: number, size: number): { events: LifecycleEvent[]; chunk: ChunkItem[] } {
  const events = Array.from({ length: size }, () => capturedEvent());
  const chunk = events.map((event, i) => ({
    message: { key: Buffer.from(event.subject), value: Buffer.from(JSON.stringify(event)), offset: String(i) },
    ctx: { topic: 'combiner', partition, offset: String(i) },
  }));
  return { events, chunk };
}

async function transactionsOf(events: readonly LifecycleEvent[]): Promise<string[]> {
  const { rows } = await sql<{ subject: string }>`SELECT subject FROM effects WHERE event_id = ANY(${events.map((e) => e.id)}::uuid[])`.execute(store.db);
  return rows.map((r) => r.subject);
}

test('given chunks of three partitions handed in together, when applied, then they commit in one transaction and each gets its own outcomes', async () => {
  let hooks = 0;
  const apply = createChunkCombiner(deps(recordingHandler(), async () => void (hooks += 1)));
  const parts = [chunkOf(0, 3), chunkOf(1, 1), chunkOf(2, 2)];

  const outcomes = await Promise.all(parts.map((p) => apply(p.chunk)));

  expect(outcomes).toEqual([['handled', 'handled', 'handled'], ['handled'], ['handled', 'handled']]);
  const txids = await transactionsOf(parts.flatMap((p) => p.events));
  expect(txids).toHaveLength(6);
  expect(new Set(txids).size).toBe(1);
  expect(hooks).toBe(1);
});

test('given a chunk handed in while a transaction runs, when that one commits, then the waiting chunks go together in the next', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let calls = 0;
  // Only the very first event waits, holding the first transaction open.
  const apply = createChunkCombiner(deps(recordingHandler({ before: () => (calls++ === 0 ? gate : Promise.resolve()) })));
  const [first, second, third] = [chunkOf(0, 1), chunkOf(1, 2), chunkOf(2, 2)];
  try {
    const firstDone = apply(first.chunk);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const laterDone = Promise.all([apply(second.chunk), apply(third.chunk)]);
    release();
    await firstDone;
    await laterDone;
  } finally {
    release();
  }

  const [firstTx] = await transactionsOf(first.events);
  const laterTx = await transactionsOf([...second.events, ...third.events]);
  expect(new Set(laterTx).size).toBe(1);
  expect(laterTx[0]).not.toBe(firstTx);
});

test('given one partition chunk that fails, when applied together, then the others still commit once and only the failing chunk is sent back', async () => {
  const [healthy, poisoned, alsoHealthy] = [chunkOf(0, 2), chunkOf(1, 2), chunkOf(2, 2)];
  const apply = createChunkCombiner(deps(recordingHandler({ failOn: new Set([poisoned.events[1]!.id]) })));

  const outcomes = await Promise.all([healthy, poisoned, alsoHealthy].map((p) => apply(p.chunk)));

  expect(outcomes).toEqual([['handled', 'handled'], null, ['handled', 'handled']]);
  for (const event of [...healthy.events, ...alsoHealthy.events]) expect(await store.effectsOf(event.id)).toBe(1);
  // The failed chunk's first event was rolled back with it: the slow path will apply it.
  for (const event of poisoned.events) expect(await store.effectsOf(event.id)).toBe(0);
});
