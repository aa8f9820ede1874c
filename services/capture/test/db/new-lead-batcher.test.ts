import { createEvent, exampleEvents } from '@baton/contracts';
import { randomUUID } from 'node:crypto';
import { sql, type KyselyPlugin } from 'kysely';
import type { NewLeadWrite } from '../../src/db/lead.repository.js';
import { createNewLeadBatcher } from '../../src/db/new-lead-batcher.js';
import { openCaptureApp, type CaptureTestApp } from '../support.js';

let t: CaptureTestApp;
beforeAll(async () => {
  t = await openCaptureApp();
});
afterAll(() => t.close());

const topic = 'new-lead-batcher-test';

/** A new lead's write as captureLead prepares it: contact locks, window, and its lead.captured event. */
function newLead(email: string, tenantId: string = t.tenant.id, opts: { phone?: string; since?: Date } = {}): NewLeadWrite {
  const contact = opts.phone === undefined ? { email } : { email, phone: opts.phone };
  const data = { ...exampleEvents['lead.captured'], contact, capturedAt: new Date().toISOString() };
  const event = createEvent({ type: 'lead.captured', source: 'baton.capture', subject: randomUUID(), tenantid: t.tenant.id, data });
  // tenantId is only overridden to make Postgres refuse the row (it is cast to uuid there).
  const eventJson = JSON.stringify({ ...event, tenantid: tenantId });
  const lockKeys = [`${tenantId}:email:${email}`, ...(opts.phone === undefined ? [] : [`${tenantId}:phone:${opts.phone}`])];
  return { lockKeys, since: opts.since ?? new Date(Date.now() - 86_400_000), eventJson, topic };
}

const email = () => `batch-${randomUUID()}@example.com`;
const phone = () => `+1415${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;

async function storedLeads(emails: string[]): Promise<number> {
  const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM leads WHERE email = ANY(${emails}::text[])`.execute(t.harness.db);
  return Number(rows[0]?.n);
}

async function outboxRows(emails: string[]): Promise<number> {
  const { rows } = await sql<{ n: string }>`
    SELECT count(*) AS n FROM outbox WHERE payload->'data'->'contact'->>'email' = ANY(${emails}::text[])`.execute(t.harness.db);
  return Number(rows[0]?.n);
}

/** Counts the statements sent to capture_new_leads through this handle. */
function countingDb() {
  const counter = { statements: 0 };
  const plugin: KyselyPlugin = {
    transformQuery(args) {
      counter.statements += 1;
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
  return { db: t.harness.db.withPlugin(plugin), counter };
}

describe('new lead batcher', () => {
  it('given leads arriving while a statement runs, then they share the next statement and each is stored with its event', async () => {
    const { db, counter } = countingDb();
    const batcher = createNewLeadBatcher(db, { maxInFlight: 1 });
    const emails = Array.from({ length: 12 }, email);
    const outcomes = await Promise.all(emails.map((e) => batcher.write(newLead(e))));
    expect(outcomes).toEqual(emails.map(() => 'created'));
    // The first went alone; the eleven that queued behind it went together.
    expect(counter.statements).toBe(2);
    expect(await storedLeads(emails)).toBe(12);
    expect(await outboxRows(emails)).toBe(12);
  });

  it('given a lead repeating an earlier lead of the same batch, then only the first is stored and the repeat is reported as a duplicate', async () => {
    const batcher = createNewLeadBatcher(t.harness.db, { maxInFlight: 1 });
    const [first, second] = [email(), email()];
    const outcomes = await Promise.all([first, first, second, first].map((e) => batcher.write(newLead(e))));
    expect(outcomes).toEqual(['created', 'duplicate', 'created', 'duplicate']);
    expect(await storedLeads([first, second])).toBe(2);
    expect(await outboxRows([first, second])).toBe(2);
  });

  it('given stored leads, then a batch reports only repeats of open leads inside the window as duplicates', async () => {
    const [open, closed, old, sharedPhone] = [email(), email(), email(), phone()];
    const batcher = createNewLeadBatcher(t.harness.db, { maxInFlight: 1 });
    await Promise.all([open, closed, old].map((e) => batcher.write(newLead(e))));
    await sql`UPDATE leads SET status = 'closed' WHERE email = ${closed}`.execute(t.harness.db);
    const fresh = email();
    const outcomes = await Promise.all([
      batcher.write(newLead(open)),
      batcher.write(newLead(closed)),
      // A window that starts after the stored lead was created: too old to be the same lead.
      batcher.write(newLead(old, t.tenant.id, { since: new Date(Date.now() + 60_000) })),
      batcher.write(newLead(fresh, t.tenant.id, { phone: sharedPhone })),
      // Another email, but the phone of the lead just before it in the same batch.
      batcher.write(newLead(email(), t.tenant.id, { phone: sharedPhone })),
    ]);
    expect(outcomes).toEqual(['duplicate', 'created', 'created', 'created', 'duplicate']);
    expect(await storedLeads([open, closed, old, fresh])).toBe(6);
  });

  it('given one lead Postgres refuses in a batch, then only that lead fails and the others are stored', async () => {
    const batcher = createNewLeadBatcher(t.harness.db, { maxInFlight: 1 });
    const emails = Array.from({ length: 5 }, email);
    const settled = await Promise.allSettled(emails.map((e, i) => batcher.write(newLead(e, i === 3 ? 'not-a-uuid' : t.tenant.id))));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(await storedLeads(emails)).toBe(4);
    expect(await outboxRows(emails)).toBe(4);
  });

  it('given a batch that failed without an answer from Postgres, then its requests fail and nothing is written twice', async () => {
    // A statement that never reached Postgres (or whose answer was lost) may have committed: no retries.
    let statements = 0;
    const plugin: KyselyPlugin = {
      transformQuery() {
        statements += 1;
        throw new Error('connection terminated unexpectedly');
      },
      transformResult: async (args) => args.result,
    };
    const batcher = createNewLeadBatcher(t.harness.db.withPlugin(plugin), { maxInFlight: 1 });
    const emails = Array.from({ length: 3 }, email);
    const settled = await Promise.allSettled(emails.map((e) => batcher.write(newLead(e))));
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected']);
    // One statement for the first lead, one for the two that queued behind it: none retried alone.
    expect(statements).toBe(2);
  });
});
