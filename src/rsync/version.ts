// Which local rsync syncmail accepts. The oldest is the oldest the test suite runs against (Debian 12's
// and Ubuntu 22.04/24.04's 3.2.7); anything older lacks something the passes rely on, and the refusal
// names it. No version is refused for security holes it may or may not have: distributions backport the
// fixes without changing the number (the README lists which upstream releases carry which fixes).
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { ConfigError } from '../errors.js';
import { checkFilesForSpawn } from '../fd-limit.js';

export type Version = readonly [number, number, number];

export const OLDEST_TESTED: Version = [3, 2, 7];

/** What each release added that syncmail needs, newest first; a refusal names the oldest one missing. */
const NEEDS: ReadonlyArray<{ readonly since: Version; readonly what: string }> = [
  {
    since: [3, 2, 7],
    what: 'a correct check of the file list the server sends back when filters are used (3.2.5 and 3.2.6 get it wrong); 3.2.7 is also the oldest rsync syncmail is tested with',
  },
  {
    since: [3, 2, 4],
    what: '--info=NONREG (naming the symlinks and special files left on the server)',
  },
  {
    since: [3, 2, 3],
    what: '--stop-after (the wall-clock bound on a hung server)',
  },
  { since: [3, 1, 0], what: '--info and --outbuf (the transfer log)' },
];

/** Pure: "rsync  version 3.5.0  protocol version 32" → [3, 5, 0]. */
export function parseRsyncVersion(text: string): Version | undefined {
  const match = /rsync\s+version\s+v?(\d+)\.(\d+)\.(\d+)/.exec(text);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

export function compareVersions(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** Pure: what `version` lacks, or undefined when syncmail can use it. */
export function missingFeature(version: Version): string | undefined {
  let missing: string | undefined;
  for (const need of NEEDS) if (compareVersions(version, need.since) < 0) missing = need.what;
  return missing;
}

/**
 * The file `program` runs (looked up in PATH like execvp), as device, inode, size, mtime and ctime:
 * an upgrade or a different rsync earlier in PATH changes it. Undefined when it cannot be found.
 */
export function programIdentity(program: string, path: string | undefined): string | undefined {
  const candidates = program.includes('/')
    ? [program]
    : (path ?? '')
        .split(':')
        .filter((dir) => dir.startsWith('/'))
        .map((dir) => join(dir, program));
  for (const file of candidates) {
    try {
      const st = statSync(file, { bigint: true });
      if (!st.isFile() || (st.mode & 0o111n) === 0n) continue;
      return [file, st.dev, st.ino, st.size, st.mtimeNs, st.ctimeNs].join(' ');
    } catch {
      // Not here: the next directory of PATH.
    }
  }
  return undefined;
}

/**
 * Checks the local rsync, remembering an accepted one in `cacheFile` so that a run does not spawn
 * `rsync --version` again while the same file is installed (it cost a spawn on every run, about a
 * tenth of an empty sync). A refused or unknown rsync is never remembered; nor is anything when
 * `remember` is false (a dry run writes nothing).
 */
export async function checkRsyncVersion(
  program: string,
  env: Record<string, string>,
  cache?: { readonly file: string; readonly remember: boolean },
): Promise<string> {
  const identity = programIdentity(program, env['PATH']);
  if (cache !== undefined && identity !== undefined) {
    const cached = readCache(cache.file);
    if (cached?.identity === identity) return cached.version;
  }
  const version = await askRsyncVersion(program, env);
  if (cache?.remember === true && identity !== undefined)
    writeCache(cache.file, { identity, version });
  return version;
}

interface Cached {
  readonly identity: string;
  readonly version: string;
}

function readCache(file: string): Cached | undefined {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as Partial<Cached>;
    const accepted =
      typeof value.version === 'string' && parseRsyncVersion(`rsync version ${value.version}`);
    if (typeof value.identity !== 'string' || !accepted) return undefined;
    return missingFeature(accepted) === undefined
      ? { identity: value.identity, version: value.version as string }
      : undefined;
  } catch {
    return undefined;
  }
}

/** Best effort: a cache that cannot be written only means asking rsync again next time. */
function writeCache(file: string, cached: Cached): void {
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const fresh = `${file}.${process.pid}`;
    writeFileSync(fresh, `${JSON.stringify(cached)}\n`, { mode: 0o600 });
    renameSync(fresh, file);
  } catch {
    // Left to the next run.
  }
}

async function askRsyncVersion(program: string, env: Record<string, string>): Promise<string> {
  checkFilesForSpawn(program);
  const result = await execa(program, ['--version'], {
    env,
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  });
  if (result.exitCode === undefined || (result.failed && result.stdout === '')) {
    throw new ConfigError(
      undefined,
      [`cannot run "${program}": ${result.shortMessage}`],
      'install rsync (Debian and Ubuntu: apt-get install rsync), or set "rsync" in the config to its full path',
    );
  }
  const version = parseRsyncVersion(String(result.stdout));
  if (version === undefined) {
    throw new ConfigError(
      undefined,
      [`"${program} --version" did not print an rsync version`],
      'set "rsync" in the config to a real rsync',
    );
  }
  const missing = missingFeature(version);
  if (missing !== undefined) {
    throw new ConfigError(
      undefined,
      [
        `rsync ${version.join('.')} is too old: syncmail needs ${OLDEST_TESTED.join('.')} or newer, for ${missing}`,
      ],
      'upgrade rsync with your package manager (Debian 12, Ubuntu 22.04 and 24.04 ship 3.2.7), or set "rsync" in the config to a newer one',
    );
  }
  return version.join('.');
}
