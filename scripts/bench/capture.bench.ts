// POST /v1/leads on the real capture app (auth, rate limit, validation, duplicate lock, lead row, outbox,
// relay to Kafka) next to a bare fastify endpoint doing one pg INSERT of a similar row: the ceiling on this
// machine, measured in the same run. The apps run in a forked child so autocannon does not share their
// event loop. Other processes share this machine's two cores, so the sustained phase alternates capture and
// bare for --rounds rounds and keeps each side's best round; each phase also reports the server-side CPU it
// cost per lead (the app process and its Postgres backends), which noise from other processes moves less,
// and the share of the machine's time the hypervisor stole for other guests (stealPct; high on a busy host).
// Usage: pnpm bench capture [--seconds 10] [--connections 50] [--rate 500] [--rounds 2] [--fixed-only]
// (sustained phases are closed-loop autocannon runs; the fixed-rate phase sends evenly spaced requests and
// times each from when it was due (paced.ts), for capture and then bare; ends with one sustained phase where
// every request carries its own Idempotency-Key)
// (CAPTURE_BENCH_PROF=<dir> to profile the server side; CAPTURE_BENCH_LOG=<file> keeps the server's log lines,
// whose responseTimeMs separates time spent in the app from time spent queued on this shared machine)
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { createKafkaClient, createOutboxRelay, createPublisher, deleteTopics, ensureTopics } from '@baton/kafka';
import {
  closeRedis, createDatabase, createIdentity, createLogger, createMetrics, createRedis, identityMigrations, loadConfig, logDestination, migrateToLatest,
  type DatabaseHandle,
} from '@baton/kit';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { buildApp } from '../../services/capture/src/app.js';
import { configSchema } from '../../services/capture/src/config.js';
import { migrations } from '../../services/capture/src/db/migrations/index.js';
import type { Database } from '../../services/capture/src/db/schema.js';
import { pacedLoad } from './paced.js';
import { option, round } from './stats.js';

const env = {
  DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/baton',
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
};
const seconds = option('seconds', 10);
const connections = option('connections', 50);
const rate = option('rate', 500);
const rounds = option('rounds', 2);

type Ready = { type: 'ready'; capture: string; bare: string; key: string };
type Drained = { type: 'drained'; pending: number; published: number; drainSeconds: number };
type Cpu = { type: 'cpu'; nodeMs: number; postgresMs: Record<number, number> | null; eventLoopDelayMs: { p99: number; max: number } };

// ---- server side (child process) ----

// fastify is a dependency of the service, not of the workspace root this script resolves from.
type Bare = { post(path: string, handler: (req: { body: unknown }) => Promise<unknown>): void; listen(o: object): Promise<string> };
const Fastify = createRequire(new URL('../../services/capture/package.json', import.meta.url))('fastify') as (o: object) => Bare;

/** One INSERT of a row shaped like a lead: the least any capture endpoint must do. */
async function startBare(schema: string): Promise<string> {
  const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 10, options: `-c search_path=${schema}`, application_name: `bench-bare-${schema}` });
  await pool.query('CREATE TABLE bare_leads (LIKE leads INCLUDING DEFAULTS)');
  const app = Fastify({ logger: false });
  app.post('/bare', async (request) => {
    const lead = request.body as { entryPath: string; contact: Record<string, string>; timeZone: string; company: object; source: object; context: object; attributes: object };
    const id = randomUUID();
    const now = new Date();
    await pool.query(
      `INSERT INTO bare_leads (id, tenant_id, entry_path, name, email, phone, time_zone, company, source, context, attributes, completeness_score, missing, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 100, '{}', $12, $12)`,
      [id, id, lead.entryPath, lead.contact.name, lead.contact.email, lead.contact.phone, lead.timeZone,
        JSON.stringify(lead.company), JSON.stringify(lead.source), JSON.stringify(lead.context), JSON.stringify(lead.attributes), now],
    );
    return { leadId: id };
  });
  return app.listen({ port: 0, host: '127.0.0.1' });
}

