import { createDatabase, migrateToLatest } from '@baton/kit';
import type { Kysely } from 'kysely';
import { migrations } from '../../services/metrics/src/db/migrations/index.js';
import { rebuildProjections } from '../../services/metrics/src/projection/rebuild.js';
import { verifyProjections } from '../../services/metrics/src/projection/verify.js';
import { positiveIntFlag, stringFlag, type CliContext, type CommandArgs, type CommandGroup } from './command.js';

// `pnpm baton metrics rebuild|verify`: the metrics service's correctness tools, run against its schema
// (another with --schema, e.g. a test's). Results go to stdout as JSON; progress and mismatches to stderr.

const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/baton';

async function withMetricsDb<T>(args: CommandArgs, work: (db: Kysely<any>) => Promise<T>): Promise<T> {
  const schema = stringFlag(args, 'schema') ?? 'metrics';
  const database = createDatabase({ url: process.env['DATABASE_URL'] || DEFAULT_DATABASE_URL, schema, max: 2 });
  try {
    await migrateToLatest(database.db, { schema, migrations });
    return await work(database.db);
  } finally {
    await database.close();
  }
}

async function verify(args: CommandArgs, ctx: CliContext): Promise<void> {
  const tenantId = stringFlag(args, 'tenant');
  const result = await withMetricsDb(args, (db) => verifyProjections(db, tenantId === undefined ? {} : { tenantId }));
  const { mismatches, ...summary } = result;
  ctx.out(JSON.stringify({ ...summary, mismatches: mismatches.length }));
  for (const m of mismatches.slice(0, 20)) ctx.err(`mismatch: ${JSON.stringify(m)}`);
  if (!result.ok) throw new Error(`served funnel differs from the audit log recount in ${mismatches.length} group(s)`);
}

/** `pnpm baton metrics ...` */
export const metricsCommands: CommandGroup = {
  rebuild: {
    usage: 'metrics rebuild [--schema metrics] [--batch-size 5000]',
    summary: 'empty the metrics projections and refold them from the audit log',
    options: { schema: { type: 'string' }, 'batch-size': { type: 'string' } },
    async run(args, ctx) {
      const batchSize = positiveIntFlag(args, 'batch-size') ?? 5_000;
      const onProgress = (events: number) => events % (batchSize * 20) === 0 && ctx.err(`${events} events refolded`);
      const result = await withMetricsDb(args, (db) => rebuildProjections(db, { batchSize, onProgress }));
      ctx.out(JSON.stringify(result));
    },
  },
  verify: {
    usage: 'metrics verify [--schema metrics] [--tenant <id>]',
    summary: 'recount funnel and scorecard from the audit log and compare with the served ones; exit 1 on any difference',
    options: { schema: { type: 'string' }, tenant: { type: 'string' } },
    run: verify,
  },
};
