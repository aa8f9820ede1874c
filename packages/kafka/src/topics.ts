import { DEAD_LETTER_TOPIC, LIFECYCLE_TOPIC } from '@baton/contracts';
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

/** Creates the topics that do not exist yet (idempotent) and waits for their leaders. */
export async function ensureTopics(client: KafkaClient, topics: TopicSpec[]): Promise<string[]> {
  const admin = client.kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.name));
    if (missing.length === 0) return [];
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((t) => ({
        topic: t.name,
        numPartitions: t.partitions,
        replicationFactor: t.replicationFactor ?? 1,
      })),
    });
    return missing.map((t) => t.name);
  } finally {
    await admin.disconnect();
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
