import { decodeEvent, type LifecycleEvent } from '@baton/contracts';
import type { Kysely, Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Publisher } from '../publisher.js';
import { backoffMs, sleep } from '../backoff.js';
import { headersToStrings, sendToDeadLetter } from './dead-letter.js';
import { errorCode, isPermanentError } from './errors.js';
import { recordInInbox, recordManyInInbox } from './inbox.js';

export interface MessageContext {
  topic: string;
  partition: number;
  offset: string;
}

/** What a service implements: the effect of one event, inside the transaction that records it in the inbox. */
export type EventHandler<DB> = (event: LifecycleEvent, trx: Transaction<DB>, ctx: MessageContext) => Promise<void>;

/**
 * Runs once at the end of each transaction in which the handler ran, before it commits: a handler may defer
 * per-event writes and make them here in a few multi-row statements. Throwing rolls the transaction back
 * like a handler error.
 */
export type BeforeCommit<DB> = (trx: Transaction<DB>) => Promise<void>;

/** `skipped`: an event type this consumer does not handle; it needs no inbox row, as it has no effect. */
export type Outcome = 'handled' | 'duplicate' | 'skipped' | 'dead_lettered' | 'aborted';

export interface RawMessage {
  key: Buffer | null;
  value: Buffer | null;
  offset: string;
  headers?: Record<string, unknown>;
}

export interface ProcessDeps<DB> {
  db: Kysely<DB>;
  handle: EventHandler<DB>;
  beforeCommit?: BeforeCommit<DB> | undefined;
  /** Whether the handler cares about this event at all (e.g. not the service's own events). */
  accepts: (event: LifecycleEvent) => boolean;
  publisher: Publisher;
  deadLetterTopic: string;
  consumer: string;
  logger: Logger;
  retry: { baseMs: number; maxMs: number };
  /** False once the consumer stops or the partition is revoked: stop retrying, do not commit. */
  keepGoing: () => boolean;
  heartbeat: () => Promise<void>;
}

/**
 * Processes one message to a final outcome. Poison messages (undecodable, or a permanent handler error)
 * are dead-lettered; transient errors are retried with backoff until they pass or the consumer stops.
 */
export async function processMessage<DB>(message: RawMessage, ctx: MessageContext, deps: ProcessDeps<DB>): Promise<Outcome> {
  const decoded = decodeEvent(message.value);
  if (!decoded.ok) {
    return deadLetter(message, ctx, deps, decoded.error.code, describeIssues(decoded.error.message, decoded.error.issues));
  }
  const event = decoded.event;
  if (!deps.accepts(event)) return 'skipped';
  for (let attempt = 1; ; attempt++) {
    try {
      return await applyOnce(event, ctx, deps);
    } catch (err) {
      if (isPermanentError(err)) {
        deps.logger.error({ err, eventId: event.id, type: event.type, ...ctx }, 'permanent handler error; dead-lettering');
        return deadLetter(message, ctx, deps, errorCode(err), err instanceof Error ? err.message : String(err));
      }
      deps.logger.warn({ err, attempt, eventId: event.id, type: event.type, ...ctx }, 'transient handler error; retrying');
      if (!(await pause(backoffMs(attempt, deps.retry.baseMs, deps.retry.maxMs), deps))) return 'aborted';
    }
  }
}

export interface ChunkItem {
  message: RawMessage;
  ctx: MessageContext;
}

/**
 * Applies several messages in ONE transaction (one commit, one fsync) — the fast path. Returns null when
 * anything in the chunk throws: the transaction rolled back and the caller replays the chunk one message
 * at a time through processMessage, which retries, dead-letters and keeps order precisely.
 */
export async function processChunk<DB>(
  items: readonly ChunkItem[],
  deps: Omit<ProcessDeps<DB>, 'keepGoing' | 'heartbeat'>,
): Promise<Outcome[] | null> {
  const events: LifecycleEvent[] = [];
  for (const item of items) {
    const decoded = decodeEvent(item.message.value);
    // Poison takes the slow path, which dead-letters it without holding up its neighbours' effects.
    if (!decoded.ok) return null;
    events.push(decoded.event);
  }
  const wanted = events.map((event, i) => ({ event, ctx: items[i]!.ctx })).filter((w) => deps.accepts(w.event));
  if (wanted.length === 0) return events.map(() => 'skipped' as const);
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const fresh = await recordManyInInbox(
        trx as Transaction<any>,
        wanted.map((w) => ({ consumer: deps.consumer, event: w.event, ...w.ctx })),
      );
      const outcomes: Outcome[] = [];
      for (const [i, event] of events.entries()) {
        if (!deps.accepts(event)) outcomes.push('skipped');
        // delete: a copy of the same event later in this chunk is a duplicate, not a second effect.
        else if (fresh.delete(event.id)) {
          await deps.handle(event, trx, items[i]!.ctx);
          outcomes.push('handled');
        } else outcomes.push('duplicate');
      }
      if (outcomes.includes('handled')) await deps.beforeCommit?.(trx);
      return outcomes;
    });
  } catch (err) {
    deps.logger.debug({ err, size: items.length }, 'chunk failed; replaying it message by message');
    return null;
  }
}

async function applyOnce<DB>(event: LifecycleEvent, ctx: MessageContext, deps: ProcessDeps<DB>): Promise<Outcome> {
  return deps.db.transaction().execute(async (trx) => {
    const fresh = await recordInInbox(trx as Transaction<any>, { consumer: deps.consumer, event, ...ctx });
    if (!fresh) return 'duplicate' as const;
    await deps.handle(event, trx, ctx);
    await deps.beforeCommit?.(trx);
    return 'handled' as const;
  });
}

async function deadLetter<DB>(
  message: RawMessage,
  ctx: MessageContext,
  deps: ProcessDeps<DB>,
  code: string,
  detail: string,
): Promise<Outcome> {
  for (let attempt = 1; ; attempt++) {
    try {
      await sendToDeadLetter(deps.publisher, deps.deadLetterTopic, {
        ...ctx,
        key: message.key,
        value: message.value,
        headers: headersToStrings(message.headers),
        consumer: deps.consumer,
        errorCode: code,
        errorMessage: detail,
      });
      deps.logger.warn({ ...ctx, errorCode: code }, 'message dead-lettered');
      return 'dead_lettered';
    } catch (err) {
      // Moving on without the dead letter would lose the message: retry like any transient error.
      deps.logger.error({ err, attempt, ...ctx }, 'dead-letter publish failed; retrying');
      if (!(await pause(backoffMs(attempt, deps.retry.baseMs, deps.retry.maxMs), deps))) return 'aborted';
    }
  }
}

/** Waits `ms` while keeping the group membership alive; false when the consumer should stop instead. */
async function pause(ms: number, deps: Pick<ProcessDeps<unknown>, 'keepGoing' | 'heartbeat'>): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!deps.keepGoing()) return false;
    // A failed heartbeat (rebalance) propagates: kafkajs rejoins and the uncommitted message comes back.
    await deps.heartbeat();
    await sleep(Math.min(500, until - Date.now()));
  }
  return deps.keepGoing();
}

function describeIssues(message: string, issues: ReadonlyArray<{ path: string; message: string }>): string {
  if (issues.length === 0) return message;
  return `${message}: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`;
}
