import { Partitioners, type Producer } from 'kafkajs';
import type { KafkaClient } from './client.js';

export interface OutgoingMessage {
  topic: string;
  key: string | null;
  value: string | Buffer | null;
  headers?: Record<string, string>;
}

/** Publishes messages with an idempotent, acks=all producer. */
export interface Publisher {
  connect(): Promise<void>;
  /** Sends all messages; resolves once every in-sync replica has them. Order is kept per partition. */
  publish(messages: OutgoingMessage[]): Promise<void>;
  disconnect(): Promise<void>;
}

/** Creates a publisher; call `connect()` before the first `publish`. */
export function createPublisher(client: KafkaClient): Publisher {
  const create = (): Producer =>
    client.kafka.producer({
      idempotent: true,
      // The idempotent producer only guarantees order with a single request in flight.
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // Java-compatible murmur2 partitioning, so other clients agree on a lead's partition.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  let producer = create();
  let broken = false;

  /*
   * After a failed send kafkajs rolls its sequence numbers back but keeps the producer id, so if the broker
   * did write the batch the next send is refused (OUT_OF_ORDER_SEQUENCE_NUMBER) or silently taken as a
   * duplicate. A fresh producer id makes the retry an honest resend; consumers dedupe it through the inbox.
   */
  async function replaceIfBroken(): Promise<void> {
    if (!broken) return;
    const old = producer;
    producer = create();
    broken = false;
    await old.disconnect().catch(() => undefined); // the old producer is already failing; its fate does not matter
    await producer.connect();
  }

  return {
    connect: () => producer.connect(),
    disconnect: () => producer.disconnect(),
    async publish(messages) {
      if (messages.length === 0) return;
      await replaceIfBroken();
      const byTopic = new Map<string, OutgoingMessage[]>();
      for (const m of messages) {
        const list = byTopic.get(m.topic) ?? [];
        list.push(m);
        byTopic.set(m.topic, list);
      }
      try {
        await producer.sendBatch({
          acks: -1,
          topicMessages: [...byTopic].map(([topic, list]) => ({
            topic,
            messages: list.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
          })),
        });
      } catch (err) {
        broken = true;
        throw err;
      }
    },
  };
}
