import { bearer, openCaptureApp, uniqueEmail, type CaptureTestApp } from '../support.js';

describe('GET /v1/leads/{id} and GET /v1/leads', () => {
  let t: CaptureTestApp;
  let other: { key: string };
  const ids: string[] = [];
  const start = Date.parse('2030-01-01T00:00:00Z');

  const get = (url: string, key = t.keys.read) => t.app.inject({ method: 'GET', url, headers: bearer(key) });

  beforeAll(async () => {
    t = await openCaptureApp();
    other = await t.newTenant();
    // Seven leads a minute apart, two of them sharing a timestamp: the id breaks the tie.
    const times = [0, 1, 2, 2, 3, 4, 5].map((minute) => new Date(start + minute * 60_000));
    for (const at of times) {
      t.clock.set(at);
      const res = await t.app.inject({ method: 'POST', url: '/v1/leads', headers: bearer(t.keys.write), payload: { entryPath: 'chat', contact: { email: uniqueEmail() } } });
      ids.push(res.json().leadId);
    }
    t.clock.reset();
    await t.app.inject({ method: 'POST', url: '/v1/leads', headers: bearer(other.key), payload: { entryPath: 'chat' } });
  });
  afterAll(() => t.close());

  it("answers 404 for another tenant's lead and for an unknown id, 400 for a malformed one", async () => {
    expect((await get(`/v1/leads/${ids[0]}`)).statusCode).toBe(200);
    const foreign = await get(`/v1/leads/${ids[0]}`, other.key);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json()).toMatchObject({ code: 'not_found' });
    expect((await get('/v1/leads/00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
    const malformed = await get('/v1/leads/not-a-uuid');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().errors[0].field).toBe('params.id');
  });

  it('needs leads:read', async () => {
    const { tenant, key } = await t.newTenant();
    const writeOnly = await t.identity.createApiKey({ tenantSlug: tenant.slug, scopes: ['leads:write'] });
    expect((await get('/v1/leads', writeOnly.key)).statusCode).toBe(403);
    expect((await get('/v1/leads', key)).statusCode).toBe(200);
  });

  it('pages through the tenant\'s leads in (updatedAt, id) order with an opaque cursor', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await get(`/v1/leads?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      seen.push(...body.leads.map((lead: { id: string }) => lead.id));
      cursor = body.nextCursor;
      if (!body.hasMore) break;
    }
    const sameTime = [ids[2]!, ids[3]!].sort();
    expect(seen).toEqual([ids[0], ids[1], ...sameTime, ids[4], ids[5], ids[6]]);
    // Polling from the last cursor finds nothing new, and keeps the position.
    const poll = (await get(`/v1/leads?cursor=${cursor}`)).json();
    expect(poll).toEqual({ leads: [], nextCursor: cursor, hasMore: false });
  });

  it('starts at updatedSince, inclusive', async () => {
    const since = new Date(start + 4 * 60_000).toISOString();
    const body = (await get(`/v1/leads?updatedSince=${encodeURIComponent(since)}`)).json();
    expect(body.leads.map((lead: { id: string }) => lead.id)).toEqual([ids[5], ids[6]]);
    expect(body.leads[0]).toMatchObject({ entryPath: 'chat', status: 'new', updatedAt: since });
  });

  it('rejects a forged cursor, a bad limit and unknown query parameters with 400 naming them', async () => {
    const forged = await get('/v1/leads?cursor=bm9wZQ');
    expect(forged.statusCode).toBe(400);
    expect(forged.json().errors).toEqual([{ field: 'query.cursor', message: 'is not a cursor this API issued' }]);
    expect((await get('/v1/leads?limit=0')).json().errors[0].field).toBe('query.limit');
    expect((await get('/v1/leads?limit=501')).statusCode).toBe(400);
    expect((await get('/v1/leads?updatedsince=2020-01-01T00:00:00Z')).json().errors[0].field).toBe('query.updatedsince');
  });
});
