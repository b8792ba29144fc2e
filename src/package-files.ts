// Where the files that ship with syncmail are (the example config, the executable), found from this
// module's own location. In the bundle this code is in dist/ or dist/chunks/, under tsx in src/, so
// the walk goes up to the directory whose package.json names syncmail instead of counting levels.
// The module's path is its real path (Node resolves the bin symlink of a global install), so the
// answer is the installed package, wherever npm put it.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'syncmail';

/** The package's root directory above `from` (a file), or undefined when none names syncmail. */
export function packageRoot(from: string): string | undefined {
  for (let dir = path.dirname(from); ; dir = path.dirname(dir)) {
    if (namesSyncmail(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

function namesSyncmail(file: string): boolean {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME;
  } catch {
    return false;
  }
}

let ownRoot: string | undefined | null = null;

/** The root of the syncmail package this code runs from (found once). */
export function ownPackageRoot(): string | undefined {
  if (ownRoot === null) ownRoot = packageRoot(fileURLToPath(import.meta.url));
  return ownRoot;
}

/** The absolute path of a file that ships with syncmail, when it is there. */
export function shippedFile(relative: string): string | undefined {
  const root = ownPackageRoot();
  if (root === undefined) return undefined;
  const file = path.join(root, relative);
  return existsSync(file) ? file : undefined;
}
