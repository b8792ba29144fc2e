// Whether the process has run out of file descriptors (ulimit -n). Node does not always say so: an
// EMFILE while its module loader reads a package.json comes out as ERR_MODULE_NOT_FOUND, and one while
// child_process creates a spawn's pipes as a TypeError inside execa. So besides the error's own code,
// the descriptors in use are counted against the soft limit (Linux tells both in /proc).
import { readdirSync, readFileSync } from 'node:fs';

/** Descriptors left below this many count as out of files: a spawn needs six, a lock and a log more. */
const MARGIN = 16;

/** The descriptors this process has open and its soft limit, from /proc; throws when /proc cannot be read. */
function descriptors(): { readonly open: number; readonly soft: number } {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const soft = Number(/^Max open files\s+(\d+)/m.exec(limits)?.[1]);
  // Less the one the listing itself holds.
  return { open: readdirSync('/proc/self/fd').length - 1, soft };
}

const tooManyCode = (error: unknown): boolean => {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EMFILE' || code === 'ENFILE';
};

export function outOfFiles(error: unknown): boolean {
  if (tooManyCode(error)) return true;
  try {
    const { open, soft } = descriptors();
    return Number.isFinite(soft) && open + MARGIN >= soft;
  } catch (readError) {
    // Not even /proc could be opened: that is the answer too.
    return tooManyCode(readError);
  }
}

/** Descriptors a spawn needs for a moment: its pipes, and the pipe Node uses to learn that exec worked. */
const SPAWN_FILES = 6;

/**
 * Throws an EMFILE error (a local trouble, exit 74) when too few descriptors are left to spawn
 * `program`. Called before every spawn: out of descriptors, Node's spawn fails in a way execa does not
 * catch, and the process dies of an unhandled 'error' event instead of saying what is wrong.
 */
export function checkFilesForSpawn(program: string): void {
  let counted: { readonly open: number; readonly soft: number };
  try {
    counted = descriptors();
  } catch (error) {
    if (tooManyCode(error)) throw tooFew(program, 'none');
    return; // no /proc: nothing to check, spawn and see
  }
  const { open, soft } = counted;
  if (Number.isFinite(soft) && open + SPAWN_FILES > soft)
    throw tooFew(program, `${open} of ${soft} in use`);
}

function tooFew(program: string, detail: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(
    `cannot start ${program}: too few file descriptors left (${detail})`,
  );
  error.code = 'EMFILE';
  return error;
}
