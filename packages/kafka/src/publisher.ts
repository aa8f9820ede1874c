import { CompressionTypes, Partitioners, type Producer } from 'kafkajs';
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
export function createPublisher(client: KafkaClient, opts: { compression?: boolean } = {}): Publisher {
  const producer: Producer = client.kafka.producer({
    idempotent: true,
    // The idempotent producer only guarantees order with a single request in flight.
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    // Java-compatible murmur2 partitioning, so other clients agree on a lead's partition.
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  return {
    connect: () => producer.connect(),
    disconnect: () => producer.disconnect(),
    async publish(messages) {
      if (messages.length === 0) return;
      const byTopic = new Map<string, OutgoingMessage[]>();
      for (const m of messages) {
        const list = byTopic.get(m.topic) ?? [];
        list.push(m);
        byTopic.set(m.topic, list);
      }
      await producer.sendBatch({
        acks: -1,
        compression: opts.compression ? CompressionTypes.GZIP : CompressionTypes.None,
        topicMessages: [...byTopic].map(([topic, list]) => ({
          topic,
          messages: list.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
        })),
      });
    },
  };
}