async function tenantKey(db: Parameters<typeof createIdentity>[0]['db'], slug: string) {
  await migrateToLatest(db, { schema: 'identity', migrations: identityMigrations });
  const identity = createIdentity({ db });
  await identity.createTenant({ slug });
  // A limit no bench reaches: the limiter still runs (one Redis call per request), it just never refuses.
  const { key } = await identity.createApiKey({ tenantSlug: slug, scopes: ['leads:write'], rateLimitPerMinute: 1_000_000 });
  return { identity, key };
}

async function serve(): Promise<void> {
  const id = `bench_capture_${Date.now()}`;
  // Production log level and destination, written to /dev/null: the cost of logging is part of the figure.
  const logger = createLogger({ name: 'capture', level: 'info', destination: logDestination(process.env.CAPTURE_BENCH_LOG ?? '/dev/null') });
  const database = createDatabase<Database>({ url: env.DATABASE_URL, schema: id, logger });
  await migrateToLatest(database.db, { schema: id, migrations });
  const slug = id.replace(/_/g, '-');
  const { identity, key } = await tenantKey(database.db, slug);
  const kafka = createKafkaClient({ brokers: env.KAFKA_BROKERS.split(','), clientId: id, logger });
  // Its own topic, so the bench's leads never reach consumers of lead-lifecycle.v1.
  await ensureTopics(kafka, [{ name: id, partitions: 6 }]);
  const publisher = createPublisher(kafka);
  await publisher.connect();
  const relay = createOutboxRelay({ pool: database.pool, publisher, logger, schema: id });
  await relay.start();
  const redis = createRedis(env.REDIS_URL, { name: id, autoPipelining: true });
  const config = loadConfig(configSchema, { ...env, LOG_LEVEL: 'info' });
  const app = await buildApp({ config, logger, db: database.db, redis, metrics: createMetrics('capture'), messaging: { ping: () => kafka.ping() }, identity, eventsTopic: id, rateLimitNameSpace: `${id}:` });
  const capture = await app.listen({ port: 0, host: '127.0.0.1' });
  const bare = await startBare(id);
  // How long the server's event loop was held up (GC, long tasks, no CPU to run on), per phase.
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  process.on('message', (message: { type: string }) => {
    if (message.type === 'drain') void drain(database.db).then((drained) => process.send?.(drained));
    if (message.type === 'cpu') void cpu(database.db, id, loopDelay).then((usage) => process.send?.(usage));
    if (message.type === 'stop') void cleanUp([() => app.close(), () => relay.stop(), () => publisher.disconnect(), () => deleteTopics(kafka, [id]), () => closeRedis(redis)], database, id, slug);
  });
  process.send?.({ type: 'ready', capture, bare, key } satisfies Ready);
}

/**
 * CPU used so far by this process, and by each Postgres backend of both apps' pools (Linux /proc; else null),
 * with the event loop's delay since the last call.
 */
async function cpu(db: Kysely<Database>, id: string, loopDelay: IntervalHistogram): Promise<Cpu> {
  const usage = process.cpuUsage();
  const eventLoopDelayMs = { p99: round(loopDelay.percentile(99) / 1e6), max: round(loopDelay.max / 1e6) };
  loopDelay.reset();
  const { rows } = await sql<{ pid: number }>`
    SELECT pid FROM pg_stat_activity WHERE application_name IN (${`baton-${id}`}, ${`bench-bare-${id}`})`.execute(db);
  let postgres: Record<number, number> | null = {};
  for (const { pid } of rows) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // USER_HZ is 100 on every mainstream Linux build.
      postgres[pid] = (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      postgres = null;
      break;
    }
  }
  return { type: 'cpu', nodeMs: (usage.user + usage.system) / 1000, postgresMs: postgres, eventLoopDelayMs };
}

/** Stops what serve started, then removes the schema and the identity fixture, and exits. */
async function cleanUp(steps: Array<() => Promise<unknown>>, database: DatabaseHandle<Database>, id: string, slug: string): Promise<never> {
  for (const step of steps) await step();
  await dropSchema(database.db, id);
  // Identity offers no tenant deletion; the bench removes the fixture it made so runs leave nothing behind.
  await sql`DELETE FROM identity.api_keys WHERE tenant_id = (SELECT id FROM identity.tenants WHERE slug = ${slug})`.execute(database.db);
  await sql`DELETE FROM identity.tenants WHERE slug = ${slug}`.execute(database.db);
  await database.close();
  process.exit(0);
}

