import { decodeEvent, type LifecycleEvent } from '@baton/contracts';
import { openServiceHarness, type ServiceHarness } from '@baton/testing';
import { SERVICE_NAME } from '../src/config.js';
import { migrations } from '../src/db/migrations/index.js';
import type { Database } from '../src/db/schema.js';
import { rebuildProjections } from '../src/projection/rebuild.js';
import { verifyProjections } from '../src/projection/verify.js';
import { getFunnel, getScorecard } from '../src/queries/reports.js';
import { loadDirect, seeded, syntheticLead } from './fixtures/synthetic.js';

// Given a year of synthetic leads for two tenants (every kind of drop-off, owners, reschedules, late claims),
// loaded in batches that split leads' histories across transactions, the served funnel equals the recount
// from the log, and a rebuild lands on the same numbers.

describe('a year of synthetic leads', () => {
  let harness: ServiceHarness<Database>;
  const tenants = ['synthetic-a', 'synthetic-b'];

  beforeAll(async () => {
    harness = await openServiceHarness<Database>(SERVICE_NAME, migrations);
    const rng = seeded(42);
    const events: LifecycleEvent[] = [];
    for (let i = 0; i < 400; i++) events.push(...syntheticLead(tenants[i % 2]!, rng));
    expect(events.slice(0, 300).every((event) => decodeEvent(JSON.stringify(event)).ok)).toBe(true);
    // Shuffled, so a lead's events land in different batches in no particular order.
    const shuffled = events.map((event) => [rng(), event] as const).sort(([a], [b]) => a - b).map(([, event]) => event);
    for (let i = 0; i < shuffled.length; i += 700) await loadDirect(harness.db, shuffled.slice(i, i + 700));
  }, 60_000);

  afterAll(() => harness.close());

  it('serves the same funnel and scorecard as the recount from the audit log', async () => {
    const result = await verifyProjections(harness.db);
    expect(result.mismatches).toEqual([]);
    expect(result).toMatchObject({ ok: true, tenants: 2 });
    expect(result.comparisons).toBeGreaterThan(100);
  });

  it('rebuilds to the same numbers', async () => {
    const cohort = { tenantId: tenants[0]!, window: { from: new Date('2025-02-10T05:45:00Z'), to: new Date('2025-11-20T17:00:00Z') } };
    const funnel = await getFunnel(harness.db, cohort, 'owner');
    const scorecard = await getScorecard(harness.db, cohort);
    expect(funnel.length).toBeGreaterThan(10);
    await rebuildProjections(harness.db, { batchSize: 333 });
    expect(await getFunnel(harness.db, cohort, 'owner')).toEqual(funnel);
    expect(await getScorecard(harness.db, cohort)).toEqual(scorecard);
  });
});
