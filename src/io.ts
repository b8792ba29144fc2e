// The process boundary main() works through: everything it reads of the world and writes to it, so a
// test can run main() in-process with its own streams, environment and filesystem.
import { homedir } from 'node:os';
import { type MaildirFs, realFs } from './maildir/fs.js';

export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly homedir: string;
  readonly isTTY: boolean;
  /** The terminal's width, when stdout is one. */
  readonly columns?: number | undefined;
  /** The Maildir layer's filesystem calls (a test may make one fail or crash). */
  readonly fs: MaildirFs;
}

export function processIo(): Io {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    homedir: homedir(),
    isTTY: process.stdout.isTTY === true,
    columns: process.stdout.columns,
    fs: realFs,
  };
}