/** Drops the bench schema; retried, because a straggling transaction can deadlock with the DROP. */
async function dropSchema(db: Kysely<Database>, id: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await sql`DROP SCHEMA ${sql.id(id)} CASCADE`.execute(db);
      return;
    } catch (error) {
      if (attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

/** Waits for the relay to publish every outbox row; reports how long that took after the load stopped. */
async function drain(db: Kysely<Database>): Promise<Drained> {
  const start = Date.now();
  const count = async () => (await sql<{ pending: string; published: string }>`
    SELECT count(*) FILTER (WHERE published_at IS NULL) AS pending, count(*) FILTER (WHERE published_at IS NOT NULL) AS published FROM outbox`.execute(db)).rows[0]!;
  let row = await count();
  while (Number(row.pending) > 0 && Date.now() - start < 60_000) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    row = await count();
  }
  return { type: 'drained', pending: Number(row.pending), published: Number(row.published), drainSeconds: round((Date.now() - start) / 1000, 2) };
}

// ---- load side (parent process) ----

const runId = Date.now().toString(36);
let sequence = 0;

/** A realistic lead whose email and phone no other request of the run uses, so nothing merges. */
function leadBody(): string {
  sequence += 1;
  return JSON.stringify({
    entryPath: 'web_form',
    contact: { name: 'Bench Lead', email: `lead-${runId}-${sequence}@bench.example`, phone: `+1415${2_000_000 + (sequence % 8_000_000)}` },
    timeZone: 'America/Los_Angeles',
    company: { name: 'Acme Roofing', size: '11-50' },
    source: { system: 'bench', campaign: 'spring' },
    context: { painPoints: ['slow follow-up'], timeline: 'this quarter', agreedNextStep: 'site visit' },
    attributes: { seats: 25, urgent: false },
  });
}

/** Closed-loop load: `connections` clients, each sending its next request when the last one answered. */
async function load(url: string, key: string, opts: { seconds: number; connections: number; idempotencyKeys?: boolean }) {
  const target = new URL(url);
  const result = await autocannon({
    url: target.origin,
    duration: opts.seconds,
    connections: opts.connections,
    requests: [{
      method: 'POST',
      path: target.pathname,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      // With idempotencyKeys, every request carries a fresh Idempotency-Key, as a careful client would send.
      setupRequest: (request) => ({
        ...request,
        body: leadBody(),
        ...(opts.idempotencyKeys ? { headers: { ...request.headers, 'idempotency-key': `${runId}-${sequence}` } } : {}),
      }),
    }],
  });
  const ok = result['2xx'];
  return {
    leadsPerSec: round(ok / result.duration, 0),
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

/** The machine's CPU time so far, and how much of it the hypervisor gave to other guests (Linux; else null). */
function machineTicks(): { steal: number; total: number } | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    return { steal: fields[7]!, total: fields.reduce((a, b) => a + b, 0) };
  } catch {
    return null;
  }
}

/**
 * A load phase with the server-side CPU it cost per accepted lead (app process + its Postgres backends), and
 * the share of the machine's CPU time stolen by the hypervisor meanwhile: on a shared VM, a phase with much
 * steal measured a slower machine than its neighbours did.
 */
async function measured<R extends { ok: number }>(child: ChildProcess, run: () => Promise<R>) {
  child.send({ type: 'cpu' });
  const before = await nextMessage<Cpu>(child, 'cpu');
  const ticksBefore = machineTicks();
  const result = await run();
  const ticksAfter = machineTicks();
  child.send({ type: 'cpu' });
  const after = await nextMessage<Cpu>(child, 'cpu');
  const stealPct = ticksBefore && ticksAfter ? round((100 * (ticksAfter.steal - ticksBefore.steal)) / Math.max(1, ticksAfter.total - ticksBefore.total), 1) : null;
  const perLead = (ms: number) => round(ms / Math.max(1, result.ok), 3);
  // Per backend: pools open and close connections between phases, so totals of two snapshots do not compare.
  const { postgresMs: start } = before;
  const end = after.postgresMs;
  const postgresMs = start && end ? Object.entries(end).reduce((sum, [pid, ms]) => sum + ms - (start[Number(pid)] ?? 0), 0) : null;
  const postgres = postgresMs === null ? null : perLead(postgresMs);
  return { ...result, cpuMsPerLead: { node: perLead(after.nodeMs - before.nodeMs), postgres }, serverEventLoopDelayMs: after.eventLoopDelayMs, stealPct };
}

function nextMessage<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`bench server exited with ${code}`));
    const onMessage = (message: { type: string }) => {
      if (message.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message as T);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

type Measured = Awaited<ReturnType<typeof measured<Awaited<ReturnType<typeof load>>>>>;

/** The fixed-rate phase: evenly spaced requests (paced.ts), not autocannon's bursts. */
function atRate(url: string, key: string) {
  return pacedLoad({ url, rate, seconds, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: leadBody });
}

/** Alternates capture and bare for `rounds` rounds; each side's best round is its figure. */
async function sustained(child: ChildProcess, ready: Ready) {
  const captureRounds: Measured[] = [];
  const bareRounds: Measured[] = [];
  for (let i = 0; i < rounds; i++) {
    captureRounds.push(await measured(child, () => load(`${ready.capture}/v1/leads`, ready.key, { seconds, connections })));
    bareRounds.push(await measured(child, () => load(`${ready.bare}/bare`, ready.key, { seconds, connections })));
  }
  const best = (runs: Measured[]) => runs.reduce((a, b) => (b.leadsPerSec > a.leadsPerSec ? b : a));
  const [capture, bare] = [best(captureRounds), best(bareRounds)];
  const captureToBare = round(capture.leadsPerSec / bare.leadsPerSec, 2);
  const perRound = { capture: captureRounds.map((r) => r.leadsPerSec), bare: bareRounds.map((r) => r.leadsPerSec) };
  return { capture, bare, captureToBare, rounds: perRound };
}

async function drive(): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), process.argv.slice(2), {
    env: { ...process.env, CAPTURE_BENCH_ROLE: 'server' },
    // CAPTURE_BENCH_PROF=<dir> writes a CPU profile of the server side there (open it in Chrome DevTools).
    execArgv: [...process.execArgv, ...(process.env.CAPTURE_BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.CAPTURE_BENCH_PROF}`] : [])],
  });
  const ready = await nextMessage<Ready>(child, 'ready');
  try {
    // Warm-up: JIT, connection pools, caches (API key, tenant).
    await load(`${ready.capture}/v1/leads`, ready.key, { seconds: 3, connections: 20 });
    await load(`${ready.bare}/bare`, ready.key, { seconds: 3, connections: 20 });
    if (process.argv.includes('--fixed-only')) {
      const fixed = await measured(child, () => atRate(`${ready.capture}/v1/leads`, ready.key));
      const bareFixed = await measured(child, () => atRate(`${ready.bare}/bare`, ready.key));
      console.log(JSON.stringify({ bench: 'capture', seconds, fixedRate: { rate, capture: fixed, bare: bareFixed } }, null, 2));
      return;
    }
    const max = await sustained(child, ready);
    const fixed = await measured(child, () => atRate(`${ready.capture}/v1/leads`, ready.key));
    // The bare endpoint at the same rate: this machine's floor for one request and one insert.
    const bareFixed = await measured(child, () => atRate(`${ready.bare}/bare`, ready.key));
    // The same sustained load with an Idempotency-Key on every request: each key claimed in the batch statement.
    const keyed = await measured(child, () => load(`${ready.capture}/v1/leads`, ready.key, { seconds, connections, idempotencyKeys: true }));
    child.send({ type: 'drain' });
    const drained = await nextMessage<Drained>(child, 'drained');
    console.log(JSON.stringify({
      bench: 'capture', seconds, connections, rounds,
      sustained: max,
      fixedRate: { rate, capture: fixed, bare: bareFixed },
      sustainedWithIdempotencyKeys: keyed,
      outbox: { pendingAfterDrain: drained.pending, published: drained.published, drainSecondsAfterLoad: drained.drainSeconds },
      targets: { leadsPerSec: max.capture.leadsPerSec >= 1500, p99Under25msAt500: fixed.latencyMs.p99 < 25, atLeast40PctOfBare: max.captureToBare >= 0.4 },
    }, null, 2));
  } finally {
    child.send({ type: 'stop' });
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

if (process.env.CAPTURE_BENCH_ROLE === 'server') await serve();
else await drive();
