import { sql, type Kysely } from 'kysely';

export interface RetentionPolicy {
  /** Published outbox rows older than this are deleted (pending rows never are). */
  publishedDays: number;
  /**
   * Inbox rows older than this are deleted. Must exceed how long Kafka can redeliver to the same group:
   * an offset left uncommitted by a crash, within the topic's retention (7 days by default).
   */
  inboxDays: number;
  batchSize: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { publishedDays: 7, inboxDays: 14, batchSize: 5_000 };

/** Deletes expired outbox and inbox rows in bounded batches; returns how many of each it removed. */
export async function purgeMessaging(db: Kysely<any>, policy: RetentionPolicy = DEFAULT_RETENTION): Promise<{ outbox: number; inbox: number }> {
  const outbox = await purgeInBatches(db, policy.batchSize, (limit) => sql`
    DELETE FROM outbox WHERE id IN (
      SELECT id FROM outbox
      WHERE published_at IS NOT NULL AND published_at < now() - make_interval(days => ${policy.publishedDays})
      LIMIT ${limit})`);
  const inbox = await purgeInBatches(db, policy.batchSize, (limit) => sql`
    DELETE FROM inbox WHERE (consumer, event_id) IN (
      SELECT consumer, event_id FROM inbox
      WHERE processed_at < now() - make_interval(days => ${policy.inboxDays})
      LIMIT ${limit})`);
  return { outbox, inbox };
}

// Small batches keep each delete's locks and WAL short next to live traffic.
async function purgeInBatches(db: Kysely<any>, batchSize: number, statement: (limit: number) => ReturnType<typeof sql>): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await statement(batchSize).execute(db);
    const deleted = Number(result.numAffectedRows ?? 0);
    total += deleted;
    if (deleted < batchSize) return total;
  }
}
