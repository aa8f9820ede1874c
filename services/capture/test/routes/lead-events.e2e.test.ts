import type { LifecycleEvent } from '@baton/contracts';
import { createKafkaClient, createOutboxRelay, createPublisher, deleteTopics, ensureTopics, runConsumer, type RunningConsumer } from '@baton/kafka';
import { testEnv, uniqueName } from '@baton/testing';
import { bearer, openCaptureApp, uniqueEmail, type CaptureTestApp } from '../support.js';

// End to end through the real relay, broker and consumer runner: a captured lead reaches Kafka as
// lead.captured exactly once, even when the client retries the POST. The app writes to a topic of this
// file's own (tests run in parallel, and lead-lifecycle.v1 may hold millions of older events).
describe('lead events on Kafka', () => {
  const topic = uniqueName('capture_e2e');
  const env = testEnv();
  let t: CaptureTestApp;
  const received: LifecycleEvent[] = [];
  let stop: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    t = await openCaptureApp({ eventsTopic: topic });
    const kafka = createKafkaClient({ brokers: env.kafkaBrokers, clientId: topic, logger: t.harness.logger });
    await ensureTopics(kafka, [{ name: topic, partitions: 3 }, { name: `${topic}_dlq`, partitions: 1 }]);
    const publisher = createPublisher(kafka);
    await publisher.connect();
    const relay = createOutboxRelay({ pool: t.harness.pool, publisher, logger: t.harness.logger, schema: t.harness.schema, pollIntervalMs: 200 });
    await relay.start();
    const consumer: RunningConsumer = await runConsumer({
      client: kafka, publisher, logger: t.harness.logger, db: t.harness.db,
      groupId: topic, topics: [topic], deadLetterTopic: `${topic}_dlq`,
      handle: async (event) => void received.push(event),
    });
    stop = [() => consumer.stop(), () => relay.stop(), () => publisher.disconnect(), () => deleteTopics(kafka, [topic, `${topic}_dlq`]), () => kafka.close()];
  });

  afterAll(async () => {
    for (const step of stop) await step();
    await t.close();
  });

  async function eventsOf(leadId: string, count: number): Promise<LifecycleEvent[]> {
    const deadline = Date.now() + 30_000;
    while (received.filter((e) => e.subject === leadId).length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    // A little longer, so a duplicate that was going to arrive has the chance to.
    await new Promise((r) => setTimeout(r, 1_500));
    return received.filter((e) => e.subject === leadId);
  }

  it('publishes lead.captured exactly once for a POST retried with one Idempotency-Key, then the activity in order', async () => {
    const headers = { ...bearer(t.keys.write), 'idempotency-key': `e2e-${topic}`, 'x-correlation-id': 'e2e-corr' };
    const payload = { entryPath: 'web_form', contact: { email: uniqueEmail() }, context: { painPoints: ['slow follow-up'] } };
    const first = await t.app.inject({ method: 'POST', url: '/v1/leads', headers, payload });
    const retry = await t.app.inject({ method: 'POST', url: '/v1/leads', headers, payload });
    expect(first.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    const { leadId } = first.json();
    const activity = await t.app.inject({ method: 'POST', url: `/v1/leads/${leadId}/activities`, headers: bearer(t.keys.write), payload: { type: 'contacted', channel: 'email' } });
    expect(activity.statusCode).toBe(201);

    const events = await eventsOf(leadId, 2);
    expect(events.map((e) => e.type)).toEqual(['lead.captured', 'lead.contacted']);
    expect(events[0]).toMatchObject({ source: 'baton.capture', tenantid: t.tenant.id, correlationid: 'e2e-corr', data: { entryPath: 'web_form' } });
  });
});
