import { ConfigError } from './config.js';
import { createLogger, type Logger } from './logger.js';

/** One resource to release on shutdown. */
export type ShutdownStep = { name: string; close: () => Promise<unknown> };

/**
 * Runs `task` every `intervalMs` in the background (the timer never keeps the process alive), skipping a tick
 * while the previous run is still going, and logs a failure as `failureMessage` for the next run to retry.
 * The returned step stops the timer and waits for a run in hand; a long task should check `keepGoing`
 * between its steps, which turns false once the step started.
 */
export function startPeriodic(opts: {
  name: string;
  intervalMs: number;
  task: (keepGoing: () => boolean) => Promise<unknown>;
  logger: Logger;
  failureMessage: string;
}): ShutdownStep {
  let running: Promise<unknown> | undefined;
  let stopping = false;
  const keepGoing = () => !stopping;
  const timer = setInterval(() => {
    running ??= opts
      .task(keepGoing)
      .catch((err: unknown) => opts.logger.warn({ err }, opts.failureMessage))
      .finally(() => (running = undefined));
  }, opts.intervalMs);
  timer.unref();
  return {
    name: opts.name,
    close: async () => {
      stopping = true;
      clearInterval(timer);
      await running;
    },
  };
}

/** Runs the steps in order, logging each and swallowing their errors; resolves false if over the timeout. */
export async function runShutdown(logger: Logger, steps: ShutdownStep[], timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([runSteps(logger, steps).then(() => true as const), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

async function runSteps(logger: Logger, steps: ShutdownStep[]): Promise<void> {
  for (const step of steps) {
    const started = performance.now();
    try {
      await step.close();
      logger.info({ step: step.name, ms: Math.round(performance.now() - started) }, 'shutdown step done');
    } catch (err) {
      // Keep going: a failed Redis quit must not keep the database pool open.
      logger.error({ err, step: step.name }, 'shutdown step failed');
    }
  }
}

/** On SIGTERM/SIGINT runs the steps in order then exits 0 (1 past the timeout); a second signal forces exit. */
export function onShutdown(logger: Logger, steps: ShutdownStep[], opts: { timeoutMs?: number } = {}): void {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  let shuttingDown = false;
  const handle = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      logger.warn({ signal }, 'second signal: forcing exit');
      process.exit(1);
    }
    shuttingDown = true;
    logger.info({ signal, timeoutMs, steps: steps.map((step) => step.name) }, 'shutting down');
    void runShutdown(logger, steps, timeoutMs).then((completed) => {
      if (completed) logger.info('shutdown complete');
      else logger.error({ timeoutMs }, 'shutdown timed out');
      process.exit(completed ? 0 : 1);
    });
  };
  process.on('SIGTERM', handle);
  process.on('SIGINT', handle);
}

/** Runs a service's start-up; a ConfigError prints the bad variables to stderr, any failure exits 1. */
export async function runMain(name: string, main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (error instanceof ConfigError) {
      // Plain text, not JSON: this is read by a person at a terminal or in `kubectl logs`.
      process.stderr.write(`${name}: cannot start. ${error.message}\n`);
    } else {
      createLogger({ name }).fatal({ err: error }, 'start-up failed');
    }
    process.exit(1);
  }
}
