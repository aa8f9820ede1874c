import { DEAD_LETTER_TOPIC, LIFECYCLE_TOPIC } from '@baton/contracts';
import { sleep } from './backoff.js';
import type { KafkaClient } from './client.js';

export interface TopicSpec {
  name: string;
  partitions: number;
  replicationFactor?: number;
}

/** The topics Baton runs on: the lifecycle topic and its dead letters. */
export function lifecycleTopics(partitions: number, replicationFactor = 1): TopicSpec[] {
  return [
    { name: LIFECYCLE_TOPIC, partitions, replicationFactor },
    // Dead letters are rare and inspected by hand: a few partitions suffice.
    { name: DEAD_LETTER_TOPIC, partitions: Math.min(partitions, 3), replicationFactor },
  ];
}

/** Creates the topics that do not exist yet (idempotent) and waits until every partition of each has a leader. */
export async function ensureTopics(client: KafkaClient, topics: TopicSpec[]): Promise<string[]> {
  const admin = client.kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.name));
    if (missing.length > 0) {
      // kafkajs's own waitForLeaders retries only LEADER_NOT_AVAILABLE, but a KRaft broker updates its metadata
      // cache after the create returns, so it may first answer UNKNOWN_TOPIC_OR_PARTITION: we wait ourselves.
      await admin.createTopics({
        waitForLeaders: false,
        topics: missing.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor: t.replicationFactor ?? 1,
        })),
      });
    }
    const names = topics.map((t) => t.name);
    await awaitLeaders(async () => (await admin.fetchTopicMetadata({ topics: names })).topics, names);
    return missing.map((t) => t.name);
  } finally {
    await admin.disconnect();
  }
}

/** What a metadata request says of a topic: its partitions and the broker leading each (-1 for none yet). */
export interface TopicLayout {
  name: string;
  partitions: Array<{ partitionId: number; leader: number }>;
}

/** The errors a metadata request gives while a new topic is still settling; any other error is real. */
const SETTLING = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_FOR_PARTITION']);

/** kafkajs wraps the last error in KafkaJSNumberOfRetriesExceeded (as its cause) once its own retries run out. */
function isSettling(err: unknown): boolean {
  const e = err as { type?: string; cause?: { type?: string } } | null;
  return SETTLING.has(e?.type ?? e?.cause?.type ?? '');
}

/**
 * Asks `describe` until each of `names` is known and every one of its partitions has a leader. Settling errors
 * mean ask again after `delayMs`; anything else, or `timeoutMs` passing, is thrown.
 */
export async function awaitLeaders(
  describe: () => Promise<TopicLayout[]>,
  names: readonly string[],
  { timeoutMs = 30_000, delayMs = 100 }: { timeoutMs?: number; delayMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let waitingOn: string[];
    try {
      const layouts = new Map((await describe()).map((t) => [t.name, t.partitions]));
      waitingOn = names.filter((name) => {
        const partitions = layouts.get(name);
        return !partitions || partitions.length === 0 || partitions.some((p) => p.leader < 0);
      });
    } catch (err) {
      if (!isSettling(err)) throw err;
      waitingOn = [...names];
    }
    if (waitingOn.length === 0) return;
    if (Date.now() >= deadline) throw new Error(`no leader for every partition of ${waitingOn.join(', ')} after ${timeoutMs} ms`);
    await sleep(delayMs);
  }
}

/** Deletes topics (tests clean up after themselves with it). */
export async function deleteTopics(client: KafkaClient, names: string[]): Promise<void> {
  const admin = client.kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const present = names.filter((n) => existing.has(n));
    if (present.length > 0) await admin.deleteTopics({ topics: present });
  } finally {
    await admin.disconnect();
  }
}
