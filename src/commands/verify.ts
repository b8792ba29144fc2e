// `syncmail verify [options] [MAILBOX...]`: exactly-once, checked rather than promised. From the
// transfer log (every rotated file) and the Maildirs as they are now: each delivered message is in
// its Maildir (or a reader took it), none is there twice, and no server copy remains of one the log
// says was removed. Reads only. The checks are pure (src/verify/checks.ts); this module lists and
// prints.
import { EXIT } from '../errors.js';
import type { Io } from '../io.js';
import { logFiles, readRecords } from '../log/records.js';
import { mailboxMaildirs } from '../rules/folders.js';
import {
  type Box,
  maildirsToList,
  type ServerListing,
  verdictExit,
  verify,
} from '../verify/checks.js';
import { formatJson, formatText } from '../verify/format.js';
import { readLedger } from '../verify/ledger.js';
import { listMaildirs } from '../verify/local-listing.js';
import { listServer } from '../verify/server-listing.js';
import { type Command, parseCommandLine } from './command.js';
import { commandConfig } from './command-config.js';
import { selectMailboxes } from './sync.js';

export const VERIFY_HELP = `Usage: syncmail verify [options] [MAILBOX...]

Check, from the transfer log (with its rotated files) and the Maildirs as
they are now, that every message was moved exactly once:
  - each message the log says was delivered is in its local Maildir: where
    it was put, or under the same unique name in new/ or cur/ (a reader
    read it or changed its flags). A message that is in neither is counted
    as "no longer there": a reader deleted it or moved it to another
    folder. That is not a discrepancy, and verify cannot tell it from a
    loss: nothing on disk records what a reader deleted.
  - no message was delivered twice (a renamed conflict and a new version of
    a message that changed on the server are messages of their own), and no
    unique name syncmail delivered is in a mailbox's Maildirs (its own and
    its rules' folders) as two different files; the copies rules make are
    hard links, one file, and are expected.
  - no server copy remains of a message the log says was removed: the
    server's new/ and cur/ are listed once per mailbox, over the mailbox's
    ssh (a local-path remote is read directly). Nothing is changed there.
With MAILBOX names, only those mailboxes. Mail syncmail did not deliver is
not looked at.

Options:
  -c, --config FILE    use exactly this config file (default: search, see README)
      --offline        do not list the servers (the local checks still run)
  -v, --verbose        also list each message that is no longer there
      --json           one JSON object instead of text
  -h, --help           show this help

Exit codes: 0 no discrepancy, 65 discrepancies (each is listed with its
mailbox, name and path), 75 a server could not be listed (the local checks
found nothing; try again later), 74 a Maildir or the log cannot be read,
64 bad command line, 78 configuration error.
`;

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  offline: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const parse = (argv: readonly string[]) => parseCommandLine(argv, OPTIONS);

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'check from the transfer log that every message moved exactly once',
  help: VERIFY_HELP,
  async run(argv, io: Io) {
    const { values: v, positionals } = parse(argv);
    if (v.help) {
      io.out(VERIFY_HELP);
      return EXIT.ok;
    }
    const config = await commandConfig(io, v.config);
    const mailboxes = selectMailboxes(config, positionals);
    const files = logFiles(config.log);
    const { records, bad } = readRecords(files);
    const ledger = readLedger(records);
    // Servers in parallel: each waits for its own network.
    const servers = await Promise.all(
      mailboxes.map(
        (m): Promise<ServerListing> =>
          v.offline ? Promise.resolve({ kind: 'offline' }) : listServer(m, config, io),
      ),
    );
    const boxes: Box[] = mailboxes.map((m, i) => ({
      name: m.name,
      local: m.local,
      maildirs: mailboxMaildirs(m, config.folderStyle),
      remoteText: m.remoteText,
      server: servers[i] as ServerListing,
    }));
    const listings = listMaildirs(io.fs, maildirsToList(ledger, boxes));
    const verdict = verify(ledger, boxes, listings);
    const exitCode = verdictExit(verdict);
    const report = {
      verdict,
      exitCode,
      log: config.log,
      logFiles: files.length,
      bad,
      all: positionals.length === 0,
      verbose: v.verbose === true,
    };
    io.out(v.json ? formatJson(report) : formatText(report));
    return exitCode;
  },
};
