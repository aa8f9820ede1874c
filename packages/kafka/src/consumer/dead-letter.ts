import type { Publisher } from '../publisher.js';

export interface DeadLetter {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
  consumer: string;
  errorCode: string;
  errorMessage: string;
}

/** Sends the original message, untouched, to the dead-letter topic with the failure in its headers. */
export async function sendToDeadLetter(publisher: Publisher, deadLetterTopic: string, dl: DeadLetter): Promise<void> {
  await publisher.publish([
    {
      topic: deadLetterTopic,
      key: dl.key === null ? null : dl.key.toString('utf8'),
      value: dl.value,
      headers: {
        ...dl.headers,
        'x-error-code': dl.errorCode,
        // Bounded: an error message can embed a whole payload.
        'x-error-message': dl.errorMessage.slice(0, 2_000),
        'x-original-topic': dl.topic,
        'x-original-partition': String(dl.partition),
        'x-original-offset': dl.offset,
        'x-consumer': dl.consumer,
        'x-failed-at': new Date().toISOString(),
      },
    },
  ]);
}

/** Kafka header values arrive as Buffers (or arrays of them); flattens them to strings. */
export function headersToStrings(headers: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined || value === null) continue;
    out[name] = Array.isArray(value) ? value.map(String).join(',') : String(value);
  }
  return out;
}
