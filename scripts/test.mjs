// `pnpm test [jest args]`: type-check, make sure real infrastructure is up, then run jest.
// Infrastructure: BATON_TEST_* if set, else testcontainers when Docker answers, else the native services
// (started here with infra/native/up.sh, idempotent); packages/testing/src/global-setup.ts makes the same choice.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts }).status ?? 1;
const exitOnFailure = (status) => status === 0 || process.exit(status);

exitOnFailure(run('pnpm', ['typecheck']));

const envGiven = ['BATON_TEST_DATABASE_URL', 'BATON_TEST_KAFKA_BROKERS', 'BATON_TEST_REDIS_URL'].every((name) => process.env[name]);
const dockerAnswers = () => run('docker', ['info'], { stdio: 'ignore', timeout: 15_000 }) === 0;
if (!envGiven && !dockerAnswers()) exitOnFailure(run('bash', ['infra/native/up.sh']));

const results = join(mkdtempSync(join(tmpdir(), 'baton-jest-')), 'results.json');
const jest = ['--experimental-vm-modules', 'node_modules/jest/bin/jest.js', '--json', `--outputFile=${results}`, ...process.argv.slice(2)];
const status = run(process.execPath, jest);
// One plain closing line that any CI reads the same way, whatever jest's own summary looks like.
if (existsSync(results)) {
  const summary = JSON.parse(readFileSync(results, 'utf8'));
  console.log(`tests: ${summary.numPassedTests} passed, ${summary.numFailedTests} failed, ${summary.numPendingTests} skipped`);
}
process.exit(status);
