// `syncmail check [options] [MAILBOX...]`: a doctor that changes nothing. It asks what a sync would need
// and tells what would stop one, each with what to do: the config, the local rsync (and its security
// fixes), ssh to each server, the server folder, the local Maildir and what an interrupted sync left,
// and what cron lacks. The checks are in src/doctor/, one module per group, each returning findings;
// the exit code is the one the worst problem gives a sync, so a script can act on it.
import type { Config, Mailbox } from '../config/types.js';
import { checkEnvironment } from '../doctor/environment.js';
import { checkExit, count, type Finding, fromError, ok } from '../doctor/finding.js';
import { formatFindings, formatJson } from '../doctor/format.js';
import { checkLocalMaildir } from '../doctor/local-maildir.js';
import { checkLocalRsync } from '../doctor/local-rsync.js';
import { checkRemoteMaildir } from '../doctor/remote-maildir.js';
import { probeServer, serverKey } from '../doctor/ssh-probe.js';
import { EXIT, SyncmailError } from '../errors.js';
import type { Io } from '../io.js';
import { type Command, parseCommandLine } from './command.js';
import { commandConfig } from './command-config.js';
import { selectMailboxes } from './sync.js';

export const CHECK_HELP = `Usage: syncmail check [options] [MAILBOX...]

Check what a sync needs, without changing anything: the config, the local
rsync and its security fixes, ssh to each server (in batch mode, as cron
runs it) and the server's rsync, that each server folder is a Maildir, the
local Maildirs (writable, one filesystem, free space, what an interrupted
sync left), and what cron would lack. Each warning and problem says what
to do. With MAILBOX names, only those mailboxes.

Options:
  -c, --config FILE    use exactly this config file (default: search, see README)
      --offline        do not connect to any server (local-path remotes are still listed)
      --json           one JSON object: {"exitCode": N, "findings": [...]}
  -h, --help           show this help

Exit codes: 0 nothing stands in the way of a sync (warnings may be shown),
otherwise the code the worst problem gives a sync: 75 a server cannot be
reached now, 74 local disk trouble, 77 the server refused the login or its
host key, 78 configuration (a wrong host name, no Maildir there, rsync
missing or too old), 64 bad command line.
`;

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  offline: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const parse = (argv: readonly string[]) => parseCommandLine(argv, OPTIONS);

async function loaded(io: Io, file: string | undefined): Promise<Config | Finding> {
  try {
    return await commandConfig(io, file);
  } catch (error) {
    if (error instanceof SyncmailError) return fromError('config', error);
    throw error;
  }
}

/** One server's checks: ssh once, then each mailbox's folder there (a local path: only the folder). */
async function checkServer(
  mailboxes: readonly Mailbox[],
  config: Config,
  io: Io,
  opts: { readonly offline: boolean; readonly rsyncWorks: boolean; readonly now: number },
): Promise<Finding[]> {
  const [first] = mailboxes;
  if (first === undefined) return [];
  const found: Finding[] = [];
  if (first.remote.kind === 'ssh') {
    if (opts.offline) return [];
    const verdict = await probeServer([first, ...mailboxes.slice(1)], config, io.env);
    found.push(...verdict.findings);
    if (!verdict.reached) return found;
  }
  if (!opts.rsyncWorks) return found;
  for (const mailbox of mailboxes)
    found.push(...(await checkRemoteMaildir(mailbox, config, io.env, opts.now)));
  return found;
}

async function runChecks(config: Config, names: readonly string[], io: Io, offline: boolean) {
  const mailboxes = selectMailboxes(config, names);
  const now = Date.now() / 1000;
  const findings: Finding[] = [
    ok(
      'config',
      `${config.file ?? 'built in'} (${count(mailboxes.length, 'mailbox', 'mailboxes')})`,
    ),
  ];
  const rsync = await checkLocalRsync(config, io.env);
  findings.push(...rsync);
  const rsyncWorks = !rsync.some((f) => f.level === 'problem');
  const servers = new Map<string, Mailbox[]>();
  for (const m of mailboxes) servers.set(serverKey(m), [...(servers.get(serverKey(m)) ?? []), m]);
  // Servers in parallel (each waits for its own network), reported in the config's order.
  const perServer = await Promise.all(
    [...servers.values()].map((group) =>
      checkServer(group, config, io, { offline, rsyncWorks, now }),
    ),
  );
  findings.push(...perServer.flat());
  if (offline && mailboxes.some((m) => m.remote.kind === 'ssh'))
    findings.push(ok('servers', 'not checked (--offline)'));
  const seen = new Set<string>();
  for (const m of mailboxes) findings.push(...checkLocalMaildir(io.fs, m, config, now, seen));
  findings.push(...checkEnvironment(config, io.env));
  return findings;
}

export const checkCommand: Command = {
  name: 'check',
  summary: 'check config, rsync, ssh, server and local Maildirs, changing nothing',
  help: CHECK_HELP,
  async run(argv, io) {
    const { values: v, positionals } = parse(argv);
    if (v.help) {
      io.out(CHECK_HELP);
      return EXIT.ok;
    }
    const config = await loaded(io, v.config);
    // A config that does not load stops here: every other check reads it.
    const findings =
      'level' in config ? [config] : await runChecks(config, positionals, io, v.offline === true);
    io.out(v.json ? formatJson(findings) : formatFindings(findings));
    return checkExit(findings);
  },
};
