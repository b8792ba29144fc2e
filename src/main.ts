// The program, as a function: main(argv, io) returns the exit code and touches no global state, so tests
// call it directly; cli.ts is the only place that touches process.exit. It dispatches to a subcommand:
// `syncmail [sync] …` is the default, `syncmail help [COMMAND]` and `syncmail COMMAND --help` explain.
import { COMMAND_NAMES, type CommandName } from './command-names.js';
import { checkCommand } from './commands/check.js';
import type { Command } from './commands/command.js';
import { USAGE_HINT } from './commands/command.js';
import { completionCommand } from './commands/completion.js';
import { installSystemdCommand } from './commands/install-systemd.js';
import { logCommand } from './commands/log.js';
import { rulesCommand } from './commands/rules.js';
import { statusCommand } from './commands/status.js';
import { syncCommand } from './commands/sync.js';
import { verifyCommand } from './commands/verify.js';
import { InternalError, localIoError, SyncmailError, UsageError } from './errors.js';
import { outOfFiles } from './fd-limit.js';
import { type Io, processIo } from './io.js';

const COMMANDS: ReadonlyMap<CommandName, Command> = new Map([
  [syncCommand.name, syncCommand],
  [rulesCommand.name, rulesCommand],
  [checkCommand.name, checkCommand],
  [logCommand.name, logCommand],
  [statusCommand.name, statusCommand],
  [verifyCommand.name, verifyCommand],
  [installSystemdCommand.name, installSystemdCommand],
  // Completes what COMMANDS holds when it runs (the map is complete by then).
  ['completion', completionCommand(() => [...COMMANDS.values()])],
]);

function overview(): string {
  const width = Math.max(...[...COMMANDS.keys(), 'help'].map((n) => n.length)) + 2;
  const lines = [...COMMANDS.values()].map((c) => `  ${c.name.padEnd(width)}${c.summary}`);
  lines.push(`  ${'help'.padEnd(width)}show this help, or a command's: syncmail help COMMAND`);
  return `${syncCommand.help}\nCommands:\n${lines.join('\n')}\n`;
}

function help(topic: string | undefined, io: Io): number {
  if (topic === undefined) {
    io.out(overview());
    return 0;
  }
  const command = COMMANDS.get(topic as CommandName);
  if (command === undefined) throw new UsageError(`no such command: "${topic}"`, USAGE_HINT);
  io.out(command.help);
  return 0;
}

function printError(io: Io, error: SyncmailError): void {
  io.err(`syncmail: ${error.message}\n`);
  if (error.hint !== undefined) io.err(`  ${error.hint}\n`);
}

async function dispatch(argv: readonly string[], io: Io): Promise<number> {
  const [first, ...rest] = argv;
  if (first === 'help') return help(rest[0], io);
  if (first === '--help' || first === '-h') return help(undefined, io);
  if (first === undefined || !(COMMAND_NAMES as readonly string[]).includes(first)) {
    return syncCommand.run(argv, io);
  }
  const command = COMMANDS.get(first as CommandName);
  if (command === undefined) {
    throw new UsageError(
      `"${first}" is not a command of this version of syncmail (the name is reserved for one)`,
      USAGE_HINT,
    );
  }
  return command.run(rest, io);
}

export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    if (error instanceof SyncmailError) {
      printError(io, error);
      return error.exitCode;
    }
    if (outOfFiles(error)) {
      const text = error instanceof Error ? error.message : String(error);
      const trouble = localIoError('EMFILE', 'syncmail', text);
      printError(io, trouble);
      return trouble.exitCode;
    }
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    const bug = new InternalError(
      `internal error: ${detail}`,
      'please report this; no message was removed from a server without being safely on local disk',
    );
    printError(io, bug);
    return bug.exitCode;
  }
}

export type { Io };
