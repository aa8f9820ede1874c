import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Identity } from '@baton/kit';

/** A mistake in how the CLI was called: the message plus usage go to stderr, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** What a command may use: the identity store, stdout for its result, stderr for everything else. */
export type CliContext = {
  identity: Identity;
  out: (line: string) => void;
  err: (line: string) => void;
};

/** Parsed flags and positionals of one command. */
export type CommandArgs = { values: Record<string, string | boolean | undefined>; positionals: string[] };

/** One `pnpm baton <group> <name>` command. */
export type Command = {
  usage: string;
  summary: string;
  options?: NonNullable<ParseArgsConfig['options']>;
  positionals?: { min: number; max: number };
  run: (args: CommandArgs, ctx: CliContext) => Promise<void>;
};

/** Commands of one group, by name (e.g. tenants: create, list). */
export type CommandGroup = Record<string, Command>;

/** Parses a command's argv strictly: unknown flags and wrong positional counts are UsageErrors. */
export function parseCommandArgs(command: Command, argv: string[]): CommandArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: command.options ?? {}, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { min, max } = command.positionals ?? { min: 0, max: 0 };
  const count = parsed.positionals.length;
  if (count < min) throw new UsageError(`missing argument; usage: ${command.usage}`);
  if (count > max) throw new UsageError(`unexpected argument "${parsed.positionals[max]}"; usage: ${command.usage}`);
  return { values: parsed.values as CommandArgs['values'], positionals: parsed.positionals };
}

/** A string flag's value, or undefined; `required` makes its absence a UsageError. */
export function stringFlag(args: CommandArgs, name: string, required: true): string;
export function stringFlag(args: CommandArgs, name: string, required?: false): string | undefined;
export function stringFlag(args: CommandArgs, name: string, required = false): string | undefined {
  const value = args.values[name];
  if (typeof value === 'string' && value.length > 0) return value;
  if (required) throw new UsageError(`--${name} is required`);
  return undefined;
}

/** A positive integer flag, or undefined. */
export function positiveIntFlag(args: CommandArgs, name: string): number | undefined {
  const raw = stringFlag(args, name);
  if (raw === undefined) return undefined;
  if (!/^[1-9][0-9]{0,8}$/.test(raw)) throw new UsageError(`--${name} must be a positive integer, got "${raw}"`);
  return Number(raw);
}

/** Aligned columns for list output; the header row first. */
export function formatTable(rows: string[][]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()).join('\n');
}

/** A date as ISO text, '-' when absent. */
export const isoOrDash = (date: Date | null | undefined): string => (date ? date.toISOString() : '-');
