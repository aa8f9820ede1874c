import { lifecycleEventSchema, type LifecycleEvent } from '@baton/contracts';
import { sql } from 'kysely';
import { bearer, openCaptureApp, storedCounts, uniqueEmail, uniquePhone, type CaptureTestApp } from '../support.js';

describe('POST /v1/leads', () => {
  let t: CaptureTestApp;

  beforeAll(async () => {
    t = await openCaptureApp();
  });
  afterAll(() => t.close());
  afterEach(() => t.clock.reset());

  const post = (body: unknown, key = t.keys.write, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: '/v1/leads', headers: { ...bearer(key), ...headers }, payload: body as object });

  async function eventsOf(leadId: string): Promise<LifecycleEvent[]> {
    const { rows } = await sql<{ payload: unknown }>`SELECT payload FROM outbox WHERE message_key = ${leadId} ORDER BY id`.execute(t.harness.db);
    // Parsing with the contract proves what consumers will decode.
    return rows.map((row) => lifecycleEventSchema.parse(row.payload));
  }

  it('given no key, or a key without leads:write, then 401 / 403 as problem+json', async () => {
    const anonymous = await t.app.inject({ method: 'POST', url: '/v1/leads', payload: { entryPath: 'chat' } });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['content-type']).toContain('application/problem+json');
    const readOnly = await post({ entryPath: 'chat' }, t.keys.read);
    expect(readOnly.statusCode).toBe(403);
    expect(readOnly.json()).toMatchObject({ code: 'forbidden', requiredScope: 'leads:write' });
  });

  it('captures a lead: 201 with its id and completeness, stored normalised, lead.captured in the outbox', async () => {
    const email = uniqueEmail();
    const res = await post(
      {
        entryPath: 'web_form',
        contact: { name: 'Ada Lovelace', email: `  ${email.toUpperCase()} `, phone: '+33 1 42 68 53 00' },
        company: { name: 'Analytical Engines', size: '11-50', country: 'GB' },
        source: { system: 'typeform', campaign: 'spring', gclid: 'dropped' },
        externalIds: { hubspot: 'hs-1' },
        context: { painPoints: ['manual quotes'], timeline: 'Q3' },
        attributes: { seats: 12, urgent: true },
      },
      t.keys.write,
      { 'x-correlation-id': 'corr-capture-1' },
    );
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toEqual({ leadId: expect.any(String), status: 'created', completeness: { score: 83, missing: ['context.agreedNextStep'] } });

    const lead = await t.app.inject({ method: 'GET', url: `/v1/leads/${body.leadId}`, headers: bearer(t.keys.read) });
    expect(lead.statusCode).toBe(200);
    expect(lead.json()).toMatchObject({
      id: body.leadId,
      status: 'new',
      entryPath: 'web_form',
      contact: { name: 'Ada Lovelace', email, phone: '+33142685300' },
      timeZone: 'Europe/Paris',
      source: { system: 'typeform', campaign: 'spring' },
      context: { painPoints: ['manual quotes'], timeline: 'Q3', budgetSignals: [], stakeholders: [], objections: [] },
      attributes: { seats: 12, urgent: true },
    });
    expect(lead.json().source).not.toHaveProperty('gclid');

    const [event, ...more] = await eventsOf(body.leadId);
    expect(more).toEqual([]);
    expect(event).toMatchObject({
      type: 'lead.captured',
      source: 'baton.capture',
      subject: body.leadId,
      tenantid: t.tenant.id,
      correlationid: 'corr-capture-1',
      data: { entryPath: 'web_form', contact: { email, phone: '+33142685300' }, completeness: body.completeness },
    });
  });

  it('names each bad field in a 400 and stores nothing', async () => {
    const before = await storedCounts(t.harness);
    const res = await post({ entryPath: 'fax', contact: { emial: 'a@b.co', phone: 5 }, context: { painPoints: 'many' } });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const fields = res.json().errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['body.entryPath', 'body.contact.emial', 'body.contact.phone', 'body.context.painPoints']));
    expect(await storedCounts(t.harness)).toEqual(before);
  });

  it('rejects a phone, email or time zone that cannot be normalised with 400 naming the field', async () => {
    const before = await storedCounts(t.harness);
    const res = await post({ entryPath: 'phone', contact: { phone: '555', email: 'ada@' }, timeZone: 'Mars/Base' });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors.map((e: { field: string }) => e.field).sort()).toEqual(['body.contact.email', 'body.contact.phone', 'body.timeZone']);
    expect(await storedCounts(t.harness)).toEqual(before);
  });

  it('names a bad email, phone and time zone in the same 400 as the schema errors, not only once those are fixed', async () => {
    const before = await storedCounts(t.harness);
    const res = await post({ entryPath: 'fax', contact: { email: 'ada@', phone: '555' }, timeZone: 'Mars/Base' });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors.map((e: { field: string }) => e.field).sort()).toEqual(['body.contact.email', 'body.contact.phone', 'body.entryPath', 'body.timeZone']);
    expect(await storedCounts(t.harness)).toEqual(before);
  });

  it('refuses text Postgres cannot store with a 400, not a 500', async () => {
    const res = await post({ entryPath: 'chat', context: { notes: 'nul \u0000 here' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ field: 'body.context.notes', message: expect.stringContaining('NUL') }]);
  });

  it('answers 413 for a body over the limit', async () => {
    const res = await post({ entryPath: 'chat', context: { notes: 'x'.repeat(2 * 1024 * 1024) } });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'payload_too_large' });
  });

  it('answers 413 for a lead whose event would be too large to publish, and stores nothing', async () => {
    // Control characters take six bytes each once escaped in JSON: a body under 1 MiB, an event over 512 KiB.
    const attributes = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`a${i}`, '\u0001'.repeat(1000)]));
    const before = await storedCounts(t.harness);
    const res = await post({ entryPath: 'chat', attributes });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'lead_too_large' });
    expect(await storedCounts(t.harness)).toEqual(before);
  });

  describe('duplicates', () => {
    it('merges a capture with the same email into the recent lead, which the answer names', async () => {
      const email = uniqueEmail();
      const first = await post({ entryPath: 'web_form', contact: { email }, context: { painPoints: ['a'] } });
      const { leadId } = first.json();
      const again = await post({ entryPath: 'phone', contact: { email: email.toUpperCase(), phone: '+33142685300' }, source: { system: 'dialer' }, context: { painPoints: ['b'], timeline: 'soon' } });
      expect(again.statusCode).toBe(200);
      expect(again.json()).toMatchObject({ leadId, status: 'merged', joinedLeadId: leadId });
      const [, updated] = await eventsOf(leadId);
      expect(updated).toMatchObject({
        type: 'lead.updated',
        subject: leadId,
        data: {
          changes: { contact: { email, phone: '+33142685300' }, timeZone: 'Europe/Paris', context: { painPoints: ['a', 'b'], timeline: 'soon' } },
          mergedFrom: { entryPath: 'phone', source: { system: 'dialer' } },
        },
      });
      const { rows } = await sql<{ type: string }>`SELECT type FROM activities WHERE lead_id = ${leadId}`.execute(t.harness.db);
      expect(rows).toEqual([{ type: 'merged' }]);
    });

    it('matches on the normalised phone whatever its format', async () => {
      const phone = uniquePhone();
      const national = `(${phone.slice(2, 5)}) ${phone.slice(5, 8)}-${phone.slice(8)}`;
      const first = (await post({ entryPath: 'phone', contact: { phone } })).json();
      const again = await post({ entryPath: 'phone', contact: { phone: national } });
      expect(again.json()).toMatchObject({ status: 'merged', joinedLeadId: first.leadId });
    });

    it('creates a new lead once the window has passed, for another tenant, or after the lead closed', async () => {
      const email = uniqueEmail();
      const first = (await post({ entryPath: 'chat', contact: { email } })).json();
      t.clock.set(new Date(Date.now() + 31 * 86_400_000));
      const later = (await post({ entryPath: 'chat', contact: { email } })).json();
      expect(later).toMatchObject({ status: 'created' });
      expect(later.leadId).not.toBe(first.leadId);
      t.clock.reset();

      const other = await t.newTenant();
      expect((await post({ entryPath: 'chat', contact: { email } }, other.key)).json()).toMatchObject({ status: 'created' });

      const closedEmail = uniqueEmail();
      const closing = (await post({ entryPath: 'chat', contact: { email: closedEmail } })).json();
      const activity = { type: 'closed', outcome: 'lost' };
      await t.app.inject({ method: 'POST', url: `/v1/leads/${closing.leadId}/activities`, headers: bearer(t.keys.write), payload: activity });
      expect((await post({ entryPath: 'chat', contact: { email: closedEmail } })).json()).toMatchObject({ status: 'created' });
    });

    it("honours the tenant's duplicate window", async () => {
      const { key } = await t.newTenant({ duplicateWindowDays: 1 });
      const email = uniqueEmail();
      await post({ entryPath: 'chat', contact: { email } }, key);
      t.clock.set(new Date(Date.now() + 2 * 86_400_000));
      expect((await post({ entryPath: 'chat', contact: { email } }, key)).json()).toMatchObject({ status: 'created' });
    });

    it('given 20 concurrent captures of one contact, then exactly one lead exists and the others joined it', async () => {
      const email = uniqueEmail();
      const phone = uniquePhone();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => post({ entryPath: 'web_form', contact: i % 2 ? { email } : { email, phone }, context: { painPoints: [`p${i}`] } })),
      );
      const bodies = results.map((res) => res.json());
      expect(bodies.filter((b) => b.status === 'created')).toHaveLength(1);
      expect(new Set(bodies.map((b) => b.leadId)).size).toBe(1);
      const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM leads WHERE email = ${email}`.execute(t.harness.db);
      expect(Number(rows[0]?.n)).toBe(1);
      const lead = (await t.app.inject({ method: 'GET', url: `/v1/leads/${bodies[0].leadId}`, headers: bearer(t.keys.read) })).json();
      // No merge overwrote another: every capture's pain point survived.
      expect(lead.context.painPoints).toHaveLength(20);
    });
  });
});
