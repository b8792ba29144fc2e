// Does ssh reach a mailbox's server the way a sync's rsync does (the same ssh words, in batch mode), and
// which rsync answers there. One `ssh … HOST 'rsync --version'` per server; the failure is told from
// ssh's stderr with the sync's own patterns (rsync/parse.ts), refined where a person's next step differs:
// a host name that does not exist is a config error, a resolver that does not answer is transient.
import { execa } from 'execa';
import type { Config, Mailbox } from '../config/types.js';
import { EXIT } from '../errors.js';
import { rsyncEnv } from '../rsync/argv.js';
import type { FailureReason } from '../rsync/events.js';
import { failureRank, parseRsyncLine } from '../rsync/parse.js';
import { sshWords } from '../rsync/rsh.js';
import { compareVersions, parseRsyncVersion, type Version } from '../rsync/version.js';
import { displayName } from '../text/display-name.js';
import { type Finding, ok, problem, warn } from './finding.js';

type SshRemote = Extract<Mailbox['remote'], { kind: 'ssh' }>;

/** The server program a sync runs: the mailbox's --rsync-path, else rsync. */
export function serverRsync(mailbox: Pick<Mailbox, 'rsyncArgs'>): string {
  const given = mailbox.rsyncArgs.find((a) => a.startsWith('--rsync-path='));
  return given === undefined ? 'rsync' : given.slice('--rsync-path='.length);
}

/** `user@host` or `host`. */
export function serverLabel(remote: SshRemote): string {
  return `${remote.user === undefined ? '' : `${remote.user}@`}${remote.host}`;
}

/** Mailboxes reach one server the same way when these agree: it is probed once for all of them. */
export function serverKey(mailbox: Mailbox): string {
  const r = mailbox.remote;
  if (r.kind !== 'ssh') return `local:${r.path}`;
  return JSON.stringify([mailbox.ssh, r.user ?? '', r.host, serverRsync(mailbox)]);
}

/** The ssh command line of the probe (without the leading "ssh"). */
export function probeArgv(mailbox: Mailbox, config: Pick<Config, 'connectTimeout'>): string[] {
  const remote = mailbox.remote as SshRemote;
  return [
    ...sshWords(mailbox, config).slice(1),
    serverLabel(remote),
    `${serverRsync(mailbox)} --version`,
  ];
}

export interface ProbeResult {
  readonly exitCode: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  /** The spawn itself failed (no ssh). */
  readonly spawnError?: string | undefined;
}

export interface ProbeVerdict {
  readonly findings: Finding[];
  /** ssh logged in: the listing may be tried. */
  readonly reached: boolean;
  readonly serverVersion?: Version;
}

/** The oldest server rsync a sync works with: the first with --info. */
const OLDEST_SERVER: Version = [3, 1, 0];

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() !== '');
}

function safe(line: string, max = 120): string {
  const shown = displayName(Buffer.from(line, 'latin1'));
  return shown.length > max ? `${shown.slice(0, max)}…` : shown;
}

const DNS_NOT_ANSWERING = /Could not resolve hostname .*: Temporary failure in name resolution/;

/** The first reason the sync would give for these stderr lines, and its line. */
function firstFailure(stderr: readonly string[]): [FailureReason, string] | undefined {
  const found: Array<[FailureReason, string]> = [];
  for (const line of stderr) {
    const event = parseRsyncLine(line, 'stderr');
    if (event?.kind === 'failure') found.push([event.reason, event.text]);
  }
  found.sort((a, b) => failureRank(a[0]) - failureRank(b[0]));
  return found[0];
}

const TRY_AGAIN =
  'syncmail tries again on its next run; if this lasts, check the network and the server';

