import type { Kysely, Transaction } from 'kysely';

/**
 * Runs `during` while another transaction holds what `take` locks: the transaction opens, takes its
 * locks, waits for `during` to settle, then commits. For tests of code that must wait for, or step
 * around, a lock someone else holds.
 */
export async function whileLockHeld<DB, T>(db: Kysely<DB>, take: (trx: Transaction<DB>) => Promise<unknown>, during: () => Promise<T>): Promise<T> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let held!: () => void;
  const holding = new Promise<void>((resolve) => (held = resolve));
  const holder = db.transaction().execute(async (trx) => {
    await take(trx);
    held();
    await released;
  });
  try {
    // A take that fails settles the holder first, so its error is thrown here rather than waited on forever.
    await Promise.race([holding, holder]);
    return await during();
  } finally {
    release();
    await holder;
  }
}

/** Polls `check` until it returns true or `timeoutMs` passes (then throws with `what`). */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
