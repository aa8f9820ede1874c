// Capture-to-assigned latency through the real pipeline: lead.captured committed to a capture outbox → relay →
// Kafka → routing consumer (rules, weighted rotation under the queue lock, SLA timer on BullMQ) → lead.assigned
// committed to routing's outbox.
//
// What is measured, exactly: from the commit of the capture transaction (the moment capture would answer its
// HTTP caller) to the commit of the routing transaction that assigned the lead (the consumer's after-commit
// hook; the relay then publishes lead.assigned). The HTTP hop into capture is not part of it: capture's own
// bench measures that. The capture side is capture's own write path (new leads of concurrent captures share
// one statement and commit) plus the outbox relay,
// in a child process as it would run in its own service, sharing the machine's cores with routing as it would
// in production on one box; routing runs in this process exactly as startRouting starts it, with its own
// relay. `stages` splits each lead's time: capture commit → Kafka ack of the relay's publish (relayMs), → the
// routing handler sees it (kafkaToConsumerMs: broker, fetch and the consumer's queue), → routing commit.
// Ends by checking that every lead has exactly one assignment.
// Usage: pnpm bench routing [--rate 500] [--seconds 20] [--partitions 6] [--members 5] [--concurrency N] [--chunk N]
// (--concurrency and --chunk override ROUTING_CONSUMER_CONCURRENCY / _CHUNK_SIZE; by default the service's defaults.)
import { createEvent, exampleEvents } from '@baton/contracts';
import { createKafkaClient, createOutboxRelay, createPublisher, deleteTopics, ensureTopics, type ConsumerOptions, type MessageContext, type Publisher } from '@baton/kafka';
import { closeRedis, createDatabase, createIdentity, createLogger, createMetrics, createRedis, loadConfig, migrateToLatest, startMessaging, type Messaging } from '@baton/kit';
import { sql, type Kysely } from 'kysely';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { configSchema } from '../../services/routing/src/config.js';
import { insertMember } from '../../services/routing/src/db/member.repository.js';
import { migrations } from '../../services/routing/src/db/migrations/index.js';
import { insertQueue } from '../../services/routing/src/db/queue.repository.js';
import { insertRule } from '../../services/routing/src/db/rule.repository.js';
import type { Database } from '../../services/routing/src/db/schema.js';
import { startRouting } from '../../services/routing/src/routing.js';
import { migrations as captureMigrations } from '../../services/capture/src/db/migrations/index.js';
import { createNewLeadBatcher } from '../../services/capture/src/db/new-lead-batcher.js';
import { option, round, summarize } from './stats.js';

type CaptureJob = { databaseUrl: string; brokers: string[]; schema: string; topic: string; tenantId: string };
type ToCapture = { run: { count: number; perSecond: number } } | { stop: true };
type FromCapture = { ready: true } | { committed: Array<[string, number]>; published: Array<[string, number]> } | { done: { issueLagMs: number } } | { stopped: true };

// Epoch milliseconds with sub-millisecond precision, comparable between the two processes.
const now = () => performance.timeOrigin + performance.now();

/** The capture service's part: commits lead.captured at a fixed rate and relays its outbox to Kafka. */
async function captureService(job: CaptureJob): Promise<void> {
  const logger = createLogger({ name: 'bench-capture', level: 'warn' });
  const db = createDatabase<any>({ url: job.databaseUrl, schema: job.schema, max: 16 });
  // The capture service's own schema and write path: leads of concurrent captures share a statement and a
  // commit (services/capture new-lead-batcher), as POST /v1/leads does without an Idempotency-Key.
  await migrateToLatest(db.db, { schema: job.schema, migrations: captureMigrations });
  const newLeads = createNewLeadBatcher(db.db);
  const publisher = createPublisher(createKafkaClient({ brokers: job.brokers, clientId: job.schema, logger }));
  await publisher.connect();
  let committed: Array<[string, number]> = [];
  let published: Array<[string, number]> = [];
  // When the broker acknowledged each lead's event (messages are keyed by lead id): the relay's share.
  const observedPublisher: Publisher = {
    ...publisher,
    publish: async (messages) => {
      await publisher.publish(messages);
      const at = now();
      for (const message of messages) if (message.key !== null) published.push([message.key, at]);
    },
  };
  const relay = createOutboxRelay({ pool: db.pool, publisher: observedPublisher, logger, schema: job.schema });
  await relay.start();
  const post = (message: FromCapture) => process.send!(message);
  const report = setInterval(() => {
    if (committed.length + published.length === 0) return;
    post({ committed, published });
    [committed, published] = [[], []];
  }, 20);
  const captureOne = async () => {
    // A contact no other lead of the run has, so nothing merges.
    const email = `${randomUUID()}@bench.example`;
    const data = { ...exampleEvents['lead.captured'], contact: { email }, capturedAt: new Date().toISOString() };
    const event = createEvent({ type: 'lead.captured', source: 'baton.capture', subject: randomUUID(), tenantid: job.tenantId, data });
    const outcome = await newLeads.write({ lockKeys: [`${job.tenantId}:email:${email}`], since: new Date(Date.now() - 30 * 86_400_000), eventJson: JSON.stringify(event), topic: job.topic });
    if (outcome !== 'created') throw new Error(`bench lead ${event.subject} was not created (${outcome})`);
    committed.push([event.subject, now()]);
  };
  process.on('message', async (message: ToCapture) => {
    if ('run' in message) return post({ done: await fixedRate(captureOne, message.run.count, message.run.perSecond) });
    clearInterval(report);
    await relay.stop();
    await publisher.disconnect();
    await sql`DROP SCHEMA ${sql.id(job.schema)} CASCADE`.execute(db.db);
    await db.close();
    post({ stopped: true });
  });
  post({ ready: true });
}

