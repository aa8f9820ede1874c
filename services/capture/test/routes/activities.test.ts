import { lifecycleEventSchema } from '@baton/contracts';
import { sql } from 'kysely';
import { bearer, openCaptureApp, storedCounts, uniqueEmail, type CaptureTestApp } from '../support.js';

describe('POST /v1/leads/{id}/activities', () => {
  let t: CaptureTestApp;

  beforeAll(async () => {
    t = await openCaptureApp();
  });
  afterAll(() => t.close());

  const newLead = async (key = t.keys.write): Promise<string> =>
    (await t.app.inject({ method: 'POST', url: '/v1/leads', headers: bearer(key), payload: { entryPath: 'chat', contact: { email: uniqueEmail() } } })).json().leadId;
  const record = (leadId: string, activity: unknown, key = t.keys.write) =>
    t.app.inject({ method: 'POST', url: `/v1/leads/${leadId}/activities`, headers: bearer(key), payload: activity as object });

  async function eventTypes(leadId: string): Promise<string[]> {
    const { rows } = await sql<{ payload: unknown }>`SELECT payload FROM outbox WHERE message_key = ${leadId} ORDER BY id`.execute(t.harness.db);
    return rows.map((row) => lifecycleEventSchema.parse(row.payload).type);
  }

  it('walks a lead from attempt to close, one lifecycle event per activity', async () => {
    const leadId = await newLead();
    const steps = [
      [{ type: 'contact_attempted', channel: 'phone', outcome: 'no_answer', occurredAt: '2026-03-01T09:00:00+01:00' }, 'attempting', 'lead.contact_attempted'],
      [{ type: 'contacted', channel: 'phone', actor: { type: 'member', id: '8f14e45f-ceea-467f-a8f5-7d2f8a1b2c3d' } }, 'contacted', 'lead.contacted'],
      [{ type: 'note', text: 'prefers mornings' }, 'contacted', null],
      [{ type: 'qualified', qualification: { budget: '10k', framework: 'BANT' } }, 'qualified', 'lead.qualified'],
      [{ type: 'closed', outcome: 'won', reason: 'signed', value: { amount: 1200, currency: 'EUR' } }, 'closed', 'lead.closed'],
    ] as const;
    for (const [activity, leadStatus, event] of steps) {
      const res = await record(leadId, activity);
      expect(res.statusCode).toBe(201);
      expect(res.json()).toEqual({ activityId: expect.any(String), leadId, type: activity.type, leadStatus, event });
    }
    expect(await eventTypes(leadId)).toEqual(['lead.captured', 'lead.contact_attempted', 'lead.contacted', 'lead.qualified', 'lead.closed']);
    const { rows } = await sql<{ payload: { data: { attemptedAt: string; actor: unknown } } }>`
      SELECT payload FROM outbox WHERE message_key = ${leadId} AND event_type = 'lead.contact_attempted'`.execute(t.harness.db);
    // The dialer's time, in UTC; the calling key as actor when none is named.
    expect(rows[0]?.payload.data).toMatchObject({ attemptedAt: '2026-03-01T08:00:00.000Z', actor: { type: 'integration', id: expect.stringMatching(/^api-key:/) } });
    const lead = (await t.app.inject({ method: 'GET', url: `/v1/leads/${leadId}`, headers: bearer(t.keys.read) })).json();
    expect(lead.status).toBe('closed');
  });

  it('answers 409 with a clear message for an impossible transition, and stores nothing', async () => {
    const leadId = await newLead();
    await record(leadId, { type: 'closed', outcome: 'lost' });
    const before = await storedCounts(t.harness);
    const res = await record(leadId, { type: 'qualified', qualification: {} });
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'lead_closed', detail: 'The lead is closed; only notes can be added to it, not qualified', leadStatus: 'closed' });
    expect(await storedCounts(t.harness)).toEqual(before);
    expect((await record(leadId, { type: 'note', text: 'they may come back next year' })).statusCode).toBe(201);
  });

  it('refuses contact on a disqualified lead until it is qualified again', async () => {
    const leadId = await newLead();
    expect((await record(leadId, { type: 'disqualified', reason: 'no_budget', detail: 'next year' })).json().leadStatus).toBe('disqualified');
    expect((await record(leadId, { type: 'contacted', channel: 'email' })).json()).toMatchObject({ code: 'lead_disqualified' });
    expect((await record(leadId, { type: 'qualified', qualification: { budget: 'found' } })).json().leadStatus).toBe('qualified');
    expect((await record(leadId, { type: 'contacted', channel: 'email' })).statusCode).toBe(201);
  });

  it("answers 404 for another tenant's lead", async () => {
    const other = await t.newTenant();
    const foreign = await newLead(other.key);
    const res = await record(foreign, { type: 'note', text: 'hello' });
    expect(res.statusCode).toBe(404);
  });

  it('rejects malformed activities with 400 naming the fields', async () => {
    const leadId = await newLead();
    const before = await storedCounts(t.harness);
    const cases: Array<[unknown, string]> = [
      [{ type: 'teleported' }, 'body.type'],
      [{ type: 'contacted', channel: 'phone', reason: 'why' }, 'body.reason'],
      [{ type: 'contact_attempted', channel: 'pigeon', outcome: 'no_answer' }, 'body.channel'],
      [{ type: 'closed', outcome: 'won', value: { amount: -1, currency: 'EUR' } }, 'body.value.amount'],
      [{ type: 'note', text: 'x', occurredAt: '2999-01-01T00:00:00Z' }, 'body.occurredAt'],
      [{ type: 'note', text: 'x', actor: { type: 'member', id: 'not-a-uuid' } }, 'body.actor.id'],
    ];
    for (const [activity, field] of cases) {
      const res = await record(leadId, activity);
      expect(res.statusCode).toBe(400);
      expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect(await storedCounts(t.harness)).toEqual(before);
  });
});
