#!/usr/bin/env node
// The executable. Runs main() and ends the process the way the run ended: with its exit code, or, when a
// signal stopped the run, by re-raising that signal (the signal listeners are gone by then), so a parent
// shell sees a death by SIGINT, not a plain exit code.
import { constants } from 'node:os';
import { EXIT } from './errors.js';
import { outOfFiles } from './fd-limit.js';

// Loaded dynamically so that a file-descriptor limit too low for Node's module loader to open the bundle's
// chunks is told as that, not as a stack trace and exit 1.
const { main } = await import('./main.js').catch((error: unknown) => {
  if (!outOfFiles(error)) throw error;
  const code = (error as NodeJS.ErrnoException).code === 'ENFILE' ? 'ENFILE' : 'EMFILE';
  process.stderr.write(
    `syncmail: too many open files (${code}) to start; nothing was run\n  raise the limit (ulimit -n 1024) and run again\n`,
  );
  process.exit(EXIT.ioerr);
});

// A reader that goes away (`syncmail | head -1`) must not crash a run halfway: the transfer log still
// records everything, so output errors are dropped.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);
const code = await main(process.argv.slice(2));
const signal = Object.entries(constants.signals).find(([, n]) => n === code - 128)?.[0];
if (code > 128 && signal !== undefined) {
  // Let stdout and stderr drain first: the re-raise ends the process at once.
  await new Promise<void>((resolve) =>
    process.stdout.write('', () => process.stderr.write('', () => resolve())),
  );
  process.kill(process.pid, signal as NodeJS.Signals);
  // SIGQUIT's default action is a core dump, which may be disabled; make sure we still end with 128+N.
  setTimeout(() => process.exit(code), 1000).unref();
} else {
  process.exitCode = code;
}