async function fixedRate(one: () => Promise<void>, count: number, perSecond: number): Promise<{ issueLagMs: number }> {
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  let worstLag = 0;
  for (let i = 0; i < count; i++) {
    const due = start + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    worstLag = Math.max(worstLag, performance.now() - due);
    inFlight.push(one());
  }
  await Promise.all(inFlight);
  return { issueLagMs: round(worstLag) };
}

// ---- routing's side (this process) ----

const committedAt = new Map<string, number>();
// When the capture relay had lead.captured acknowledged by Kafka.
const publishedAt = new Map<string, number>();
// When routing's handler first saw the lead (the split between "getting there" and "being routed").
const receivedAt = new Map<string, number>();
const assignedAt = new Map<string, number>();
// Where the consumer's time goes: inside routing's handler and its before-commit step (the batch of
// assignments), which together are routing's work per lead apart from the inbox insert and the commit; per
// transaction, how many leads it carried, its before-commit step, and from there to the after-commit hook
// (COMMIT itself). Per-transaction figures are exact with --concurrency 1 only (transactions interleave).
const routingMs = { total: 0 };
const transactions = { leads: [] as number[], batchMs: [] as number[], commitMs: [] as number[], pendingLeads: 0, batchEnd: undefined as number | undefined };

// Reps with weights 1,1,2,2,3 (always available, no caps), three rules that never match, a default queue:
// every lead walks the rules, the rotation and the queue lock.
async function configure(db: Kysely<Database>, tenantId: string, memberCount: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < memberCount; i++) {
    const member = { name: `Rep ${i}`, role: 'rep' as const, timeZone: 'UTC', workingHours: null, outOfOffice: [], weight: [1, 1, 2, 2, 3][i % 5]!, maxOpen: null, maxPerDay: null, active: true };
    ids.push((await insertMember(db, tenantId, randomUUID(), member)).id);
  }
  const queue = await db.transaction().execute((trx) =>
    insertQueue(trx, tenantId, randomUUID(), { name: 'Inbound', memberIds: ids, fallbackMemberId: ids[0]!, claimSlaSeconds: 300, firstTouchSlaSeconds: null, businessHoursOnly: false, ignoreWorkingHours: false, isDefault: true, escalation: { claim: [], firstTouch: [] } }),
  );
  for (const [i, country] of ['FR', 'JP', 'BR'].entries()) {
    await insertRule(db, tenantId, randomUUID(), { name: `country ${country}`, position: i, queueId: queue.id, match: { country: [country] }, active: true });
  }
  return ids;
}

