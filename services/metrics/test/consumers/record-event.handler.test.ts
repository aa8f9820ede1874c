import { openServiceHarness, type ServiceHarness } from '@baton/testing';
import { sql } from 'kysely';
import { createIntakeRecorder } from '../../src/consumers/record-event.handler.js';
import { SERVICE_NAME } from '../../src/config.js';
import { migrations } from '../../src/db/migrations/index.js';
import type { Database } from '../../src/db/schema.js';
import { captured, newLead } from '../fixtures/events.js';

// The recorder holds each transaction's events until the consumer's beforeCommit hook, then writes them in one
// statement. Partitions run their transactions concurrently on one recorder, and a chunk that fails is
// rolled back and replayed: what is pending must belong to exactly one transaction.

const intakeIds = async (h: ServiceHarness<Database>) =>
  (await sql<{ id: string }>`SELECT payload->>'id' AS id FROM intake ORDER BY id`.execute(h.db)).rows.map((r) => r.id);

describe('intake recorder', () => {
  let h: ServiceHarness<Database>;

  beforeAll(async () => {
    h = await openServiceHarness<Database>(SERVICE_NAME, migrations);
  });

  afterAll(() => h.close());

  beforeEach(() => sql`TRUNCATE intake`.execute(h.db));

  it('writes nothing until the hook, then every event of the transaction, without personal data', async () => {
    const recorder = createIntakeRecorder();
    const events = [1, 2, 3].map((d) => captured(newLead('t1'), `2025-03-0${d}T10:00:00.000Z`));
    await h.db.transaction().execute(async (trx) => {
      for (const event of events) await recorder.handle(event, trx);
      expect((await sql`SELECT 1 FROM intake`.execute(trx)).rows).toHaveLength(0);
      await recorder.beforeCommit(trx);
    });
    expect(await intakeIds(h)).toEqual(events.map((e) => e.id).sort());
    const { rows } = await sql<{ payload: string }>`SELECT payload::text FROM intake`.execute(h.db);
    for (const { payload } of rows) expect(payload).not.toMatch(/person@example\.com|Test Person|\+14155550123|call after 3pm/);
  });

  it('keeps concurrent transactions apart, and drops what a rolled-back transaction held', async () => {
    const recorder = createIntakeRecorder();
    const [a1, a2, b1, c1] = [1, 2, 3, 4].map((d) => captured(newLead('t1'), `2025-03-0${d}T10:00:00.000Z`));
    let releaseA!: () => void;
    const aMayFail = new Promise<void>((resolve) => (releaseA = resolve));
    // A takes two events and then fails before its hook (as a chunk with a bad event does); B runs meanwhile.
    const a = h.db.transaction().execute(async (trx) => {
      await recorder.handle(a1!, trx);
      await recorder.handle(a2!, trx);
      await aMayFail;
      throw new Error('chunk failed');
    });
    await h.db.transaction().execute(async (trx) => {
      await recorder.handle(b1!, trx);
      await recorder.beforeCommit(trx);
    });
    releaseA();
    await expect(a).rejects.toThrow('chunk failed');
    // The next transaction writes its own event only, not what A left behind.
    await h.db.transaction().execute(async (trx) => {
      await recorder.handle(c1!, trx);
      await recorder.beforeCommit(trx);
    });
    expect(await intakeIds(h)).toEqual([b1!.id, c1!.id].sort());
  });

  it('writes nothing for a transaction that handled nothing (every event a duplicate)', async () => {
    const recorder = createIntakeRecorder();
    await h.db.transaction().execute((trx) => recorder.beforeCommit(trx));
    expect(await intakeIds(h)).toEqual([]);
  });
});
