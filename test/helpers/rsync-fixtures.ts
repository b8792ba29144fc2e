// The real rsync outputs in test/fixtures/rsync, as scripts/capture-rsync-fixtures.ts writes them:
//
//   <client>/CASE.{stdout,stderr,rc}               client and server both rsync <client>
//   <client>/server-<server>/CASE.{stdout,stderr,rc}  a remove pass against another server version, kept
//                                                   only where its output differs from the one above
//   <dir>/rsync-version.txt, server-version.txt     the first line of each binary's --version
//
// The capture writes placeholders for what changes from one capture to the next (its temp work dir, the
// sshd helper's random ports, the folder key that names syncmail's work dir in the local tmp/syncmail/);
// readCapture() puts fixed values back, so a test compares exact lines. The synthetic-old-server-* cases
// have a stand-in server script (README.md in test/fixtures/rsync).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/rsync/', import.meta.url));

/** Placeholder → the value the tests read in its place (any plain absolute path or number would do). */
export const PLACEHOLDERS = {
  '@WORK@': '/tmp/syncmail-capture',
  '@SSHD_PORT@': '2222',
  '@CLOSED_PORT@': '2223',
  '@BLACKHOLE_PORT@': '2224',
  '@FOLDER@': 'mail-server_tmp_syncmail-capture-0123456789ab',
} as const;

export type Placeholder = keyof typeof PLACEHOLDERS;

/** The capture's work dir as the tests see it: every case lives in WORK/CASE-GROUP/. */
export const WORK = PLACEHOLDERS['@WORK@'];

/** The name of a case group's syncmail work dir: WORK/GROUP/local/tmp/syncmail/FOLDER (maildir/layout.ts). */
export const FOLDER = PLACEHOLDERS['@FOLDER@'];

export interface CaptureSet {
  /** rsync version of the client, e.g. "3.2.7" (the directory name). */
  readonly client: string;
  /** rsync version of the server (run with --rsync-path). */
  readonly server: string;
  readonly dir: string;
  /** "client 3.2.7, server 3.5.0", for assertion messages. */
  readonly label: string;
}

const VERSION = /^[0-9]+\.[0-9]+\.[0-9]+$/;

function versionOf(file: string): string {
  const match = /rsync\s+version\s+v?([0-9]+\.[0-9]+\.[0-9]+)/.exec(readFileSync(file, 'latin1'));
  if (!match) throw new Error(`${file}: no rsync version line`);
  return match[1]!;
}

/** Every captured client version, oldest first. */
export function capturedVersions(): string[] {
  return readdirSync(FIXTURES_DIR)
    .filter((name) => VERSION.test(name))
    .sort((a, b) => {
      const [x, y] = [a, b].map((v) => v.split('.').map(Number)) as [number[], number[]];
      return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
    });
}

/** Every capture set: each client version with its own server, then with each other server captured. */
export function captureSets(): CaptureSet[] {
  const sets: CaptureSet[] = [];
  for (const client of capturedVersions()) {
    const dir = `${FIXTURES_DIR}${client}/`;
    const servers = readdirSync(dir)
      .filter((name) => /^server-[0-9]+\.[0-9]+\.[0-9]+$/.test(name))
      .map((name) => name.slice('server-'.length));
    for (const server of [client, ...servers]) {
      const setDir = server === client ? dir : `${dir}server-${server}/`;
      sets.push({
        client,
        server,
        dir: setDir,
        label: `client ${client}, server ${server}`,
      });
    }
  }
  return sets;
}

/** The version lines the capture recorded for a set: [client, server]. */
export function recordedVersions(set: CaptureSet): [string, string] {
  return [versionOf(`${set.dir}rsync-version.txt`), versionOf(`${set.dir}server-version.txt`)];
}

/** The case names in one set (every name that has at least one of the three files). */
export function caseNames(set: CaptureSet): string[] {
  const names = readdirSync(set.dir)
    .filter((f) => /\.(stdout|stderr|rc)$/.test(f))
    .map((f) => f.replace(/\.(stdout|stderr|rc)$/, ''));
  return [...new Set(names)].sort();
}

export function hasCase(set: CaptureSet, name: string): boolean {
  return existsSync(`${set.dir}${name}.rc`);
}

export interface Capture {
  readonly rc: number;
  /** latin1, one char per byte, as syncmail reads rsync's output; placeholders replaced. */
  readonly stdout: string;
  readonly stderr: string;
}

