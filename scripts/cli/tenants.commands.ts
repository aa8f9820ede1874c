import { formatTable, isoOrDash, stringFlag, type CommandGroup } from './command.js';

/** `pnpm baton tenants ...` */
export const tenantCommands: CommandGroup = {
  create: {
    usage: 'tenants create <slug> [--name N] [--region US]',
    summary: 'create a tenant; prints its id',
    options: { name: { type: 'string' }, region: { type: 'string' } },
    positionals: { min: 1, max: 1 },
    async run(args, ctx) {
      // Slug and region are validated by identity; its 400s exit 2 like any usage error.
      const slug = args.positionals[0] ?? '';
      const region = stringFlag(args, 'region');
      const name = stringFlag(args, 'name');
      const tenant = await ctx.identity.createTenant({ slug, ...(name ? { name } : {}), ...(region ? { defaultRegion: region } : {}) });
      ctx.err(`created tenant ${tenant.slug} (region ${tenant.defaultRegion})`);
      ctx.out(tenant.id);
    },
  },
  list: {
    usage: 'tenants list [--json]',
    summary: 'list tenants',
    options: { json: { type: 'boolean' } },
    async run(args, ctx) {
      const tenants = await ctx.identity.listTenants();
      if (args.values['json']) return ctx.out(JSON.stringify(tenants, null, 2));
      const rows = tenants.map((t) => [t.slug, t.id, t.defaultRegion, t.name, isoOrDash(t.createdAt)]);
      ctx.out(formatTable([['SLUG', 'ID', 'REGION', 'NAME', 'CREATED'], ...rows]));
    },
  },
};
