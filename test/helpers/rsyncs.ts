// The rsync builds the end-to-end tests run against, as the local client and as the server.
//
// The project promises that syncmail works with the distribution's rsync (Debian 12 and Ubuntu ship 3.2.7)
// and with a current one (3.5.x). The system `rsync` on PATH is one of them; scripts/setup.sh unpacks the
// others from Debian's packages into .rsync/<Debian version>/usr/bin/rsync without installing them. Each
// binary is asked for its version; two with the same version count once. A machine without both a 3.2.x
// and a 3.5 or newer cannot keep the promise, so that is an error naming what is missing, never a skip.
//
// A client is given to syncmail through the config's `rsync:` key (an absolute path), a server through
// `--rsync-path=PATH` in the mailbox's rsyncArgs: ssh to 127.0.0.1 reaches this same machine, so the same
// absolute path names the server's binary.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareVersions, parseRsyncVersion, type Version } from '../../src/rsync/version.js';
import { shellQuote } from '../../src/text/shell-quote.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Where scripts/setup.sh unpacks the extra rsync builds. */
export const RSYNC_DIR = path.join(ROOT, '.rsync');

export interface TestRsync {
  /** Absolute path of the binary. */
  readonly path: string;
  /** "3.2.7", as the binary prints it. */
  readonly version: string;
  readonly parsed: Version;
  /** "system rsync" or ".rsync/3.5.0+ds1-0+deb12u1". */
  readonly source: string;
}

export interface RsyncPair {
  readonly client: TestRsync;
  readonly server: TestRsync;
  /** "client 3.2.7 / server 3.5.0": goes into test names. */
  readonly label: string;
}

// ---------------------------------------------------------------------------------------------------------
// Pure parts

/** A candidate binary as found: its version output, or why it did not run. */
export interface Probe {
  readonly path: string;
  readonly source: string;
  readonly output?: string;
  readonly error?: string;
}

/** Pure: the probes whose output names an rsync version, and why each other one was left out. */
export function parseProbes(probes: readonly Probe[]): { found: TestRsync[]; rejected: string[] } {
  const found: TestRsync[] = [];
  const rejected: string[] = [];
  for (const p of probes) {
    const parsed = p.output === undefined ? undefined : parseRsyncVersion(p.output);
    if (parsed === undefined) {
      rejected.push(
        `${p.path} (${p.source}): ${p.error ?? `"--version" printed no rsync version: ${JSON.stringify((p.output ?? '').slice(0, 80))}`}`,
      );
      continue;
    }
    found.push({ path: p.path, version: parsed.join('.'), parsed, source: p.source });
  }
  return { found, rejected };
}

/** Pure: one binary per version (the first given wins, so the system rsync beats a copy), oldest first. */
export function dedupeByVersion(found: readonly TestRsync[]): TestRsync[] {
  const byVersion = new Map<string, TestRsync>();
  for (const r of found) if (!byVersion.has(r.version)) byVersion.set(r.version, r);
  return [...byVersion.values()].sort((a, b) => compareVersions(a.parsed, b.parsed));
}

const isOld = (r: TestRsync): boolean => r.parsed[0] === 3 && r.parsed[1] === 2;
const isNew = (r: TestRsync): boolean => compareVersions(r.parsed, [3, 5, 0]) >= 0;

/**
 * Pure: undefined when `rsyncs` holds a 3.2.x and a 3.5 or newer; otherwise the error text: what was found,
 * what is missing, and what to run.
 */
export function missingRsyncs(
  rsyncs: readonly TestRsync[],
  rejected: readonly string[] = [],
): string | undefined {
  const missing: string[] = [];
  if (!rsyncs.some(isOld))
    missing.push('a 3.2.x rsync (Debian 12 ships 3.2.7; normally the system rsync)');
  if (!rsyncs.some(isNew))
    missing.push('an rsync 3.5 or newer (normally .rsync/<version>/usr/bin/rsync)');
  if (missing.length === 0) return undefined;
  const have =
    rsyncs.length === 0
      ? 'no usable rsync'
      : rsyncs.map((r) => `rsync ${r.version} (${r.path}, ${r.source})`).join(', ');
  return [
    `the end-to-end tests need both a 3.2.x and a 3.5 or newer rsync; found ${have}; missing: ${missing.join(' and ')}.`,
    ...(rejected.length > 0 ? [`Left out: ${rejected.join('; ')}.`] : []),
    'Run `bash scripts/setup.sh`: it unpacks the missing rsync from Debian packages into .rsync/ (the system rsync is not touched).',
  ].join(' ');
}

