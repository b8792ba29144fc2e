// What a subcommand is to the dispatcher (main.ts): a name, a line for the overview, its own help, and
// a run that parses its own options and returns the exit code.
import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { CommandName } from '../command-names.js';
import { UsageError } from '../errors.js';
import type { Io } from '../io.js';

export interface Command {
  readonly name: CommandName;
  /** One line for `syncmail --help`. */
  readonly summary: string;
  /** `syncmail NAME --help`. */
  readonly help: string;
  run(argv: readonly string[], io: Io): Promise<number>;
}

export const USAGE_HINT = 'run `syncmail --help` for usage';

/** A node:util parseArgs failure as a usage error, without node's advice about "--". */
export function badCommandLine(error: unknown): UsageError {
  const message = error instanceof Error ? error.message : String(error);
  return new UsageError(message.replace(/\. To specify a positional argument.*$/s, ''), USAGE_HINT);
}

/** A command's options and positionals by node:util parseArgs, strict; a mistake is a usage error. */
export function parseCommandLine<const O extends NonNullable<ParseArgsConfig['options']>>(
  argv: readonly string[],
  options: O,
) {
  try {
    return parseArgs({ args: [...argv], allowPositionals: true, strict: true, options });
  } catch (error) {
    throw badCommandLine(error);
  }
}
