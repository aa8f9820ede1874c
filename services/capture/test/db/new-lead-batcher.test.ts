import { createEvent, exampleEvents } from '@baton/contracts';
import { whileLockHeld } from '@baton/testing';
import { randomUUID } from 'node:crypto';
import { sql, type KyselyPlugin } from 'kysely';
import type { NewLeadWrite } from '../../src/db/lead.repository.js';
import { createNewLeadBatcher, type KeyedNewLeadWrite } from '../../src/db/new-lead-batcher.js';
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

  describe('with an Idempotency-Key', () => {
    /** The write a keyed capture hands the batcher: the claim withIdempotency would make, and its response. */
    function keyed(write: NewLeadWrite, key = `key-${randomUUID()}`): KeyedNewLeadWrite {
      const leadId = (JSON.parse(write.eventJson) as { subject: string }).subject;
      const claim = { tenantId: t.tenant.id, key, fingerprint: `fingerprint-${leadId}`, ttlSeconds: 3600 };
      return { ...write, idempotency: { claim, response: { status: 201, body: { leadId } } } };
    }
    const storedKey = async (key: string) =>
      (await sql<{ fingerprint: string; status: number; body: unknown; live: boolean }>`
        SELECT fingerprint, status, body, expires_at > now() AS live FROM idempotency_keys WHERE tenant_id = ${t.tenant.id} AND key = ${key}`.execute(t.harness.db)).rows[0];

    it('given keyed and unkeyed new leads arriving together, then they share a statement and each key is stored with its response', async () => {
      const { db, counter } = countingDb();
      const batcher = createNewLeadBatcher(db, { maxInFlight: 1 });
      const writes = Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? keyed(newLead(email())) : newLead(email())));
      const outcomes = await Promise.all(writes.map((w) => batcher.write(w)));
      expect(outcomes).toEqual(writes.map(() => 'created'));
      expect(counter.statements).toBe(2);
      for (const write of writes.filter((w): w is KeyedNewLeadWrite => 'idempotency' in w)) {
        const { claim, response } = write.idempotency;
        expect(await storedKey(claim.key)).toEqual({ fingerprint: claim.fingerprint, status: 201, body: response.body, live: true });
      }
    });

    it('given a key repeated in the batch, a key already answered and an expired key, then only the first use and the expired key are claimed', async () => {
      const batcher = createNewLeadBatcher(t.harness.db, { maxInFlight: 1 });
      const answered = keyed(newLead(email()));
      const expired = keyed(newLead(email()));
      await Promise.all([batcher.write(answered), batcher.write(expired)]);
      await sql`UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = ${expired.idempotency.claim.key}`.execute(t.harness.db);
      const repeated = `key-${randomUUID()}`;
      const writes = [keyed(newLead(email()), repeated), keyed(newLead(email()), repeated), keyed(newLead(email()), answered.idempotency.claim.key), keyed(newLead(email()), expired.idempotency.claim.key)];
      // The first lead occupies the one statement in flight, so the four keyed ones queue into one batch,
      // which Postgres takes as it is (no retry of its leads one by one).
      const { db, counter } = countingDb();
      const judging = createNewLeadBatcher(db, { maxInFlight: 1 });
      const outcomes = await Promise.all([newLead(email()), ...writes].map((w) => judging.write(w)));
      expect(outcomes).toEqual(['created', 'created', 'taken', 'taken', 'created']);
      expect(counter.statements).toBe(2);
      const emailOf = (w: NewLeadWrite) => (JSON.parse(w.eventJson) as { data: { contact: { email: string } } }).data.contact.email;
      expect(await storedLeads(writes.map(emailOf))).toBe(2);
      expect(await outboxRows(writes.map(emailOf))).toBe(2);
      expect((await storedKey(repeated))?.body).toEqual(writes[0]!.idempotency.response.body);
      expect((await storedKey(answered.idempotency.claim.key))?.body).toEqual(answered.idempotency.response.body);
      expect(await storedKey(expired.idempotency.claim.key)).toMatchObject({ body: writes[3]!.idempotency.response.body, live: true });
    });

    it('given a key whose lock another transaction holds, then the batch reports it taken without waiting and stores the rest', async () => {
      const batcher = createNewLeadBatcher(t.harness.db, { maxInFlight: 1 });
      const held = keyed(newLead(email()));
      const other = newLead(email());
      const { key } = held.idempotency.claim;
      // Were the statement to wait for the lock, it would wait for this very callback: the test would time out.
      const outcomes = await whileLockHeld(t.harness.db, (trx) => sql`SELECT pg_advisory_xact_lock(idempotency_lock_id(${t.tenant.id}, ${key}))`.execute(trx), () =>
        Promise.all([batcher.write(newLead(email())), batcher.write(held), batcher.write(other)]));
      expect(outcomes).toEqual(['created', 'taken', 'created']);
      expect(await storedKey(key)).toBeUndefined();
    });

    it('given a keyed lead that meets a duplicate, then its key is left unclaimed for the merge to claim', async () => {
      const batcher = createNewLeadBatcher(t.harness.db, { maxInFlight: 1 });
      const repeated = email();
      await batcher.write(newLead(repeated));
      const write = keyed(newLead(repeated));
      expect(await batcher.write(write)).toBe('duplicate');
      expect(await storedKey(write.idempotency.claim.key)).toBeUndefined();
    });
  });
});
