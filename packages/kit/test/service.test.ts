import { testEnv, uniqueName } from '@baton/testing';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { createDatabase } from '../src/db.js';
import { dropSchema } from './support.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/service.fixture.ts', import.meta.url));

describe('startService', () => {
  const schema = uniqueName('kit_service');
  const url = testEnv().databaseUrl;

  const admin = createDatabase({ url, schema: 'public', max: 1 });

  afterAll(async () => {
    await dropSchema(admin.db, schema);
    await admin.close();
  });

  it('migrates, listens, answers probes, and on SIGTERM closes http, own steps, kafka, redis, postgres in order', async () => {
    const env = {
      ...process.env,
      FIXTURE_SERVICE_NAME: schema,
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: url,
      REDIS_URL: testEnv().redisUrl,
      KAFKA_BROKERS: testEnv().kafkaBrokers.join(','),
    };
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], { cwd: repoRoot, env });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const port = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout);
        if (match?.[1]) resolve(match[1]);
      });
      void exited.then((code) => reject(new Error(`fixture exited ${code}: ${stderr}${stdout}`)));
    });

    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    // Readiness may trail listening by a moment on a busy machine (the first Kafka connection): poll, bounded.
    let ready: unknown;
    for (const until = Date.now() + 20_000; Date.now() < until; await new Promise((r) => setTimeout(r, 250))) {
      ready = await (await fetch(`http://127.0.0.1:${port}/readyz`)).json();
      if ((ready as { status?: string }).status === 'ready') break;
    }
    expect(ready).toMatchObject({ status: 'ready' });

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // In the order they ran: by log time, then by position in stdout. Under load, pino's writes to a full pipe
    // can reach the reader out of order (seen in CI), so stdout order alone is not the order of the steps.
    const steps = stdout
      .split('\n')
      .filter((line) => line.includes('"shutdown step done"'))
      .map((line, position) => ({ ...(JSON.parse(line) as { step: string; time: string }), position }))
      .sort((a, b) => a.time.localeCompare(b.time) || a.position - b.position)
      .map((line) => line.step);
    // Consumers before the resources their handlers use; the relay before the producer it publishes with.
    expect(steps).toEqual(['http', 'kafka-consumers', 'service-own', 'messaging-retention', 'outbox-relay', 'kafka-producer', 'kafka-admin', 'redis', 'postgres']);
    const { rows } = await sql`select 1 from information_schema.schemata where schema_name = ${schema}`.execute(admin.db);
    expect(rows).toHaveLength(1);
  });
});
