import { testEnv, uniqueName } from '@baton/testing';
import { createDatabase, type DatabaseHandle } from '../src/db.js';
import type { HttpApp } from '../src/http/index.js';
import { pingPostgres, pingRedis } from '../src/readiness.js';
import { closeRedis, createRedis, type Redis } from '../src/redis.js';
import { buildTestApp, validPerson } from './http-test-app.js';
import { type memoryDestination } from './support.js';

describe('buildHttpApp ids, logs, metrics and docs', () => {
  let app: HttpApp;
  let logs: ReturnType<typeof memoryDestination>;

  beforeAll(async () => {
    ({ app, logs } = await buildTestApp());
  });
  afterAll(() => app.close());

  it('honours a sane x-request-id and x-correlation-id, and echoes both', async () => {
    const headers = { 'x-request-id': 'req-abc_1.2', 'x-correlation-id': 'corr-9' };
    const res = await app.inject({ method: 'GET', url: '/v1/ids', headers });
    expect(res.headers['x-request-id']).toBe('req-abc_1.2');
    expect(res.headers['x-correlation-id']).toBe('corr-9');
    expect(res.json()).toEqual({ requestId: 'req-abc_1.2', correlationId: 'corr-9' });
  });

  it('replaces an insane x-request-id and defaults the correlation id to the request id', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/ids', headers: { 'x-request-id': 'bad id; drop table' } });
    const requestId = res.headers['x-request-id'];
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers['x-correlation-id']).toBe(requestId);
    expect(res.json()).toEqual({ requestId, correlationId: requestId });
    const notFound = await app.inject({ method: 'GET', url: '/nope', headers: { 'x-request-id': 'r-404' } });
    expect(notFound.headers['x-request-id']).toBe('r-404');
  });

  it('logs requests with reqId and route but never bodies', async () => {
    await app.inject({ method: 'POST', url: '/v1/people', headers: { 'x-request-id': 'log-1' }, payload: validPerson });
    const completed = logs.lines().find((line) => line['reqId'] === 'log-1' && line['msg'] === 'request completed');
    expect(completed).toMatchObject({ route: '/v1/people', method: 'POST', statusCode: 201 });
    expect(logs.text()).not.toContain('ada@example.com');
    expect(logs.text()).not.toContain('7946');
  });

  it('answers /healthz and exposes the HTTP histogram on /metrics', async () => {
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    expect(health.json()).toEqual({ status: 'ok' });
    await app.inject({ method: 'POST', url: '/v1/people', payload: validPerson });
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.body).toMatch(
      /http_request_duration_seconds_count\{service="kit-test",method="POST",route="\/v1\/people",status_code="201"\} [1-9]/,
    );
    expect(metrics.body).toContain('process_cpu_user_seconds_total');
  });

  it('serves OpenAPI 3 at /docs/json listing the routes but not the probes', async () => {
    const res = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info).toMatchObject({ title: 'kit-test', version: '1.2.3' });
    const post = doc.paths['/v1/people'].post;
    expect(post.tags).toEqual(['people']);
    const bodySchema = post.requestBody.content['application/json'].schema;
    expect(bodySchema.required).toEqual(expect.arrayContaining(['email', 'age', 'contact']));
    expect(Object.keys(doc.paths)).not.toEqual(expect.arrayContaining(['/healthz']));
    for (const hidden of ['/healthz', '/readyz', '/metrics', '/docs/json']) expect(doc.paths[hidden]).toBeUndefined();
    const ui = await app.inject({ method: 'GET', url: '/docs' });
    expect(ui.statusCode).toBe(200);
  });
});

describe('/readyz', () => {
  let database: DatabaseHandle<unknown>;
  let redis: Redis;

  beforeAll(() => {
    database = createDatabase({ url: testEnv().databaseUrl, schema: 'public', max: 2 });
    redis = createRedis(testEnv().redisUrl, { name: 'kit-readyz-test' });
  });
  afterAll(async () => {
    await closeRedis(redis);
    await database.close();
  });

  it('answers 200 when every check passes against real Postgres and Redis', async () => {
    const { app } = await buildTestApp({ postgres: () => pingPostgres(database.db), redis: () => pingRedis(redis) });
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ready', checks: { postgres: { status: 'ok' }, redis: { status: 'ok' } } });
    await app.close();
  });

  it('answers 503 naming the check that failed or hung', async () => {
    const { app } = await buildTestApp({
      postgres: () => pingPostgres(database.db),
      kafka: () => Promise.reject(new Error('no brokers')),
      hanging: () => new Promise<void>(() => undefined),
    });
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({
      status: 'not_ready',
      checks: {
        postgres: { status: 'ok' },
        kafka: { status: 'failed', error: 'no brokers' },
        hanging: { status: 'failed', error: 'no answer within 2000 ms' },
      },
    });
    await app.close();
  });
});
