import { sql, type Kysely } from 'kysely';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Outcome } from './consumer/process-message.js';

/** Prometheus instruments for the outbox relay and the consumers, wired through their callbacks. */
export interface MessagingMetrics {
  onPublished(count: number): void;
  onProcessed(outcome: Outcome, ctx: { topic: string }): void;
  onLag(lag: number, ctx: { topic: string; partition: number }): void;
}

/** Registers outbox backlog, publish, consume and lag metrics on the service's registry. */
export function createMessagingMetrics(registry: Registry, db: Kysely<any>): MessagingMetrics {
  const published = new Counter({ name: 'baton_outbox_published_total', help: 'Outbox events published to Kafka', registers: [registry] });
  const backlogErrors = new Counter({
    name: 'baton_outbox_backlog_errors_total',
    help: 'Scrapes that could not read the outbox backlog (the gauge then keeps its last value)',
    registers: [registry],
  });
  new Gauge({
    name: 'baton_outbox_backlog',
    help: 'Outbox events committed but not yet published',
    registers: [registry],
    async collect() {
      // A throwing collect fails the whole scrape, and with it the metrics that matter most while the
      // database is down; count the failure instead (readiness reports the outage).
      try {
        const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM outbox WHERE published_at IS NULL`.execute(db);
        this.set(Number(rows[0]?.n ?? 0));
      } catch {
        backlogErrors.inc();
      }
    },
  });
  const consumed = new Counter({
    name: 'baton_consumer_events_total',
    help: 'Events consumed, by outcome (handled, duplicate, dead_lettered)',
    labelNames: ['topic', 'outcome'],
    registers: [registry],
  });
  const lag = new Gauge({
    name: 'baton_consumer_lag',
    help: 'Messages behind the partition end after the last batch',
    labelNames: ['topic', 'partition'],
    registers: [registry],
  });
  return {
    onPublished: (count) => published.inc(count),
    onProcessed: (outcome, ctx) => consumed.inc({ topic: ctx.topic, outcome }),
    onLag: (value, ctx) => lag.set({ topic: ctx.topic, partition: String(ctx.partition) }, value),
  };
}
