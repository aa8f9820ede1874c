import { createLogger } from '@baton/kit';
import { sql } from 'kysely';
import { bearer, openCaptureApp, storedCounts, uniqueEmail, uniquePhone, type CaptureTestApp } from '../support.js';

describe('Idempotency-Key, rate limits and logs', () => {
  let t: CaptureTestApp;
  const logLines: string[] = [];

  beforeAll(async () => {
    const logger = createLogger({ name: 'capture', level: 'debug', destination: { write: (line: string) => void logLines.push(line) } });
    t = await openCaptureApp({ logger });
  });
  afterAll(() => t.close());

  const post = (url: string, body: object, headers: Record<string, string> = {}, key = t.keys.write) =>
    t.app.inject({ method: 'POST', url, headers: { ...bearer(key), ...headers }, payload: body });

  it('replays the first answer for the same key and body, storing the lead and its event once', async () => {
    const body = { entryPath: 'web_form', contact: { email: uniqueEmail() } };
    const key = { 'idempotency-key': `k-${uniqueEmail()}` };
    const first = await post('/v1/leads', body, key);
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const before = await storedCounts(t.harness);
    const again = await post('/v1/leads', body, key);
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(await storedCounts(t.harness)).toEqual(before);
    const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM outbox WHERE message_key = ${first.json().leadId}`.execute(t.harness.db);
    expect(Number(rows[0]?.n)).toBe(1);
  });

  it('captures once for concurrent requests with one key: one lead, one event, the same answer to all', async () => {
    const email = uniqueEmail();
    const key = { 'idempotency-key': `k-${email}` };
    const body = { entryPath: 'web_form', contact: { email } };
    // Sent together, they meet in one batch statement or queue behind the first on the key.
    const responses = await Promise.all(Array.from({ length: 8 }, () => post('/v1/leads', body, key)));
    expect(responses.map((r) => r.statusCode)).toEqual(Array(8).fill(201));
    for (const response of responses) expect(response.json()).toEqual(responses[0]?.json());
    expect(responses.filter((r) => r.headers['idempotent-replayed'] !== 'true')).toHaveLength(1);
    const { rows } = await sql<{ leads: string; events: string }>`
      SELECT (SELECT count(*) FROM leads WHERE email = ${email}) AS leads,
             (SELECT count(*) FROM outbox WHERE message_key = ${responses[0]?.json().leadId}) AS events`.execute(t.harness.db);
    expect(rows[0]).toEqual({ leads: '1', events: '1' });
  });

  it('answers 422 to every concurrent request that reuses a key with another body, storing one lead', async () => {
    const key = { 'idempotency-key': `k-${uniqueEmail()}` };
    // New contacts each: the requests meet on the key alone, in a batch statement or queued behind it.
    const emails = Array.from({ length: 12 }, uniqueEmail);
    const responses = await Promise.all(emails.map((email) => post('/v1/leads', { entryPath: 'web_form', contact: { email } }, key)));
    expect(responses.map((r) => r.statusCode).sort()).toEqual([201, ...Array(11).fill(422)]);
    const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM leads WHERE email = ANY(${emails}::text[])`.execute(t.harness.db);
    expect(Number(rows[0]?.n)).toBe(1);
  });

  it('replays a capture that merged into an existing lead, without merging again', async () => {
    const email = uniqueEmail();
    const leadId = (await post('/v1/leads', { entryPath: 'chat', contact: { email } })).json().leadId;
    const key = { 'idempotency-key': `k-${email}` };
    const body = { entryPath: 'phone', contact: { email, phone: uniquePhone() } };
    const merged = await post('/v1/leads', body, key);
    expect(merged.statusCode).toBe(200);
    expect(merged.json()).toMatchObject({ status: 'merged', joinedLeadId: leadId });
    const before = await storedCounts(t.harness);
    const again = await post('/v1/leads', body, key);
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(merged.json());
    expect(await storedCounts(t.harness)).toEqual(before);
  });

  it('answers 422 when the key comes back with another body, and stores nothing', async () => {
    const key = { 'idempotency-key': `k-${uniqueEmail()}` };
    await post('/v1/leads', { entryPath: 'chat', contact: { email: uniqueEmail() } }, key);
    const before = await storedCounts(t.harness);
    const reused = await post('/v1/leads', { entryPath: 'chat', contact: { email: uniqueEmail() } }, key);
    expect(reused.statusCode).toBe(422);
    expect(reused.json()).toMatchObject({ code: 'idempotency_key_reused' });
    expect(await storedCounts(t.harness)).toEqual(before);
  });

  it('stores nothing for a rejected request, so its key stays free', async () => {
    const key = { 'idempotency-key': `k-${uniqueEmail()}` };
    expect((await post('/v1/leads', { entryPath: 'chat', contact: { phone: '1' } }, key)).statusCode).toBe(400);
    expect((await post('/v1/leads', { entryPath: 'chat', contact: { phone: uniquePhone() } }, key)).statusCode).toBe(201);
  });

  it('replays an activity instead of judging the transition again', async () => {
    const leadId = (await post('/v1/leads', { entryPath: 'chat' })).json().leadId;
    const key = { 'idempotency-key': `k-${uniqueEmail()}` };
    const close = { type: 'closed', outcome: 'lost', reason: 'price' };
    const first = await post(`/v1/leads/${leadId}/activities`, close, key);
    const again = await post(`/v1/leads/${leadId}/activities`, close, key);
    expect(again.statusCode).toBe(201);
    expect(again.json()).toEqual(first.json());
    // Without the key the same request is a new one, and a closed lead cannot close again.
    expect((await post(`/v1/leads/${leadId}/activities`, close)).statusCode).toBe(409);
  });

  it('limits each key per minute: 429 problem+json with Retry-After', async () => {
    const slow = await t.identity.createApiKey({ tenantSlug: t.tenant.slug, scopes: ['leads:write'], rateLimitPerMinute: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await post('/v1/leads', { entryPath: 'chat' }, {}, slow.key)).statusCode);
    expect(statuses).toEqual([201, 201, 201, 429]);
    const limited = await post('/v1/leads', { entryPath: 'chat' }, {}, slow.key);
    expect(limited.headers['content-type']).toContain('application/problem+json');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json()).toMatchObject({ code: 'rate_limited' });
    // Other keys have their own budget.
    expect((await post('/v1/leads', { entryPath: 'chat' })).statusCode).toBe(201);
  });

  it('logs lead ids, never names, emails or phones', async () => {
    const email = uniqueEmail();
    const phone = uniquePhone();
    const res = await post('/v1/leads', { entryPath: 'phone', contact: { name: 'Grace Hopper', email, phone } });
    await post('/v1/leads', { entryPath: 'phone', contact: { name: 'Grace Hopper', email, phone: '(415) 000-0000' } });
    const text = logLines.join('');
    // The kit's completion line names the lead: one line per request, ids only.
    const completed = logLines.map((line) => JSON.parse(line)).find((line) => line.leadId === res.json().leadId);
    expect(completed).toMatchObject({ msg: 'request completed', route: '/v1/leads', statusCode: 201, outcome: 'created' });
    for (const personal of ['Grace', email, phone, phone.slice(2), '000-0000']) expect(text).not.toContain(personal);
  });
});
