// An Io for running main() in-process: the real environment, and every byte it prints collected.
import type { MaildirFs } from '../../src/maildir/fs.js';
import type { Io } from '../../src/main.js';

export function capturingIo(fs: MaildirFs): Io & { output: () => string } {
  let output = '';
  return {
    out: (t) => {
      output += t;
    },
    err: (t) => {
      output += t;
    },
    env: process.env,
    cwd: process.cwd(),
    homedir: process.env['HOME'] ?? '/root',
    isTTY: false,
    fs,
    output: () => output,
  };
}