function substitute(text: string): string {
  let out = text;
  for (const [placeholder, value] of Object.entries(PLACEHOLDERS))
    out = out.replaceAll(placeholder, value);
  return out;
}

export function readCapture(set: CaptureSet, name: string): Capture {
  const read = (ext: string): string => readFileSync(`${set.dir}${name}.${ext}`, 'latin1');
  const rc = read('rc').trim();
  if (!/^[0-9]+$/.test(rc)) throw new Error(`${set.dir}${name}.rc: not an exit code: ${rc}`);
  return { rc: Number(rc), stdout: substitute(read('stdout')), stderr: substitute(read('stderr')) };
}

/** Lines of one captured stream, without their '\n'; the stream must end with one when not empty. */
export function lines(text: string, label: string): string[] {
  if (text === '') return [];
  if (!text.endsWith('\n')) throw new Error(`${label} does not end with a newline`);
  return text.slice(0, -1).split('\n');
}

/** The hostile names of hostile-names.hex (shared by every version), as raw bytes. */
export function hostileNames(): Buffer[] {
  return readFileSync(`${FIXTURES_DIR}hostile-names.hex`, 'latin1')
    .split('\n')
    .map((line) => line.split('#')[0]!.trim())
    .filter((hex) => hex !== '')
    .map((hex) => Buffer.from(hex, 'hex'));
}

/** Where scripts/setup.sh unpacks the test rsyncs: .rsync/<Debian version>/usr/bin/rsync. */
export const RSYNC_DIR = fileURLToPath(new URL('../../.rsync/', import.meta.url));

/** "3.2.7" for an rsync binary (a path, or a name on PATH), from its --version; undefined when it does not run. */
export function versionOfBinary(program: string): string | undefined {
  const r = spawnSync(program, ['--version'], {
    encoding: 'latin1',
    env: { ...process.env, LC_ALL: 'C' },
  });
  return /^rsync\s+version\s+v?([0-9]+\.[0-9]+\.[0-9]+)/.exec(r.stdout ?? '')?.[1];
}

/** Every rsync under .rsync/ with the version it prints, in directory order. */
export function unpackedRsyncs(): { path: string; version: string }[] {
  if (!existsSync(RSYNC_DIR)) return [];
  return readdirSync(RSYNC_DIR)
    .sort()
    .map((dir) => `${RSYNC_DIR}${dir}/usr/bin/rsync`)
    .filter((file) => existsSync(file))
    .flatMap((file) => {
      const version = versionOfBinary(file);
      return version === undefined ? [] : [{ path: file, version }];
    });
}

/**
 * The rsync binary of a captured version, to run it for real: the system rsync when it is that version,
 * else one that scripts/setup.sh unpacked under .rsync/; undefined when there is none.
 */
export function rsyncBinary(version: string): string | undefined {
  if (versionOfBinary('rsync') === version) return 'rsync';
  return unpackedRsyncs().find((r) => r.version === version)?.path;
}

/**
 * The server side of the synthetic-old-server cases: what upstream rsync 3.0.9 does when the client sends
 * an option it lacks. syncmail sends the server --info (STATS2 in the fetch, REMOVE in the remove pass;
 * --outbuf and --stop-after stay on the client), which 3.0.9 does not have: popt stops at the first
 * unknown argument, parse_arguments() words it as "%s%s: %s\n" with "on remote machine: ", the argument
 * as given and popt's "unknown option" (options.c), option_error() prints it after "rsync: " and sleeps
 * 20 ms, and main() calls exit_cleanup(RERR_SYNTAX) at main.c line 1435, whose log_exit() adds "rsync
 * error: syntax or usage error (code 1) at main.c(1435) [server=3.0.9]" ("server": still starting up);
 * then 100 ms and exit 1. Both go to stderr: no output is multiplexed yet.
 */
export const OLD_SERVER_SCRIPT = [
  '#!/bin/sh',
  '# SYNTHETIC: stands in for rsync 3.0.9 as the server (see test/helpers/rsync-fixtures.ts).',
  'for arg do',
  '  case $arg in',
  '  --info | --info=*)',
  `    printf 'rsync: on remote machine: %s: unknown option\\n' "$arg" >&2`,
  '    sleep 0.02',
  "    printf 'rsync error: syntax or usage error (code 1) at main.c(1435) [server=3.0.9]\\n' >&2",
  '    sleep 0.1',
  '    exit 1',
  '    ;;',
  '  esac',
  'done',
  'echo "synthetic rsync 3.0.9: no option it lacks in: $*" >&2',
  'exit 99',
  '',
].join('\n');
