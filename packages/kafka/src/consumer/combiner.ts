import { processChunk, type ChunkItem, type Outcome, type ProcessDeps } from './process-message.js';

export type ChunkDeps<DB> = Omit<ProcessDeps<DB>, 'keepGoing' | 'heartbeat'>;

/** Applies chunks; resolves null for a chunk that must be replayed message by message. */
export type ApplyChunk = (chunk: readonly ChunkItem[]) => Promise<Outcome[] | null>;

/**
 * Applies the chunks that partitions hand in together in ONE transaction, one transaction at a time.
 *
 * kafkajs hands the batches of one fetch to its partition workers in the same tick, and fetches again only
 * when every batch is done. Applied one transaction per partition, a fetch costs as many commits (and, where
 * partitions share rows, as many turns on the same locks) as it has partitions, and the last partition's
 * messages wait for all the others. Combined, a fetch costs one transaction, and the fast paths of one
 * instance's partitions never contend with each other. Chunks handed in while a transaction runs go together
 * in the next. (Only batches that find a free worker of the same fetcher, i.e. broker, combine; a partition's
 * next chunk usually arrives after its offset commit and goes in a later transaction.)
 *
 * Order holds: a partition hands in its next chunk only after its previous one resolved, and a chunk's
 * messages keep their order inside the combined one. When a combined transaction fails, each partition's
 * chunk is tried again on its own, so one poison message sends only its own partition to the slow path.
 */
export function createChunkCombiner<DB>(deps: ChunkDeps<DB>): ApplyChunk {
  let waiting: Pending[] = [];
  let scheduled = false;
  let running = false;

  const schedule = () => {
    if (scheduled || running || waiting.length === 0) return;
    scheduled = true;
    // setImmediate, not a microtask: the other partitions' handlers run in this tick but after some awaits.
    setImmediate(() => {
      scheduled = false;
      void flush();
    });
  };

  const flush = async () => {
    if (running) return;
    running = true;
    const group = waiting;
    waiting = [];
    try {
      await applyGroup(group, deps);
    } finally {
      running = false;
      schedule();
    }
  };

  return (chunk) =>
    new Promise<Outcome[] | null>((resolve, reject) => {
      waiting.push({ chunk, resolve, reject });
      schedule();
    });
}

interface Pending {
  chunk: readonly ChunkItem[];
  resolve: (outcomes: Outcome[] | null) => void;
  reject: (err: unknown) => void;
}

async function applyGroup<DB>(group: readonly Pending[], deps: ChunkDeps<DB>): Promise<void> {
  try {
    const outcomes = await processChunk(group.flatMap((p) => p.chunk), deps);
    if (outcomes !== null || group.length === 1) {
      let at = 0;
      for (const p of group) {
        p.resolve(outcomes === null ? null : outcomes.slice(at, (at += p.chunk.length)));
      }
      return;
    }
    for (const p of group) p.resolve(await processChunk(p.chunk, deps));
  } catch (err) {
    // processChunk reports failures as null; anything thrown is a bug that every waiting partition must see.
    for (const p of group) p.reject(err);
  }
}
