import type { HttpApp } from '../src/http/index.js';
import { buildTestApp } from './http-test-app.js';
import type { memoryDestination } from './support.js';

describe('buildHttpApp request logs', () => {
  let app: HttpApp;
  let logs: ReturnType<typeof memoryDestination>;

  beforeAll(async () => {
    ({ app, logs } = await buildTestApp());
  });
  afterAll(() => app.close());

  it('given a handler that annotates its request, then the one completion line carries every field, and the body never', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/annotated', payload: { email: 'ada@example.com' } });
    expect(res.statusCode).toBe(200);
    const lines = logs.lines().filter((line) => line['reqId'] === res.headers['x-request-id'] && line['level'] === 30);
    expect(lines).toEqual([
      expect.objectContaining({ msg: 'request completed', route: '/v1/annotated', statusCode: 200, leadId: 'lead-7', accepted: 2, replayed: false }),
    ]);
    expect(logs.text()).not.toContain('ada@example.com');
  });

  it('given a request that does not annotate, then its completion line has no fields of another request', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/ids' });
    const line = logs.lines().find((l) => l['reqId'] === res.headers['x-request-id'] && l['msg'] === 'request completed');
    expect(line).toBeDefined();
    expect(line).not.toHaveProperty('leadId');
  });
});
