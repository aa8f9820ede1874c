import { sql } from 'kysely';
import { bearer, openCaptureApp, storedCounts, uniqueEmail, type CaptureTestApp } from '../support.js';

describe('POST /v1/leads/batch', () => {
  let t: CaptureTestApp;

  beforeAll(async () => {
    t = await openCaptureApp();
  });
  afterAll(() => t.close());

  const postBatch = (leads: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: '/v1/leads/batch', headers: { ...bearer(t.keys.write), ...headers }, payload: { leads } as object });

  it('accepts or rejects each lead on its own, with per-item errors naming fields', async () => {
    const email = uniqueEmail();
    const res = await postBatch([
      { entryPath: 'web_form', contact: { email } },
      { entryPath: 'web_form', contact: { phone: '12' } },
      { entryPath: 'nope', surprise: true, contact: { phone: '12' } },
      // Repeats the first item's contact: joins the lead created a moment earlier in the same batch.
      { entryPath: 'phone', contact: { email: email.toUpperCase() } },
      'not even an object',
    ]);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ accepted: 2, rejected: 3 });
    const [first, badPhone, badShape, merged, notObject] = body.results;
    expect(first).toMatchObject({ index: 0, status: 'created', leadId: expect.any(String), completeness: { score: expect.any(Number) } });
    expect(badPhone).toEqual({ index: 1, status: 'rejected', errors: [{ field: 'body.leads.1.contact.phone', message: expect.any(String) }] });
    // The phone (checked after the schema, with the tenant's region) is named with the schema errors.
    expect(badShape.errors.map((e: { field: string }) => e.field).sort()).toEqual(['body.leads.2.contact.phone', 'body.leads.2.entryPath', 'body.leads.2.surprise']);
    expect(merged).toMatchObject({ index: 3, status: 'merged', joinedLeadId: first.leadId });
    expect(notObject).toMatchObject({ index: 4, status: 'rejected', errors: [{ field: 'body.leads.4' }] });
    const { rows } = await sql<{ event_type: string }>`SELECT event_type FROM outbox WHERE message_key = ${first.leadId} ORDER BY id`.execute(t.harness.db);
    expect(rows.map((r) => r.event_type)).toEqual(['lead.captured', 'lead.updated']);
  });

  it('takes every item\'s contact lock before writing any item, so it cannot deadlock with a capture holding one of them', async () => {
    // Two contacts where the second sorts first in the global lock order (the hash), the first in the body.
    const emails = Array.from({ length: 20 }, uniqueEmail);
    const keyOf = (email: string) => `${t.tenant.id}:email:${email}`;
    const { rows } = await sql<{ email: string }>`
      SELECT e AS email FROM unnest(${emails}::text[]) AS e ORDER BY hashtextextended(${t.tenant.id} || ':email:' || e, 0)`.execute(t.harness.db);
    const [sortsFirst, sortsLast] = [rows[0]!.email, rows.at(-1)!.email];
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const holding = new Promise<void>((resolve) => (locked = resolve));
    const holder = t.harness.db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtextextended(${keyOf(sortsFirst)}, 0))`.execute(trx);
      locked();
      await released;
    });
    await holding;
    const batch = postBatch([{ entryPath: 'web_form', contact: { email: sortsLast } }, { entryPath: 'web_form', contact: { email: sortsFirst } }]);
    try {
      await new Promise((r) => setTimeout(r, 300));
      // Item by item, the batch would now hold the first item's lock while it waits for ours.
      const { rows: free } = await t.harness.db.transaction().execute((trx) =>
        sql<{ got: boolean }>`SELECT pg_try_advisory_xact_lock(hashtextextended(${keyOf(sortsLast)}, 0)) AS got`.execute(trx));
      expect(free[0]?.got).toBe(true);
    } finally {
      release();
      await holder;
    }
    expect((await batch).json()).toMatchObject({ accepted: 2, rejected: 0 });
  });

  it('rejects alone an item whose event would be too large to publish', async () => {
    const attributes = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`a${i}`, '\u0001'.repeat(1000)]));
    const res = await postBatch([{ entryPath: 'chat', attributes }, { entryPath: 'chat', contact: { email: uniqueEmail() } }]);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      accepted: 1,
      rejected: 1,
      results: [{ index: 0, status: 'rejected', errors: [{ field: 'body.leads.0', message: expect.stringContaining('too large') }] }, { index: 1, status: 'created' }],
    });
  });

  it('takes 500 leads in one request', async () => {
    const leads = Array.from({ length: 500 }, () => ({ entryPath: 'web_form', contact: { email: uniqueEmail() }, context: { painPoints: ['x'] } }));
    const res = await postBatch(leads);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ accepted: 500, rejected: 0 });
  });

  it('refuses more than 500, or none, with a 400 naming the list, and stores nothing', async () => {
    const before = await storedCounts(t.harness);
    const tooMany = await postBatch(Array.from({ length: 501 }, () => ({ entryPath: 'chat' })));
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().errors[0].field).toBe('body.leads');
    expect((await postBatch([])).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'POST', url: '/v1/leads/batch', headers: bearer(t.keys.write), payload: [] })).statusCode).toBe(400);
    expect(await storedCounts(t.harness)).toEqual(before);
  });

  it('replays the whole batch answer for the same Idempotency-Key', async () => {
    const leads = [{ entryPath: 'chat', contact: { email: uniqueEmail() } }, { entryPath: 'chat', contact: { phone: 'x' } }];
    const key = `batch-${uniqueEmail()}`;
    const first = await postBatch(leads, { 'idempotency-key': key });
    const before = await storedCounts(t.harness);
    const again = await postBatch(leads, { 'idempotency-key': key });
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(await storedCounts(t.harness)).toEqual(before);
  });
});