// Observes the routing consumer without changing it: which lead each message was, and when its transaction committed.
function observed(messaging: Messaging): Messaging {
  const key = (ctx: MessageContext) => `${ctx.topic}/${ctx.partition}/${ctx.offset}`;
  const leads = new Map<string, string>();
  return {
    ...messaging,
    consume: <DB>(opts: Omit<ConsumerOptions<DB>, 'client' | 'publisher' | 'onLag'>) =>
      messaging.consume<DB>({
        ...opts,
        handle: async (event, trx, ctx) => {
          const started = performance.now();
          if (event.type === 'lead.captured' && !receivedAt.has(event.subject)) receivedAt.set(event.subject, now());
          await opts.handle(event, trx, ctx);
          routingMs.total += performance.now() - started;
          if (event.type === 'lead.captured') leads.set(key(ctx), event.subject);
          transactions.pendingLeads += 1;
        },
        beforeCommit: async (trx) => {
          const started = performance.now();
          await opts.beforeCommit?.(trx);
          const ended = performance.now();
          routingMs.total += ended - started;
          transactions.leads.push(transactions.pendingLeads);
          transactions.batchMs.push(ended - started);
          transactions.pendingLeads = 0;
          transactions.batchEnd = ended;
        },
        onProcessed: async (outcome, ctx) => {
          if (transactions.batchEnd !== undefined) transactions.commitMs.push(performance.now() - transactions.batchEnd);
          transactions.batchEnd = undefined;
          await opts.onProcessed?.(outcome, ctx);
          const lead = leads.get(key(ctx));
          leads.delete(key(ctx));
          if (lead !== undefined && outcome === 'handled') assignedAt.set(lead, now());
        },
      }),
  };
}

async function waitAssigned(target: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (assignedAt.size < target && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
}

async function verify(db: Kysely<Database>, expected: number, memberIds: string[]) {
  const { rows } = await sql<{ assignments: string; events: string; doubled: string; outbox: string }>`
    SELECT (SELECT count(*) FROM assignments WHERE state = 'assigned') AS assignments,
           (SELECT count(*) FROM routing_history WHERE type = 'lead.assigned') AS events,
           (SELECT count(*) FROM (SELECT lead_id FROM routing_history WHERE type = 'lead.assigned' GROUP BY lead_id HAVING count(*) > 1) d) AS doubled,
           (SELECT count(*) FROM outbox WHERE event_type = 'lead.assigned') AS outbox`.execute(db);
  const row = rows[0]!;
  const perMember = await db.selectFrom('assignments').select(({ fn }) => ['member_id', fn.countAll<string>().as('n')]).groupBy('member_id').execute();
  return {
    leads: expected,
    unassigned: expected - Number(row.assignments),
    doubleAssigned: Number(row.doubled) + Math.max(0, Number(row.events) - expected),
    assignedEventsInOutbox: Number(row.outbox),
    perMember: memberIds.map((m) => Number(perMember.find((r) => r.member_id === m)?.n ?? 0)),
  };
}

/** Talks to the capture process: run a phase, collect commit times, stop. A process that dies fails the run. */
function captureProcess(job: CaptureJob) {
  const worker = fork(fileURLToPath(import.meta.url), [], { env: { ...process.env, BENCH_CAPTURE_JOB: JSON.stringify(job) }, execArgv: ['--import', 'tsx'] });
  const waiters = new Map<string, { resolve: (message: FromCapture) => void; reject: (err: unknown) => void }>();
  let failure: unknown;
  const fail = (err: unknown) => {
    failure = err;
    for (const waiter of waiters.values()) waiter.reject(err);
  };
  worker.on('message', (message: FromCapture) => {
    if ('committed' in message) {
      for (const [lead, at] of message.committed) committedAt.set(lead, at);
      for (const [lead, at] of message.published) if (!publishedAt.has(lead)) publishedAt.set(lead, at);
    }
    else waiters.get(Object.keys(message)[0]!)?.resolve(message);
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`capture process exited with code ${code}`)));
  const next = (kind: string) => new Promise<FromCapture>((resolve, reject) => (failure ? reject(failure) : waiters.set(kind, { resolve, reject })));
  return {
    ready: next('ready'),
    run: async (count: number, perSecond: number) => {
      const done = next('done');
      worker.send({ run: { count, perSecond } } satisfies ToCapture);
      return ((await done) as { done: { issueLagMs: number } }).done;
    },
    stop: async () => {
      if (failure) return;
      const stopped = next('stopped');
      worker.send({ stop: true } satisfies ToCapture);
      await stopped;
      worker.disconnect();
    },
  };
}

function between(start: Map<string, number>, end: Map<string, number>, leads: Iterable<string>): number[] {
  return [...leads].flatMap((lead) => {
    const [from, to] = [start.get(lead), end.get(lead)];
    return from === undefined || to === undefined ? [] : [to - from];
  });
}

