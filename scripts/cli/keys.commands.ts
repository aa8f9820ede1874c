import { SCOPES, isScope, type Scope } from '@baton/kit';
import { UsageError, formatTable, isoOrDash, positiveIntFlag, stringFlag, type CommandGroup } from './command.js';

function parseScopes(raw: string): Scope[] {
  const scopes = raw.split(',').map((scope) => scope.trim()).filter((scope) => scope.length > 0);
  const unknown = scopes.filter((scope) => !isScope(scope));
  if (unknown.length > 0) throw new UsageError(`unknown scope(s) ${unknown.join(', ')}; known: ${SCOPES.join(', ')}`);
  if (scopes.length === 0) throw new UsageError(`--scopes needs at least one of ${SCOPES.join(', ')}`);
  return scopes as Scope[];
}

/** `pnpm baton keys ...` */
export const keyCommands: CommandGroup = {
  create: {
    usage: 'keys create --tenant <slug> --scopes a,b [--name N] [--rate-limit N]',
    summary: 'create an API key; prints the key alone on stdout (shown only this once)',
    options: { tenant: { type: 'string' }, scopes: { type: 'string' }, name: { type: 'string' }, 'rate-limit': { type: 'string' } },
    async run(args, ctx) {
      const tenantSlug = stringFlag(args, 'tenant', true);
      const scopes = parseScopes(stringFlag(args, 'scopes', true));
      const name = stringFlag(args, 'name');
      const rateLimitPerMinute = positiveIntFlag(args, 'rate-limit');
      const created = await ctx.identity.createApiKey({
        tenantSlug,
        scopes,
        ...(name ? { name } : {}),
        ...(rateLimitPerMinute ? { rateLimitPerMinute } : {}),
      });
      ctx.err(`created key ${created.prefix} (id ${created.id}) for ${tenantSlug} with ${scopes.join(',')}; store it now, it is not shown again`);
      // Alone on stdout, so `KEY=$(pnpm -s baton keys create ...)` captures exactly the key.
      ctx.out(created.key);
    },
  },
  list: {
    usage: 'keys list [--tenant <slug>] [--json]',
    summary: 'list API keys (prefixes only, never the keys)',
    options: { tenant: { type: 'string' }, json: { type: 'boolean' } },
    async run(args, ctx) {
      const tenantSlug = stringFlag(args, 'tenant');
      const keys = await ctx.identity.listApiKeys(tenantSlug ? { tenantSlug } : {});
      if (args.values['json']) return ctx.out(JSON.stringify(keys, null, 2));
      const rows = keys.map((k) => [
        k.id,
        k.prefix,
        k.tenantSlug,
        k.scopes.join(','),
        k.name ?? '-',
        k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active',
        isoOrDash(k.createdAt),
        isoOrDash(k.lastUsedAt),
      ]);
      ctx.out(formatTable([['ID', 'PREFIX', 'TENANT', 'SCOPES', 'NAME', 'STATUS', 'CREATED', 'LAST USED'], ...rows]));
    },
  },
  revoke: {
    usage: 'keys revoke <id|prefix>',
    summary: 'revoke an API key; services stop accepting it within seconds',
    positionals: { min: 1, max: 1 },
    async run(args, ctx) {
      const id = args.positionals[0] ?? '';
      if (!(await ctx.identity.revokeApiKey(id))) throw new Error(`no active key with id ${id}`);
      ctx.err(`revoked key ${id}`);
    },
  },
};
