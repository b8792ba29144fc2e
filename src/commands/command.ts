// What a subcommand is to the dispatcher (main.ts): a name, a line for the overview, its own help, and
// a run that parses its own options and returns the exit code.
import type { CommandName } from '../command-names.js';
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
