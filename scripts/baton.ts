// `pnpm baton <group> <command> [args]`: the operator CLI. Results go to stdout, everything else to stderr;
// exit 0 on success, 1 when the command failed, 2 when it was called wrongly.
import { isAppError } from '@baton/kit';
import { UsageError, parseCommandArgs, type Command, type CommandGroup } from './cli/command.js';
import { openCliContext } from './cli/context.js';
import { keyCommands } from './cli/keys.commands.js';
import { metricsCommands } from './cli/metrics.commands.js';
import { tenantCommands } from './cli/tenants.commands.js';

// One entry per group, one file per group under cli/.
const GROUPS: Record<string, CommandGroup> = { tenants: tenantCommands, keys: keyCommands, metrics: metricsCommands };

function helpText(): string {
  const entries = Object.values(GROUPS).flatMap((group) => Object.values(group).map((c) => [c.usage, c.summary] as const));
  entries.push(['help', 'show this help']);
  const width = Math.max(...entries.map(([usage]) => usage.length));
  const lines = entries.map(([usage, summary]) => `  pnpm baton ${usage.padEnd(width)}  ${summary}`);
  return ['usage:', ...lines, '', 'env: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/baton)'].join('\n');
}

function findCommand(groupName: string, commandName: string | undefined): Command {
  const group = GROUPS[groupName];
  if (!group) throw new UsageError(`unknown command "${groupName}"; run "pnpm baton help"`);
  const command = commandName === undefined ? undefined : group[commandName];
  if (!command) {
    const known = Object.keys(group).join('|');
    throw new UsageError(commandName === undefined ? `usage: pnpm baton ${groupName} <${known}>` : `unknown command "${groupName} ${commandName}"; expected one of ${known}`);
  }
  return command;
}

async function main(argv: string[]): Promise<number> {
  const [groupName, commandName, ...rest] = argv;
  if (groupName === undefined) throw new UsageError(`a command is required\n${helpText()}`);
  if (['help', '--help', '-h'].includes(groupName)) {
    process.stdout.write(`${helpText()}\n`);
    return 0;
  }
  const command = findCommand(groupName, commandName);
  const args = parseCommandArgs(command, rest);
  const { ctx, close } = await openCliContext();
  try {
    await command.run(args, ctx);
    return 0;
  } finally {
    await close();
  }
}

function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError) {
    process.stderr.write(`error: ${error.message}\n`);
    return 2;
  }
  // Input the identity store itself rejected (a 400) is still the caller's mistake.
  if (isAppError(error)) {
    process.stderr.write(`error: ${error.message}\n`);
    return error.status === 400 ? 2 : 1;
  }
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  return 1;
}

process.exitCode = await main(process.argv.slice(2)).catch(exitCodeOf);
