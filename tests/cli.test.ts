import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createDatabase, createIdentity, type DatabaseHandle } from '@baton/kit';

const root = fileURLToPath(new URL('..', import.meta.url));

type Run = { code: number; stdout: string; stderr: string };

// Through a real child process, as an operator runs it: exit codes and the stdout/stderr split are the contract.
function baton(...args: string[]): Promise<Run> {
  const env = { ...process.env, DATABASE_URL: process.env['BATON_TEST_DATABASE_URL'] };
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'scripts/baton.ts', ...args], { cwd: root, env }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('pnpm baton', () => {
  const slug = `cli-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  let database: DatabaseHandle<unknown>;

  beforeAll(() => {
    const url = process.env['BATON_TEST_DATABASE_URL'];
    if (!url) throw new Error('BATON_TEST_DATABASE_URL is not set; run through `pnpm test`');
    database = createDatabase({ url, schema: 'identity', max: 2 });
  });
  afterAll(() => database.close());

  it('creates a tenant and a key printed alone on stdout that authenticates, lists it, and revokes it', async () => {
    const tenant = await baton('tenants', 'create', slug, '--name', 'CLI Test Co', '--region', 'ca');
    expect(tenant).toMatchObject({ code: 0 });
    const tenantId = tenant.stdout.trim();
    expect(tenantId).toMatch(/^[0-9a-f-]{36}$/);

    const created = await baton('keys', 'create', '--tenant', slug, '--scopes', 'leads:write,leads:read', '--rate-limit', '120');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^bk_[a-z0-9]{12}_[A-Za-z0-9_-]{43}\n$/);
    const key = created.stdout.trim();
    expect(created.stderr).not.toContain(key);
    const identity = createIdentity({ db: database.db, cacheTtlMs: 0 });
    const principal = await identity.authenticate(key);
    expect(principal).toMatchObject({ tenantId, scopes: ['leads:write', 'leads:read'], rateLimitPerMinute: 120 });

    const listed = await baton('keys', 'list', '--tenant', slug);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(`bk_${principal?.keyId}`);
    expect(listed.stdout).toContain('active');
    expect(listed.stdout + listed.stderr).not.toContain(key.slice(-43));
    expect((await baton('tenants', 'list')).stdout).toContain(slug);

    const revoked = await baton('keys', 'revoke', principal?.keyId ?? '');
    expect(revoked).toMatchObject({ code: 0, stdout: '' });
    expect(await identity.authenticate(key)).toBeNull();
    const json = JSON.parse((await baton('keys', 'list', '--tenant', slug, '--json')).stdout) as Array<{ revokedAt: string | null }>;
    expect(json).toHaveLength(1);
    expect(json[0]?.revokedAt).not.toBeNull();
    expect((await baton('keys', 'revoke', principal?.keyId ?? '')).code).toBe(1);
  }, 60_000);

  it.each([
    ['no command', []],
    ['an unknown command', ['tenants', 'frobnicate']],
    ['a missing --scopes', ['keys', 'create', '--tenant', 'whoever']],
    ['an unknown scope', ['keys', 'create', '--tenant', 'whoever', '--scopes', 'leads:write,root']],
    ['a bad rate limit', ['keys', 'create', '--tenant', 'whoever', '--scopes', 'admin', '--rate-limit', 'lots']],
    ['an unknown flag', ['keys', 'list', '--everything']],
    ['a bad slug', ['tenants', 'create', 'Not A Slug']],
  ])('exits 2 with a message on stderr for %s', async (_label, args) => {
    const run = await baton(...args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^error: /);
  }, 30_000);

  it('exits 1 when the command fails: a taken slug, an unknown tenant', async () => {
    expect((await baton('tenants', 'create', slug)).code).toBe(1);
    const missing = await baton('keys', 'create', '--tenant', `${slug}-missing`, '--scopes', 'admin');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('not found');
  }, 30_000);

  it('prints help on stdout with exit 0', async () => {
    const help = await baton('help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('keys create --tenant <slug> --scopes a,b');
  }, 30_000);
});
