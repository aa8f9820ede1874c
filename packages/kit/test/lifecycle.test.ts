import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runShutdown, startPeriodic } from '../src/lifecycle.js';
import { createLogger } from '../src/logger.js';
import { memoryDestination } from './support.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

type Run = { code: number | null; stdout: string; stderr: string };

/** Runs a fixture under tsx; `onReady` fires once the fixture logs "ready". */
function runFixture(args: string[], onReady?: (pid: number) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: repoRoot });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (onReady && stdout.includes('"msg":"ready"')) {
        const ready = onReady;
        onReady = undefined;
        ready(child.pid ?? 0);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const messages = (output: string) =>
  output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { msg: string; step?: string });

describe('startPeriodic', () => {
  it('runs the task again after a failure, which it logs, never twice at once, and close waits for the run in hand', async () => {
    const output = memoryDestination();
    const logger = createLogger({ name: 'test', destination: output.stream });
    let runs = 0;
    let finished = 0;
    let stopSeen = false;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const step = startPeriodic({
      name: 'sweep',
      intervalMs: 10,
      logger,
      failureMessage: 'sweep failed',
      task: async (keepGoing) => {
        runs += 1;
        if (runs === 1) throw new Error('first run broke');
        if (runs === 2) await held;
        stopSeen = !keepGoing();
        finished += 1;
      },
    });
    try {
      while (runs < 2) await new Promise((resolve) => setTimeout(resolve, 5));
      // Several ticks pass while the second run is held: none starts another run.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(runs).toBe(2);
      const closed = step.close();
      setTimeout(release, 30);
      await closed;
      // close resolved only after the second run finished (which saw it was asked to stop), and no run started after it.
      expect(finished).toBe(1);
      expect(stopSeen).toBe(true);
      const runsAtClose = runs;
      await new Promise((resolve) => setTimeout(resolve, 40));
      expect(runs).toBe(runsAtClose);
      expect(step.name).toBe('sweep');
      expect(output.lines().find((line) => line['msg'] === 'sweep failed')).toMatchObject({ level: 40, err: { message: 'first run broke' } });
    } finally {
      release();
      await step.close();
    }
  });
});

describe('runShutdown', () => {
  it('runs steps in order, logs a failing one and carries on', async () => {
    const output = memoryDestination();
    const logger = createLogger({ name: 'test', destination: output.stream });
    const order: string[] = [];
    const completed = await runShutdown(
      logger,
      [
        { name: 'a', close: async () => order.push('a') },
        { name: 'b', close: async () => Promise.reject(new Error('b broke')) },
        { name: 'c', close: async () => order.push('c') },
      ],
      1_000,
    );
    expect(completed).toBe(true);
    expect(order).toEqual(['a', 'c']);
    expect(output.lines().find((line) => line['step'] === 'b')).toMatchObject({ level: 50, msg: 'shutdown step failed' });
  });

  it('gives up after the timeout', async () => {
    const logger = createLogger({ name: 'test', level: 'silent' });
    const completed = await runShutdown(logger, [{ name: 'stuck', close: () => new Promise(() => undefined) }], 50);
    expect(completed).toBe(false);
  });
});

describe('onShutdown (in a real process)', () => {
  it('on SIGTERM runs every step in order and exits 0', async () => {
    const run = await runFixture([fixture('shutdown.fixture.ts')], (pid) => process.kill(pid, 'SIGTERM'));
    expect(run.code).toBe(0);
    const steps = messages(run.stdout).filter((line) => line.step).map((line) => `${line.step}:${line.msg}`);
    expect(steps).toEqual(['first:shutdown step done', 'failing:shutdown step failed', 'last:shutdown step done']);
    expect(run.stdout).toContain('shutdown complete');
  });

  it('exits 1 when the steps outlast the timeout', async () => {
    const run = await runFixture([fixture('shutdown.fixture.ts'), '--hang'], (pid) => process.kill(pid, 'SIGINT'));
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('shutdown timed out');
  });

  it('a second signal forces exit 1 at once', async () => {
    const run = await runFixture([fixture('shutdown.fixture.ts'), '--hang'], (pid) => {
      process.kill(pid, 'SIGTERM');
      setTimeout(() => process.kill(pid, 'SIGTERM'), 50);
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('second signal');
  });
});

describe('runMain', () => {
  it('prints each bad variable to stderr and exits 1 on a ConfigError', async () => {
    const run = await runFixture([fixture('bad-config.fixture.ts')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('fixture: cannot start.');
    expect(run.stderr).toContain('API_SECRET: is required but not set');
    expect(run.stderr).toMatch(/PORT: .*number/);
  });
});
