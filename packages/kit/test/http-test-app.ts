import { z } from 'zod';
import { errors } from '../src/errors.js';
import { annotateRequestLog, buildHttpApp } from '../src/http/index.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { memoryDestination } from './support.js';

const personSchema = z.object({
  email: z.email(),
  age: z.number().int(),
  contact: z.object({ phone: z.string().min(5) }),
});

/** An app with routes that exercise validation, AppErrors and crashes; logs kept in memory. */
export async function buildTestApp(readiness: Record<string, () => Promise<void>> = {}) {
  const logs = memoryDestination();
  const app = await buildHttpApp({
    name: 'kit-test',
    version: '1.2.3',
    logger: createLogger({ name: 'kit-test', level: 'debug', destination: logs.stream }),
    bodyLimit: 1024,
    readiness,
    metrics: createMetrics('kit-test'),
    openapi: { tags: [{ name: 'people' }] },
  });
  app.post(
    '/v1/people',
    { schema: { tags: ['people'], body: personSchema, response: { 201: z.object({ ok: z.boolean() }) } } },
    async (_request, reply) => reply.code(201).send({ ok: true }),
  );
  app.post('/v1/strict', { schema: { body: z.strictObject({ a: z.string() }) } }, async () => ({ ok: true }));
  app.get('/v1/unavailable', async () => {
    throw errors.unavailable('Postgres at 10.0.0.5');
  });
  app.get('/v1/conflict', async () => {
    throw errors.conflict('lead_exists', 'The lead already exists', { leadId: 'lead-1' });
  });
  app.get('/v1/limited', async () => {
    throw errors.tooManyRequests(7);
  });
  app.get('/v1/crash', async () => {
    throw new Error('password=hunter2 leaked from the driver');
  });
  app.post('/v1/annotated', async (request) => {
    annotateRequestLog(request, { leadId: 'lead-7' });
    annotateRequestLog(request, { accepted: 2, replayed: false });
    return { ok: true };
  });
  app.get('/v1/ids', async (request) => ({ requestId: request.id, correlationId: request.correlationId }));
  return { app, logs };
}

/** A body the POST /v1/people schema accepts. */
export const validPerson = { email: 'ada@example.com', age: 36, contact: { phone: '+44 20 7946 0000' } };
