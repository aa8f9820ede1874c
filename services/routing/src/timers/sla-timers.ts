import { startPeriodic, type Logger, type ShutdownStep } from '@baton/kit';
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { pendingTimers } from '../db/assignment.repository.js';
import type { Database } from '../db/schema.js';
import { timerJobId, type Timer } from '../domain/assignment.js';
import type { SlaKind } from '../domain/types.js';

// SLA deadlines live in Postgres (assignments.sla_*); BullMQ delayed jobs only wake routing up when one is due.
// Losing Redis therefore loses no deadline: start-up re-adds every pending timer, and a periodic sweep re-adds
// any that should have fired a while ago, which also repairs a Redis flush while the service keeps running.

/** A timer as a BullMQ job carries it. */
export type TimerJob = { leadId: string; kind: SlaKind; step: number; version: number; dueAt: string };

/** Schedules SLA timers on the BullMQ queue; scheduling one twice is a no-op. */
export type SlaTimers = { queue: Queue<TimerJob>; schedule(timers: readonly Timer[]): Promise<void>; close(): Promise<void> };

/** The job payload of a timer. */
export function toJob(timer: Timer): TimerJob {
  return { leadId: timer.leadId, kind: timer.kind, step: timer.step, version: timer.version, dueAt: timer.dueAt.toISOString() };
}

function jobOptions(timer: Timer, now: Date): JobsOptions {
  return {
    jobId: timerJobId(timer),
    // Relative to the injected clock, so a test clock and BullMQ's wall clock agree on "how long from now".
    delay: Math.max(0, timer.dueAt.getTime() - now.getTime()),
    // Gone once done: the deterministic id must be free again for a rebuild. Failed jobs go too; the sweep
    // re-adds whatever Postgres still says is pending.
    removeOnComplete: true,
    removeOnFail: true,
    attempts: 5,
    backoff: { type: 'exponential', delay: 1_000 },
  };
}

/** Opens the SLA timer queue (`connection` must have maxRetriesPerRequest: null). */
export function createSlaTimers(opts: { connection: Redis; name: string; prefix: string; clock: () => Date }): SlaTimers {
  const queue = new Queue<TimerJob>(opts.name, { connection: opts.connection, prefix: opts.prefix });
  return {
    queue,
    async schedule(timers) {
      if (timers.length === 0) return;
      const now = opts.clock();
      await queue.addBulk(timers.map((timer) => ({ name: 'sla', data: toJob(timer), opts: jobOptions(timer, now) })));
    },
    close: () => queue.close(),
  };
}

/** Re-adds pending timers from Postgres (all, or only those due before `dueBefore`); resolves to how many. */
export async function rebuildTimers(db: Kysely<Database>, timers: Pick<SlaTimers, 'schedule'>, opts: { dueBefore?: Date; pageSize?: number } = {}): Promise<number> {
  const limit = opts.pageSize ?? 1_000;
  let after: { dueAt: Date; leadId: string } | undefined;
  let total = 0;
  for (;;) {
    const page = await pendingTimers(db, { limit, ...(opts.dueBefore ? { dueBefore: opts.dueBefore } : {}), ...(after ? { after } : {}) });
    await timers.schedule(page);
    total += page.length;
    const last = page.at(-1);
    if (!last || page.length < limit) return total;
    after = { dueAt: last.dueAt, leadId: last.leadId };
  }
}

/** Every `intervalMs`, re-adds timers overdue by more than `graceMs`: the ones Redis lost. Returns its shutdown step. */
export function startTimerSweep(opts: {
  db: Kysely<Database>;
  timers: Pick<SlaTimers, 'schedule'>;
  clock: () => Date;
  intervalMs: number;
  graceMs: number;
  logger: Logger;
}): ShutdownStep {
  return startPeriodic({
    name: 'sla-timer-sweep',
    intervalMs: opts.intervalMs,
    task: async () => {
      const count = await rebuildTimers(opts.db, opts.timers, { dueBefore: new Date(opts.clock().getTime() - opts.graceMs) });
      if (count > 0) opts.logger.warn({ count }, 'late SLA timers re-added');
    },
    logger: opts.logger,
    failureMessage: 'SLA timer sweep failed',
  });
}

/** Collects timers for a few milliseconds and adds them in one addBulk; close() flushes what is left. */
export type TimerBatcher = { add(timers: readonly Timer[]): void; close(): Promise<void> };

/**
 * The consumer sets one claim timer per lead: at hundreds of leads a second, one Redis round trip per lead is
 * needless work for the event loop. A batch that fails to go out is logged; the timers are rebuilt from
 * Postgres by the sweep like any lost timer.
 */
export function batchTimers(schedule: SlaTimers['schedule'], logger: Logger, opts: { maxDelayMs?: number; maxBatch?: number } = {}): TimerBatcher {
  const maxDelayMs = opts.maxDelayMs ?? 10;
  const maxBatch = opts.maxBatch ?? 500;
  let buffer: Timer[] = [];
  let timer: NodeJS.Timeout | undefined;
  const inFlight = new Set<Promise<void>>();
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    const batch = buffer;
    buffer = [];
    if (batch.length === 0) return;
    const sent: Promise<void> = schedule(batch)
      .catch((err: unknown) => logger.warn({ err, timers: batch.length }, 'scheduling SLA timers failed; the sweep will re-add them'))
      .finally(() => inFlight.delete(sent));
    inFlight.add(sent);
  };
  return {
    add(timers) {
      buffer.push(...timers);
      if (buffer.length >= maxBatch) flush();
      else timer ??= setTimeout(flush, maxDelayMs);
    },
    async close() {
      flush();
      await Promise.all(inFlight);
    },
  };
}