/** Pure: what one probe's outcome says about a server. */
export function classifyProbe(
  subject: string,
  server: string,
  r: ProbeResult,
  connectTimeout: number,
): ProbeVerdict {
  const fail = (code: number, text: string, hint: string): ProbeVerdict => ({
    findings: [problem(subject, code, text, hint)],
    reached: false,
  });
  if (r.spawnError !== undefined)
    return fail(
      EXIT.config,
      `cannot run ssh: ${r.spawnError}`,
      'install OpenSSH (apt-get install openssh-client)',
    );
  if (r.timedOut)
    return fail(EXIT.tempfail, `no answer from ${server} over ssh in time`, TRY_AGAIN);
  const out = lines(r.stdout);
  const err = lines(r.stderr);
  const version = r.exitCode === 0 ? parseRsyncVersion(r.stdout) : undefined;
  if (version !== undefined) {
    const shown = version.join('.');
    const first = out[0] ?? '';
    if (!/^rsync\s+version/.test(first))
      return {
        reached: true,
        serverVersion: version,
        findings: [
          problem(
            subject,
            EXIT.config,
            `the login shell on ${server} prints text, which rsync cannot get past: "${safe(first)}"`,
            'make the shell startup files on the server (~/.bashrc, ~/.profile, ...) print nothing when the shell is not interactive; test with: ssh HOST true | od -c (it must show nothing)',
          ),
        ],
      };
    if (compareVersions(version, OLDEST_SERVER) < 0)
      return {
        reached: true,
        serverVersion: version,
        findings: [
          problem(
            subject,
            EXIT.config,
            `the rsync on ${server} is ${shown}, too old: syncmail needs 3.1.0 or newer there (for --info)`,
            'upgrade rsync on the server, or point syncmail at a newer one with rsyncArgs: ["--rsync-path=/path/to/rsync"]',
          ),
        ],
      };
    return {
      reached: true,
      serverVersion: version,
      findings: [ok(subject, `ssh logs in without a prompt; the server's rsync is ${shown}`)],
    };
  }
  const failure = firstFailure(err);
  const reason = failure?.[0];
  const said = failure?.[1] ?? safe(err.at(-1) ?? '');
  if (reason === 'host-key')
    return fail(
      EXIT.noperm,
      `the host key of ${server} is unknown or has changed (${said})`,
      "connect once by hand (ssh HOST) and check the key fingerprint with the server's admin; syncmail never accepts host keys itself",
    );
  if (reason === 'auth')
    return fail(
      EXIT.noperm,
      `${server} refused the ssh login (${said})`,
      'check that your key is authorized on the server and available without a prompt (under cron there is often no ssh-agent); test with: ssh -o BatchMode=yes HOST true',
    );
  if (reason === 'unknown-host')
    return fail(
      EXIT.config,
      `the host name does not resolve (${said})`,
      'check the host name in the mailbox\'s "remote" (and any HostName for it in your ssh config)',
    );
  if (err.some((l) => DNS_NOT_ANSWERING.test(l)))
    return fail(
      EXIT.tempfail,
      `the name server did not answer for ${server} (${said})`,
      `${TRY_AGAIN} (is this machine online?)`,
    );
  if (reason === 'no-server-rsync' || r.exitCode === 127)
    return {
      reached: true,
      findings: [
        problem(
          subject,
          EXIT.config,
          `ssh logs in, but rsync is not installed on ${server} (or not on its PATH)${said ? `: ${said}` : ''}`,
          'install rsync on the server, or add rsyncArgs: ["--rsync-path=/path/to/rsync"]',
        ),
      ],
    };
  if (reason === 'unreachable' || r.exitCode === 255)
    return fail(
      EXIT.tempfail,
      `cannot reach ${server} over ssh${said ? ` (${said})` : ` (ssh exited with code ${r.exitCode})`}`,
      `${TRY_AGAIN} (ssh waits connectTimeout: ${connectTimeout} s)`,
    );
  // ssh logged in, and something other than rsync answered: a forced command in authorized_keys.
  const answer = err[0] ?? out[0];
  return {
    reached: true,
    findings: [
      warn(
        subject,
        `ssh logs in, but a forced command (rrsync?) answers instead of rsync --version${answer === undefined ? '' : `: "${safe(answer)}"`}; the listing below tells whether syncing works`,
        "under rrsync the mailbox's remote path is relative to the directory rrsync was given in the server's authorized_keys",
      ),
    ],
  };
}

/** `mailboxes`: the mailboxes on this server (the same serverKey); the first one's ssh words are used. */
export async function probeServer(
  mailboxes: readonly [Mailbox, ...Mailbox[]],
  config: Pick<Config, 'connectTimeout'>,
  env: Readonly<Record<string, string | undefined>>,
): Promise<ProbeVerdict> {
  const [mailbox] = mailboxes;
  const server = serverLabel(mailbox.remote as SshRemote);
  const result = await execa('ssh', probeArgv(mailbox, config), {
    env: rsyncEnv(env),
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    // ssh bounds the connection; this bounds a login shell or server that never finishes.
    timeout: (config.connectTimeout + 30) * 1000,
    encoding: 'latin1',
  });
  const spawnError =
    result.exitCode === undefined && !result.timedOut ? result.shortMessage : undefined;
  return classifyProbe(
    `server ${server} (${mailboxes.map((m) => m.name).join(', ')})`,
    server,
    {
      exitCode: result.exitCode,
      stdout: String(result.stdout ?? ''),
      stderr: String(result.stderr ?? ''),
      timedOut: result.timedOut === true,
      spawnError,
    },
    config.connectTimeout,
  );
}
