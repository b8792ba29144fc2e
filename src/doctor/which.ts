// Where a program would be found, looked up in a PATH like execvp does, without running it.
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import path from 'node:path';

/** The executable file `program` names in `searchPath` (or itself, when it holds a slash). */
export function findProgram(program: string, searchPath: string | undefined): string | undefined {
  const candidates = program.includes('/')
    ? [program]
    : (searchPath ?? '')
        .split(':')
        .filter((dir) => dir.startsWith('/'))
        .map((dir) => path.join(dir, program));
  return candidates.find((file) => {
    try {
      if (!statSync(file).isFile()) return false;
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Its real path (symlinks resolved), or itself when that fails. */
export function realProgram(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}
