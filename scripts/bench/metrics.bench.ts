// Metrics projection and query bench against the real Postgres, Kafka and Redis.
// Usage: pnpm bench metrics [--leads 1000000] [--sample 200000] [--tenants 1] [--queries 200] [--keep]
//                            [--ingest-only] [--split]
//   --ingest-only: phase 1 only (for iterating on ingest); --split: phase 1 also runs the consumer alone (projector
//   stopped) and then the projector alone over what it took in, on a second topic and schema.
//   1. ingest: `sample` events (whole leads, in event-time order) published to a bench topic and consumed by
//      the service's own pipeline (consumer: inbox + intake; projector: audit log + journeys + rollups);
//   2. load: the other leads written straight to the audit log and folded by the same applyEvents, in batches
//      (the consumer path minus Kafka and the inbox), to reach full size in reasonable time;
//   3. queries: GET /v1/funnel and /v1/scorecard through the app (auth, validation, serialization included)
//      over random windows, zones and groupings; then a naive GROUP BY over the raw audit log for comparison.
import type { LifecycleEvent } from '@baton/contracts';
import { deleteTopics, ensureTopics } from '@baton/kafka';
import { createDatabase, createIdentity, createLogger, createMetrics, createRedis, identityMigrations, loadConfig, migrateToLatest, runShutdown, startMessaging, type Messaging } from '@baton/kit';
import { readFileSync } from 'node:fs';
import { sql, type Kysely } from 'kysely';
import { buildApp } from '../../services/metrics/src/app.js';
import { configSchema } from '../../services/metrics/src/config.js';
import { migrations } from '../../services/metrics/src/db/migrations/index.js';
import { createIntakeRecorder } from '../../services/metrics/src/consumers/record-event.handler.js';
import { startPipeline } from '../../services/metrics/src/pipeline.js';
import { startProjector } from '../../services/metrics/src/projection/projector.js';
import { YEAR_MS, YEAR_START, loadDirect, seeded, syntheticLead } from '../../services/metrics/test/fixtures/synthetic.js';
import { option, quantile, round, summarize } from './stats.js';