async function main(): Promise<void> {
  const [rate, seconds, partitions, members] = ['rate', 'seconds', 'partitions', 'members'].map((name, i) => option(name, [500, 20, 6, 5][i]!)) as [number, number, number, number];
  // Consumer settings: the service's defaults unless given.
  const consumerEnv = Object.fromEntries(
    ([['concurrency', 'ROUTING_CONSUMER_CONCURRENCY'], ['chunk', 'ROUTING_CONSUMER_CHUNK_SIZE']] as const).flatMap(([name, variable]) => (process.argv.includes(`--${name}`) ? [[variable, String(option(name, 1))]] : [])),
  );
  const id = `bench_routing_${Date.now()}`;
  const config = loadConfig(configSchema, { ...process.env, ROUTING_TOPIC: id, ROUTING_DEAD_LETTER_TOPIC: `${id}_dlq`, ROUTING_CONSUMER_GROUP: id, ...consumerEnv, SLA_QUEUE_PREFIX: id, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
  const logger = createLogger({ name: 'bench-routing', level: config.LOG_LEVEL });
  const tenantId = randomUUID();
  const routing = createDatabase<Database>({ url: config.DATABASE_URL, schema: id, max: 10 });
  await migrateToLatest(routing.db, { schema: id, migrations });
  const kafka = createKafkaClient({ brokers: config.KAFKA_BROKERS, clientId: id, logger });
  await ensureTopics(kafka, [{ name: id, partitions }, { name: `${id}_dlq`, partitions: 1 }]);
  const memberIds = await configure(routing.db, tenantId, members);
  const redis = createRedis(config.REDIS_URL, { name: id, logger });
  const messaging = await startMessaging({ service: id, config, logger, database: routing, metrics: createMetrics('routing') });
  const instance = await startRouting({ config, logger, db: routing.db, redis, metrics: createMetrics('routing'), messaging: observed(messaging), identity: createIdentity({ db: routing.db }) });
  const capture = captureProcess({ databaseUrl: config.DATABASE_URL, brokers: config.KAFKA_BROKERS, schema: `${id}_capture`, topic: id, tenantId });
  try {
    await capture.ready;
    const warmUp = 300;
    await capture.run(warmUp, 100);
    await waitAssigned(warmUp, 60_000);
    const measured = new Set(assignedAt.keys());
    routingMs.total = 0;
    Object.assign(transactions, { leads: [], batchMs: [], commitMs: [] });
    const count = Math.round(rate * seconds);
    const started = performance.now();
    const { issueLagMs } = await capture.run(count, rate);
    await waitAssigned(warmUp + count, 120_000);
    const elapsed = (performance.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 100)); // the last commit times are still in the post
    const leads = [...committedAt.keys()].filter((lead) => !measured.has(lead));
    const perTransaction = { count: transactions.leads.length, leadsMean: round(count / Math.max(1, transactions.leads.length), 1), batchMs: summarize(transactions.batchMs), commitMs: summarize(transactions.commitMs) };
    const consumer = { handlerMsPerLead: round(routingMs.total / count, 3), handlerBusyShare: round(routingMs.total / 1000 / elapsed, 2), perTransaction };
    const stages = {
      relayMs: summarize(between(committedAt, publishedAt, leads)),
      kafkaToConsumerMs: summarize(between(publishedAt, receivedAt, leads)),
      consumerToAssignedMs: summarize(between(receivedAt, assignedAt, leads)),
    };
    const checks = await verify(routing.db, warmUp + count, memberIds);
    console.log(JSON.stringify({ bench: 'routing', rate, seconds, partitions, consumerConcurrency: config.ROUTING_CONSUMER_CONCURRENCY, chunkSize: config.ROUTING_CONSUMER_CHUNK_SIZE, achievedLeadsPerSec: round(count / elapsed, 0), issueLagMs, captureToAssignedMs: summarize(between(committedAt, assignedAt, leads)), stages, consumer, ...checks }, null, 2));
  } finally {
    await capture.stop();
    for (const step of [...instance.shutdown, ...messaging.shutdown]) await step.close().catch(() => undefined);
    await instance.app.close();
    await deleteTopics(kafka, [id, `${id}_dlq`]);
    // Only this run's BullMQ keys: the Redis is shared.
    for (let cursor = '0'; ; ) {
      const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${id}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      if ((cursor = nextCursor) === '0') break;
    }
    await closeRedis(redis);
    await sql`DROP SCHEMA ${sql.id(id)} CASCADE`.execute(routing.db);
    await routing.close();
  }
}

const captureJob = process.env.BENCH_CAPTURE_JOB;
if (captureJob === undefined) await main();
else await captureService(JSON.parse(captureJob) as CaptureJob);
