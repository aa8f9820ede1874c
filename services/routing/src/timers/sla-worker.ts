import type { Logger } from '@baton/kit';
import { DelayedError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Timer } from '../domain/assignment.js';
import type { FireResult } from '../use-cases/fire-timer.js';
import type { SlaTimers, TimerJob } from './sla-timers.js';

/** What the worker needs: where the queue is, how to fire a timer, how to schedule the next one. */
export type SlaWorkerOptions = {
  connection: Redis;
  name: string;
  prefix: string;
  concurrency: number;
  clock: () => Date;
  logger: Logger;
  fire: (timer: Omit<Timer, 'dueAt'>) => Promise<FireResult>;
  timers: Pick<SlaTimers, 'schedule'>;
};

/** Starts the BullMQ worker that fires SLA timers; close it (worker.close()) on SIGTERM. */
export function startSlaWorker(opts: SlaWorkerOptions): Worker<TimerJob> {
  const log = opts.logger.child({ component: 'sla-worker' });
  const worker = new Worker<TimerJob>(
    opts.name,
    async (job, token) => {
      const { leadId, kind, step, version } = job.data;
      const result = await opts.fire({ leadId, kind, step, version });
      if (result.outcome === 'early') {
        // Woken before the deadline Postgres holds (clocks disagree): sleep again until then.
        await job.moveToDelayed(Date.now() + Math.max(0, result.dueAt.getTime() - opts.clock().getTime()), token);
        throw new DelayedError();
      }
      if (result.next === null) return;
      // The step has committed; failing the job now would only make its retry find itself stale. A next timer
      // that could not be added is re-added by the sweep once it is late.
      await opts.timers.schedule([result.next]).catch((err: unknown) => log.warn({ err, leadId }, 'scheduling the next SLA timer failed'));
    },
    { connection: opts.connection, prefix: opts.prefix, concurrency: opts.concurrency },
  );
  worker.on('failed', (job, err) => log.warn({ err, jobId: job?.id, attempts: job?.attemptsMade }, 'SLA timer failed'));
  // Connection trouble: ioredis reconnects by itself; without a listener Node would print an unhandled 'error'.
  worker.on('error', (err) => log.warn({ err }, 'SLA worker error'));
  return worker;
}
