import type { HttpApp } from '../src/http/index.js';
import { buildTestApp, validPerson } from './http-test-app.js';
import type { memoryDestination } from './support.js';

describe('buildHttpApp errors', () => {
  let app: HttpApp;
  let logs: ReturnType<typeof memoryDestination>;

  beforeAll(async () => {
    ({ app, logs } = await buildTestApp());
  });
  afterAll(() => app.close());

  it('accepts a valid body', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/people', payload: validPerson });
    expect(res.statusCode).toBe(201);
  });

  it('answers 400 problem+json naming each bad field', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/people',
      payload: { email: 'not-an-email', age: 1.5, contact: { phone: '1' } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = res.json();
    expect(body).toMatchObject({
      type: 'https://baton.dev/problems/validation_failed',
      status: 400,
      code: 'validation_failed',
      instance: '/v1/people',
      requestId: res.headers['x-request-id'],
    });
    const fields = body.errors.map((error: { field: string }) => error.field).sort();
    expect(fields).toEqual(['body.age', 'body.contact.phone', 'body.email']);
  });

  it('names each unknown key of a strict schema, and each missing field', async () => {
    const strict = await app.inject({ method: 'POST', url: '/v1/strict', payload: { a: 'x', b: 1, c: 2 } });
    expect(strict.statusCode).toBe(400);
    expect(strict.json().errors.map((error: { field: string }) => error.field)).toEqual(['body.b', 'body.c']);
    const missing = await app.inject({ method: 'POST', url: '/v1/people', payload: { age: 3 } });
    expect(missing.json().errors.map((error: { field: string }) => error.field).sort()).toEqual([
      'body.contact',
      'body.email',
    ]);
  });

  it('answers 404 problem+json for an unknown route', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/nowhere?email=x' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ code: 'not_found', status: 404, detail: 'No route GET /v1/nowhere' });
  });

  it('answers 400 problem+json for a malformed URL escape', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/people/%E0%A4%A' });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 400 });
  });

  it('answers 413 for a body over the limit', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/people', payload: { ...validPerson, pad: 'x'.repeat(2048) } });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'payload_too_large', status: 413 });
  });

  it('answers 400 for malformed JSON and 415 for an unsupported content type', async () => {
    const headers = { 'content-type': 'application/json' };
    const malformed = await app.inject({ method: 'POST', url: '/v1/people', headers, payload: '{"email":' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().code).toBe('malformed_json');
    const empty = await app.inject({ method: 'POST', url: '/v1/people', headers });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().code).toBe('malformed_json');
    const xml = await app.inject({ method: 'POST', url: '/v1/people', headers: { 'content-type': 'text/xml' }, payload: '<a/>' });
    expect(xml.statusCode).toBe(415);
    expect(xml.json().code).toBe('unsupported_media_type');
  });

  it('maps a thrown AppError to its status, code, details and headers', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/conflict' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({
      type: 'https://baton.dev/problems/lead_exists',
      title: 'Conflict',
      code: 'lead_exists',
      detail: 'The lead already exists',
      leadId: 'lead-1',
    });
    const limited = await app.inject({ method: 'GET', url: '/v1/limited' });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('7');
    expect(limited.json()).toMatchObject({ code: 'rate_limited', retryAfter: 7 });
  });

  it('answers 500 without the internal message, and logs the error', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/crash' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({ code: 'internal_error', detail: 'An unexpected error occurred' });
    expect(res.body).not.toContain('hunter2');
    const logged = logs.lines().find((line) => line['msg'] === 'request failed');
    expect(logged).toMatchObject({ level: 50, reqId: res.headers['x-request-id'] });
    expect(JSON.stringify(logged)).toContain('leaked from the driver');
  });

  it('keeps the code but hides the message of a 5xx AppError', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/unavailable' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'unavailable', detail: 'The service could not complete the request' });
    expect(res.body).not.toContain('10.0.0.5');
  });
});
