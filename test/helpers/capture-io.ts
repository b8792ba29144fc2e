// An Io for running main() in-process: the real environment, and every byte it prints collected.
import { type MaildirFs, realFs } from '../../src/maildir/fs.js';
import { type Io, main } from '../../src/main.js';

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

export interface MainRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** main(argv) in-process with stdout and stderr kept apart; env, cwd and home default to the real ones. */
export async function runMain(
  argv: readonly string[],
  place: Partial<Pick<Io, 'env' | 'cwd' | 'homedir'>> = {},
): Promise<MainRun> {
  let out = '';
  let err = '';
  const io: Io = {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    env: place.env ?? process.env,
    cwd: place.cwd ?? process.cwd(),
    homedir: place.homedir ?? process.env['HOME'] ?? '/root',
    isTTY: false,
    fs: realFs,
  };
  const code = await main(argv, io);
  return { code, out, err };
}