export function pairLabel(client: TestRsync, server: TestRsync): string {
  return `client ${client.version} / server ${server.version}`;
}

/** Pure: every {client, server} combination, client-major (n² pairs). */
export function allPairs(rsyncs: readonly TestRsync[]): RsyncPair[] {
  return rsyncs.flatMap((client) =>
    rsyncs.map((server) => ({ client, server, label: pairLabel(client, server) })),
  );
}

/**
 * Pure: each version once as the client, against the next version (round the list) as the server, so every
 * version is a client once and a server once, never both in one pair (n pairs, for the long scenarios).
 */
export function crossPairs(rsyncs: readonly TestRsync[]): RsyncPair[] {
  if (rsyncs.length < 2) return [];
  return rsyncs.map((client, i) => {
    const server = rsyncs[(i + 1) % rsyncs.length] as TestRsync;
    return { client, server, label: pairLabel(client, server) };
  });
}

/**
 * Pure: the `--rsync-path` argument that runs `server` on the server side. rsync hands the value to the
 * remote shell, so a path that shell would split is quoted.
 */
export function rsyncPathArg(server: TestRsync): string {
  return `--rsync-path=${shellQuote(server.path)}`;
}

// ---------------------------------------------------------------------------------------------------------
// This machine

function onPath(program: string, pathEnv: string): string | undefined {
  for (const dir of pathEnv.split(':')) {
    if (dir === '' || !path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function probe(file: string, source: string): Probe {
  try {
    const output = execFileSync(file, ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 10_000,
    });
    return { path: file, source, output };
  } catch (err) {
    return { path: file, source, error: `does not run: ${(err as Error).message.split('\n')[0]}` };
  }
}

/** The candidates here: `rsync` on PATH, then every .rsync/NAME/usr/bin/rsync. */
export function probeMachine(pathEnv = process.env['PATH'] ?? ''): Probe[] {
  const probes: Probe[] = [];
  const system = onPath('rsync', pathEnv);
  if (system !== undefined) probes.push(probe(system, 'system rsync'));
  let names: string[] = [];
  try {
    names = readdirSync(RSYNC_DIR)
      .filter((n) => !n.startsWith('.'))
      .sort();
  } catch {
    // no .rsync/ yet: missingRsyncs() says to run setup
  }
  for (const name of names) {
    const file = path.join(RSYNC_DIR, name, 'usr', 'bin', 'rsync');
    probes.push(probe(file, `.rsync/${name}`));
  }
  return probes;
}

let cached: TestRsync[] | undefined;

/** The test rsyncs, one per version, oldest first. Throws (what is missing, what to run) when incomplete. */
export function testRsyncs(): TestRsync[] {
  if (cached !== undefined) return cached;
  const { found, rejected } = parseProbes(probeMachine());
  const rsyncs = dedupeByVersion(found);
  const missing = missingRsyncs(rsyncs, rejected);
  if (missing !== undefined) throw new Error(`test rsyncs: ${missing}`);
  cached = rsyncs;
  return rsyncs;
}

/**
 * The pairs a test file runs across ('all': every combination; 'cross': each version as client against
 * another as server). When the test rsyncs are incomplete, registers one failing test that says what is
 * missing (instead of throwing at import, which would stop the other test files too) and returns [].
 */
export function pairsOrFailingTest(
  kind: 'all' | 'cross',
  register: (title: string, fn: () => void) => void,
): RsyncPair[] {
  try {
    const rsyncs = testRsyncs();
    return kind === 'all' ? allPairs(rsyncs) : crossPairs(rsyncs);
  } catch (err) {
    const error = err as Error;
    register('the test rsyncs are there (a 3.2.x and a 3.5 or newer)', () => {
      throw error;
    });
    return [];
  }
}