const leads = option('leads', 1_000_000);
const sampleTarget = Math.min(option('sample', 200_000), leads * 5);
const tenantCount = option('tenants', 1);
const queries = option('queries', 200);
const keep = process.argv.includes('--keep');
const ingestOnly = process.argv.includes('--ingest-only');
const split = process.argv.includes('--split');
const schema = `bench_metrics_${Date.now()}`;
const env = { ...process.env, DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/baton', RATE_LIMIT_PER_MINUTE: '1000000', LOG_LEVEL: 'warn' };
const config = loadConfig(configSchema, env);
const logger = createLogger({ name: 'metrics-bench', level: 'warn' });
const database = createDatabase<any>({ url: config.DATABASE_URL, schema, max: 10 });
const db = database.db;
const rng = seeded(20250101);
const log = (message: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const count = async (query: string, on: Kysely<any> = db) => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.raw(query)}`.execute(on)).rows[0]?.n);

async function waitUntil(check: () => Promise<boolean>): Promise<number> {
  while (!(await check())) await sleep(200);
  return performance.now();
}

// Leads are captured in order through the year (as history accumulates), spread evenly over the tenants.
const leadAt = (tenants: string[], i: number) => syntheticLead(tenants[i % tenants.length]!, rng, YEAR_START + Math.floor(((i + rng()) * YEAR_MS) / leads));

// Progress probes cheap enough not to slow what they watch: counting a table of 200k rows every 200 ms costs a
// share of a core. The statistics' insert counts (up to a second late) say when the end is near, from there on
// the rows are counted exactly, so each instant is exact to the 200 ms poll.
const inserted = async (on: Kysely<any>, table: string) =>
  Number((await sql<{ n: string }>`SELECT n_tup_ins AS n FROM pg_stat_user_tables WHERE relid = ${table}::regclass`.execute(on)).rows[0]?.n ?? 0);
const intakeEmpty = async (on: Kysely<any>) => (await sql`SELECT 1 FROM intake LIMIT 1`.execute(on)).rows.length === 0;

/** When the consumer committed its first chunk, when every event was in the inbox, when every event was logged and folded. */
async function watchIngest(on: Kysely<any>, events: number, watch = { recorded: true, projected: true }) {
  const first = watch.recorded ? await waitUntil(async () => (await inserted(on, 'inbox')) > 0 || (await count('inbox', on)) > 0) : performance.now();
  const recorded = watch.recorded ? await waitUntil(async () => (await inserted(on, 'inbox')) >= events * 0.95 && (await count('inbox', on)) >= events) : performance.now();
  const projected = watch.projected
    ? await waitUntil(async () => (await inserted(on, 'audit_log')) >= events * 0.95 && (await intakeEmpty(on)) && (await count('audit_log', on)) >= events)
    : performance.now();
  return { first, recorded, projected };
}

/** Whole leads (about ten events each) in event-time order, until `sampleTarget` events. */
function sampleEvents(tenants: string[]): { events: LifecycleEvent[]; used: number } {
  const events: LifecycleEvent[] = [];
  let used = 0;
  while (events.length < sampleTarget && used < leads) events.push(...leadAt(tenants, used++));
  events.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  return { events, used };
}

// What the database and this machine spent during a phase: WAL written and synced (the durability cost),
// this process's CPU, and the whole machine's busy CPU (Postgres and Kafka included; 2 cores = 2 s per s).
type Meter = { wal: Record<string, number>; cpu: NodeJS.CpuUsage; busy: number; at: number };
const machineBusySeconds = (): number => {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return (ticks.slice(0, 8).reduce((a, b) => a + b, 0) - idle) / 100;
};
async function meter(): Promise<Meter> {
  const { rows } = await sql<Record<string, string>>`SELECT wal_records, wal_fpi, wal_bytes, wal_sync FROM pg_stat_wal`.execute(db);
  const wal = Object.fromEntries(Object.entries(rows[0] ?? {}).map(([k, v]) => [k, Number(v)]));
  return { wal, cpu: process.cpuUsage(), busy: machineBusySeconds(), at: performance.now() };
}
async function spent(from: Meter, events: number) {
  const to = await meter();
  const seconds = (to.at - from.at) / 1000;
  const busy = to.busy - from.busy;
  const cpu = process.cpuUsage(from.cpu);
  const wal = (name: string) => (to.wal[name] ?? 0) - (from.wal[name] ?? 0);
  return {
    walBytesPerEvent: round(wal('wal_bytes') / events, 0),
    walFullPagesPerEvent: round(wal('wal_fpi') / events, 3),
    walSyncs: wal('wal_sync'),
    machineBusyCores: round(busy / seconds, 2),
    machineCpuMsPerEvent: round((busy * 1000) / events, 3),
    benchProcessCpuMsPerEvent: round((cpu.user + cpu.system) / 1000 / events, 3),
  };
}

async function publishSample(messaging: Messaging, topic: string, events: readonly LifecycleEvent[]): Promise<void> {
  await ensureTopics(messaging.client, [{ name: topic, partitions: config.KAFKA_TOPIC_PARTITIONS }]);
  for (let i = 0; i < events.length; i += 2_000) {
    await messaging.publisher.publish(events.slice(i, i + 2_000).map((e) => ({ topic, key: e.subject, value: JSON.stringify(e) })));
  }
}

const pipelineOptions = (topic: string) => ({ groupId: topic, topics: [topic], partitionsConsumedConcurrently: config.CONSUMER_CONCURRENCY, chunkSize: config.CONSUMER_CHUNK_SIZE, batchSize: config.PROJECTOR_BATCH_SIZE, idleMs: 100 });

/** Phase 1: whole leads through Kafka and the service's pipeline; returns leads used and rates. */
async function ingestThroughKafka(tenants: string[]) {
  const { events, used } = sampleEvents(tenants);
  const alone = split ? await ingestSplit(events) : {};
  const messaging = await startMessaging({ service: schema, config, logger, database, metrics: createMetrics('metrics-bench') });
  const topic = schema;
  await publishSample(messaging, topic, events);
  log(`published ${events.length} events of ${used} leads; consuming`);
  const before = await meter();
  const steps = await startPipeline({ db, logger, messaging }, pipelineOptions(topic));
  // Received = in the inbox (the consumer's transaction committed); projected = logged and folded.
  const { first, recorded, projected } = await watchIngest(db, events.length);
  const cost = await spent(before, events.length);
  await runShutdown(logger, [messaging.stopConsumers, ...steps, ...messaging.shutdown], 30_000);
  await deleteTopics(messaging.client, [topic]).catch(() => undefined);
  return {
    leads: used,
    events: events.length,
    consumerEventsPerSec: round(events.length / ((recorded - first) / 1000), 0),
    endToEndEventsPerSec: round(events.length / ((projected - first) / 1000), 0),
    projectorLagAtEndMs: round(projected - recorded, 0),
    ...cost,
    ...alone,
  };
}
/**
 * Phase 1 again, each half alone, in its own schema: the consumer with no projector running (until every event
 * is in the intake), then the projector with no consumer (until the intake is logged and folded).
 */
async function ingestSplit(events: readonly LifecycleEvent[]) {
  const splitSchema = `${schema}_split`;
  const handle = createDatabase<any>({ url: config.DATABASE_URL, schema: splitSchema, max: 10 });
  try {
    await migrateToLatest(handle.db, { schema: splitSchema, migrations });
    const messaging = await startMessaging({ service: splitSchema, config, logger, database: handle, metrics: createMetrics('metrics-bench') });
    await publishSample(messaging, splitSchema, events);
    let before = await meter();
    const options = pipelineOptions(splitSchema);
    const recorder = createIntakeRecorder();
    await messaging.consume({
      groupId: options.groupId, topics: options.topics, db: handle.db, logger, chunkSize: options.chunkSize, partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
      handle: (event, trx) => recorder.handle(event, trx), beforeCommit: (trx) => recorder.beforeCommit(trx),
    });
    const { first, recorded } = await watchIngest(handle.db, events.length, { recorded: true, projected: false });
    const consumerCost = await spent(before, events.length);
    await runShutdown(logger, [messaging.stopConsumers, ...messaging.shutdown], 30_000);
    await deleteTopics(messaging.client, [splitSchema]).catch(() => undefined);
    before = await meter();
    const projector = startProjector({ db: handle.db, logger, batchSize: config.PROJECTOR_BATCH_SIZE, idleMs: 100 });
    const { projected } = await watchIngest(handle.db, events.length, { recorded: false, projected: true });
    const projectorCost = await spent(before, events.length);
    await projector.stop();
    return {
      consumerAlone: { eventsPerSec: round(events.length / ((recorded - first) / 1000), 0), ...consumerCost },
      projectorAlone: { eventsPerSec: round(events.length / ((projected - before.at) / 1000), 0), ...projectorCost },
    };
  } finally {
    await sql`DROP SCHEMA IF EXISTS ${sql.id(splitSchema)} CASCADE`.execute(handle.db);
    await handle.close();
  }
}

/** Phase 2: the remaining leads straight into the log and the fold, 500 leads per transaction. */
async function loadRest(tenants: string[], from: number) {
  const started = performance.now();
  let events = 0;
  for (let done = from; done < leads; ) {
    const batch: LifecycleEvent[] = [];
    for (const end = Math.min(leads, done + 500); done < end; done++) batch.push(...leadAt(tenants, done));
    await loadDirect(db, batch);
    events += batch.length;
    if (done % 50_000 < 500) log(`loaded ${done} leads, ${events} events`);
  }
  return { leads: leads - from, events, eventsPerSec: round(events / ((performance.now() - started) / 1000), 0) };
}

const ZONES = ['UTC', 'America/Chicago', 'Asia/Kathmandu', 'Europe/Paris'];
const GROUPINGS = ['', 'entry_path', 'campaign', 'queue', 'owner', 'setter', 'meeting_type'];
const pick = <T>(list: readonly T[]): T => list[Math.floor(rng() * list.length)]!;
const day = (d: Date) => d.toISOString().slice(0, 10);

/** A realistic window: a calendar month, 30 rolling days, a quarter, or the whole year, in a random zone. */
function randomWindow(): string {
  const kind = rng();
  const start = new Date(Date.UTC(2025, 0, 1) + Math.floor(rng() * 300) * 86_400_000);
  const month = Math.floor(rng() * 11);
  const [from, to] =
    kind < 0.35 ? [day(new Date(Date.UTC(2025, month, 1))), day(new Date(Date.UTC(2025, month + 1, 1)))]
    : kind < 0.7 ? [day(start), day(new Date(start.getTime() + 30 * 86_400_000))]
    : kind < 0.9 ? [day(new Date(Date.UTC(2025, month - (month % 3), 1))), day(new Date(Date.UTC(2025, month - (month % 3) + 3, 1)))]
    : ['2025-01-01', '2026-01-01'];
  return `from=${from}&to=${to}&tz=${pick(ZONES)}`;
}

// summarize() plus the p95 the targets are stated in, and the slowest requests (to explain a tail).
function withP95(samples: Array<[number, string]>) {
  const ms = samples.map(([t]) => t).sort((a, b) => a - b);
  const slowest = [...samples].sort(([a], [b]) => b - a).slice(0, 3).map(([t, url]) => `${round(t)} ${url}`);
  return { ...summarize(ms), p95: round(quantile(ms, 0.95)), slowest };
}

/** Phase 3: served queries, and the naive GROUP BY over the raw log. */
async function queryBench(tenants: Array<{ id: string; key: string }>) {
  const identity = createIdentity({ db });
  const redis = createRedis(config.REDIS_URL, { name: 'metrics-bench' });
  const app = await buildApp({ config, logger, db, redis, metrics: createMetrics('metrics-bench'), messaging: { ping: async () => undefined }, identity, rateLimitNameSpace: `${schema}:` });
  const timed = async (url: string, key: string) => {
    const started = performance.now();
    const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
    return performance.now() - started;
  };
  const run = async (make: () => string) => {
    for (let i = 0; i < 20; i++) await timed(make(), tenants[0]!.key);
    const samples: Array<[number, string]> = [];
    for (let i = 0; i < queries; i++) {
      const url = make();
      samples.push([await timed(url, pick(tenants).key), url]);
    }
    return withP95(samples);
  };
  const funnel = await run(() => { const g = pick(GROUPINGS); return `/v1/funnel?${randomWindow()}${g ? `&groupBy=${g}` : ''}`; });
  const funnelByOwner = await run(() => `/v1/funnel?${randomWindow()}&groupBy=owner`);
  const scorecard = await run(() => `/v1/scorecard?${randomWindow()}`);
  await app.close();
  redis.disconnect();
  return { funnel, funnelByOwner, scorecard, ...(await naiveBench(db, tenants[0]!.id)) };
}

/**
 * The alternatives, for March (UTC): the funnel counted per event type straight from the log (naive GROUP BY),
 * and exact duration percentiles straight from the journeys (what the histograms replace).
 */
async function naiveBench(db: Kysely<any>, tenantId: string) {
  const time = async (run: () => Promise<unknown>) => {
    const samples: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      await run();
      samples.push(performance.now() - started);
    }
    return summarize(samples);
  };
  const exactPercentilesFromJourneys = await time(() => sql`
    SELECT percentile_disc(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY claimed_at - captured_at) AS capture_claim,
           percentile_disc(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY first_touch_at - claimed_at) AS claim_touch,
           percentile_disc(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY booked_at - captured_at) AS capture_booked,
           percentile_disc(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY held_at - booked_at) AS booked_held
    FROM journeys WHERE tenant_id = ${tenantId} AND captured_at >= '2025-03-01' AND captured_at < '2025-04-01'`.execute(db));
  const naiveGroupBy = await time(() => sql`
      WITH cohort AS (
        SELECT lead_id FROM audit_log WHERE tenant_id = ${tenantId} AND type = 'lead.captured'
          AND (envelope->'data'->>'capturedAt')::timestamptz >= '2025-03-01' AND (envelope->'data'->>'capturedAt')::timestamptz < '2025-04-01')
      SELECT a.type, count(DISTINCT a.lead_id) FROM audit_log a JOIN cohort c USING (lead_id)
      WHERE a.tenant_id = ${tenantId} GROUP BY a.type`.execute(db));
  return { naiveGroupBy, exactPercentilesFromJourneys };
}

async function sizes() {
  const { rows } = await sql<{ name: string; mb: string; rows: string }>`
    SELECT c.relname AS name, round(pg_total_relation_size(c.oid) / 1048576.0) AS mb, c.reltuples::bigint AS rows
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${schema} AND c.relname IN ('audit_log', 'journeys', 'rollups')`.execute(db);
  return Object.fromEntries(rows.map((r) => [r.name, { mb: Number(r.mb), rows: Number(r.rows) }]));
}

async function main(): Promise<void> {
  await migrateToLatest(db, { schema: 'identity', migrations: identityMigrations });
  await migrateToLatest(db, { schema, migrations });
  const identity = createIdentity({ db });
  const tenants = await Promise.all(Array.from({ length: tenantCount }, async (_, i) => {
    const tenant = await identity.createTenant({ slug: `${schema.replace(/_/g, '-')}-${i}` });
    const { key } = await identity.createApiKey({ tenantSlug: tenant.slug, scopes: ['funnel:read'], rateLimitPerMinute: 1_000_000 });
    return { id: tenant.id, key };
  }));
  try {
    const ingest = await ingestThroughKafka(tenants.map((t) => t.id));
    log(`ingest: ${JSON.stringify(ingest)}`);
    if (ingestOnly) {
      console.log(JSON.stringify({ bench: 'metrics', phase: 'ingest', tenants: tenantCount, config: { concurrency: config.CONSUMER_CONCURRENCY, chunkSize: config.CONSUMER_CHUNK_SIZE, batchSize: config.PROJECTOR_BATCH_SIZE }, ingest }, null, 2));
      return;
    }
    const load = await loadRest(tenants.map((t) => t.id), ingest.leads);
    // The steady state of a live system: statistics fresh and autovacuum not busy with the bulk load.
    for (const table of ['journeys', 'rollups', 'audit_log']) await sql`VACUUM (ANALYZE) ${sql.id(table)}`.execute(db);
    const result = { bench: 'metrics', leads, tenants: tenantCount, ingest, load, sizes: await sizes(), queriesMs: await queryBench(tenants) };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    if (!keep) await sql`DROP SCHEMA ${sql.id(schema)} CASCADE`.execute(db);
    else log(`kept schema ${schema}`);
    await database.close();
  }
}

await main();
