import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';

/** Our handle on a Kafka cluster; services never see the kafkajs types behind it. */
export interface KafkaClient {
  readonly clientId: string;
  /** @internal the kafkajs instance; only this package touches it. */
  readonly kafka: Kafka;
  /** Resolves when the cluster answers a metadata request within `timeoutMs`. */
  ping(timeoutMs?: number): Promise<void>;
  /** Closes the connection ping keeps. */
  close(): Promise<void>;
}

export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
}

/** Creates a Kafka client whose internal logs go to the service's pino logger. */
export function createKafkaClient(opts: KafkaClientOptions): KafkaClient {
  const log = opts.logger.child({ component: 'kafka' });
  const kafka = new Kafka({
    clientId: opts.clientId,
    brokers: opts.brokers,
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => logEntry(log, entry),
    retry: { initialRetryTime: 200, retries: 8 },
  });
  // One admin connection for every probe: a fresh client per /readyz leaks sockets while Kafka is down,
  // because kafkajs keeps reconnecting in the background after the probe gave up. No retries: a probe
  // should say what is true now, and the next probe asks again.
  const admin = kafka.admin({ retry: { retries: 0 } });
  let connected: Promise<void> | undefined;
  return {
    clientId: opts.clientId,
    kafka,
    async ping(timeoutMs = 2_000) {
      connected ??= admin.connect().catch((err: unknown) => {
        connected = undefined;
        throw err;
      });
      await withTimeout(
        connected.then(() => admin.describeCluster()),
        timeoutMs,
        'kafka ping timed out',
      );
    },
    async close() {
      if (connected) await admin.disconnect();
      connected = undefined;
    },
  };
}

/*
 * kafkajs warns whenever an idempotent producer's retries are bounded. Ours are on purpose: the outbox relay
 * rolls back and retries the whole batch itself, and consumers dedupe through the inbox, whereas unbounded
 * retries would hold the relay's transaction open for as long as the broker is down.
 */
const EXPECTED_ADVISORY = 'Limiting retries for the idempotent producer may invalidate EoS guarantees';

function logEntry(log: Logger, { level, log: entry }: LogEntry): void {
  const { message, timestamp: _t, logger: _l, ...rest } = entry;
  if (message === EXPECTED_ADVISORY) log.debug(rest, message);
  else if (level === logLevel.ERROR || level === logLevel.NOTHING) log.error(rest, message);
  else if (level === logLevel.WARN) log.warn(rest, message);
  else if (level === logLevel.INFO) log.info(rest, message);
  else log.debug(rest, message);
}

/** Rejects with `message` if `promise` has not settled within `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
