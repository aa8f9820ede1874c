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
    // The order is the one the service planned (runShutdown runs steps one after another: lifecycle.test.ts),
    // read from the 'shutting down' line: the 'done' lines of fast steps share a millisecond, and under load
    // their order on the pipe has been seen to differ from the order they were written in.
    const lines = stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { msg: string; step?: string; steps?: string[] });
    const planned = lines.find((line) => line.msg === 'shutting down')?.steps;
    // Consumers before the resources their handlers use; the relay before the producer it publishes with.
    expect(planned).toEqual(['http', 'kafka-consumers', 'service-own', 'messaging-retention', 'outbox-relay', 'kafka-producer', 'kafka-admin', 'redis', 'postgres']);
    const done = lines.filter((line) => line.msg === 'shutdown step done').map((line) => line.step);
    expect([...done].sort()).toEqual([...(planned ?? [])].sort());
    const { rows } = await sql`select 1 from information_schema.schemata where schema_name = ${schema}`.execute(admin.db);
    expect(rows).toHaveLength(1);
  });
});
